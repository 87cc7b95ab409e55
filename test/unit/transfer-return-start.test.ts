/**
 * The answer TransferGateway.startReturn gives a pacs.004 when the transfer's return saga exists already,
 * with a fake SagaGateway holding that saga under the request hash it was started with.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { SagaGateway, StartOutcome } from '../../src/api/saga-gateway';
import { returnRequestHash, TransferGateway } from '../../src/api/transfer-gateway';
import { DEFAULT_TUNING, type SagaView } from '../../src/domain/saga';
import type { PaymentReturn } from '../../src/domain/transfer-messages';

const UETR = '0f5a7c1e-5b0e-4c34-9a7e-2b4f1d6c8e90';
const transfer: SagaView = {
  id: 'tr-1', type: 'transfer', status: 'COMPLETED', steps: [], error: null, createdAt: '', updatedAt: '',
  result: { debited: { currency: 'EUR' } },
  details: { uetr: UETR, debtorIban: 'DE89370400440532013000', amounts: { debit: { currency: 'EUR' }, rate: null }, network: { status: 'ACSC' } },
};
const returnView: SagaView = { ...transfer, id: 'tr-1-return', type: 'transfer-return', status: 'RUNNING', result: null, details: {} };
const first: PaymentReturn = { msgId: 'RTRA1', originalMsgId: 'tr-1', uetr: UETR, returned: { minor: 100_000, currency: 'EUR' }, reason: 'MD07' };

/** A SagaGateway whose return saga was started under `storedHash` by client `owner`. */
function gatewayHolding(storedHash: string, owner = 'client-a'): TransferGateway {
  const answer = (clientId: string, hash: string): StartOutcome =>
    clientId === owner && hash === storedHash ? { kind: 'existing', view: returnView } : { kind: 'conflict', sagaId: returnView.id };
  const sagas = {
    start: async (req: { clientId: string; requestHash: string }) => answer(req.clientId, req.requestHash),
    existing: async (_id: string, clientId: string, hash: string) => answer(clientId, hash),
  } as unknown as SagaGateway;
  return new TransferGateway({} as Client, sagas, DEFAULT_TUNING);
}

describe('starting the return of a transfer that has one', () => {
  it('answers the same pacs.004 again with its saga', async () => {
    const outcome = await gatewayHolding(returnRequestHash(first)).startReturn(transfer, 'client-a', first, 'sha');
    assert.deepEqual(outcome, { kind: 'taken', view: returnView });
  });

  it('refuses another pacs.004 for a return taken under today\'s hash', async () => {
    const other = { ...first, msgId: 'RTRB1', returned: { minor: 50_000, currency: 'EUR' } };
    const outcome = await gatewayHolding(returnRequestHash(first)).startReturn(transfer, 'client-a', other, 'sha');
    assert.deepEqual(outcome, { kind: 'other-return', sagaId: 'tr-1-return' });
  });

  it('answers a return taken before the hash named the message (return:<uetr>) with its saga, not a 409', async () => {
    // The API that took it stopped (a deploy) before its 202 left; the network delivers the same message to the new one.
    const outcome = await gatewayHolding(`return:${UETR}`).startReturn(transfer, 'client-a', first, 'sha');
    assert.deepEqual(outcome, { kind: 'taken', view: returnView });
  });
});
