/**
 * How TransferGateway.transfer finds the transfer a network report names when the saga's view cannot be
 * read in time (a busy worker): the view from Temporal's visibility has no UETR to compare, and that is
 * "ask again", never "no such payment" (a 404 ends the network's deliveries: a return's money would sit
 * in the nostro account).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { TemporalUnavailable } from '../../src/api/problems';
import type { SagaGateway } from '../../src/api/saga-gateway';
import { TransferGateway } from '../../src/api/transfer-gateway';
import { keys } from '../../src/api/visibility';
import { DEFAULT_TUNING, type SagaView } from '../../src/domain/saga';

const UETR = '0f5a7c1e-5b0e-4c34-9a7e-2b4f1d6c8e90';
const base: SagaView = { id: 'tr-1', type: 'transfer', status: 'RUNNING', steps: [], result: null, error: null, createdAt: '', updatedAt: '', details: {} };

function gateway(view: SagaView, status: 'RUNNING' | 'TERMINATED'): TransferGateway {
  const attributes = new Map<unknown, string>([[keys.client, 'client-a'], [keys.type, 'transfer']]);
  const description = { workflowId: 'tr-1', status: { name: status }, typedSearchAttributes: { get: (key: unknown) => attributes.get(key) } } as unknown as WorkflowExecutionDescription;
  const client = { workflow: { getHandle: () => ({ describe: async () => description }) } } as unknown as Client;
  const sagas = { view: async () => view } as unknown as SagaGateway;
  return new TransferGateway(client, sagas, DEFAULT_TUNING);
}

describe('finding the transfer a network report names', () => {
  it('a view with the UETR: found; another UETR: not ours', async () => {
    const view = { ...base, details: { uetr: UETR } };
    const found = await gateway(view, 'RUNNING').transfer('tr-1', UETR);
    assert.deepEqual([found?.view, found?.owner, found?.unreadable], [view, 'client-a', false]);
    assert.equal(await gateway(view, 'RUNNING').transfer('tr-1', 'another-uetr'), null);
  });

  it('a running transfer whose view came from visibility alone (the worker busy): ask again (503), not "unknown payment"', async () => {
    const view = { ...base, details: { note: 'the worker is busy; status from Temporal visibility, steps on the next read' } };
    await assert.rejects(gateway(view, 'RUNNING').transfer('tr-1', UETR), (err: unknown) => err instanceof TemporalUnavailable);
  });

  it('a closed transfer still shown as its last published view: ask again, the final view comes on a later read', async () => {
    const view = { ...base, details: { uetr: UETR } };
    await assert.rejects(gateway(view, 'TERMINATED').transfer('tr-1', UETR), (err: unknown) => err instanceof TemporalUnavailable);
  });

  it('a closed transfer with no record of its own (terminated): matched by its message id, marked unreadable', async () => {
    const view = { ...base, status: 'FAILED' as const, details: {} };
    const found = await gateway(view, 'TERMINATED').transfer('tr-1', UETR);
    assert.equal(found?.view, view);
    assert.equal(found?.unreadable, true);
  });
});
