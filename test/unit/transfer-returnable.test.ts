/**
 * Whether the API takes a pacs.004 for a transfer: a definite no only where no money can have left; a
 * transfer whose outcome nobody knows (FAILED) takes it, and its return waits for an operator.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { returnable } from '../../src/api/transfer-gateway';
import type { SagaStatus, SagaView } from '../../src/domain/saga';

const transfer = (status: SagaStatus, network?: string): SagaView => ({
  id: 'tr-1',
  type: 'transfer',
  status,
  steps: [],
  result: null,
  error: null,
  createdAt: '2026-12-07T00:00:00.000Z',
  updatedAt: '2026-12-07T00:00:00.000Z',
  details: network ? { network: { status: network } } : {},
});

describe('a pacs.004 for a transfer', () => {
  it('is taken once the transfer COMPLETED, or once the network settled it', () => {
    assert.equal(returnable(transfer('COMPLETED')), 'yes');
    assert.equal(returnable(transfer('RUNNING', 'ACSC')), 'yes');
  });

  it('waits (503) while the transfer may still settle', () => {
    assert.equal(returnable(transfer('RUNNING')), 'not-yet');
    assert.equal(returnable(transfer('COMPENSATING')), 'not-yet');
  });

  it('is refused for good only when the transfer ended COMPENSATED without the network settling it', () => {
    assert.equal(returnable(transfer('COMPENSATED')), 'never');
  });

  it('is taken for a FAILED transfer, whose money may have left: its return waits for an operator, not a 503 for ever', () => {
    assert.equal(returnable(transfer('FAILED')), 'yes');
  });
});
