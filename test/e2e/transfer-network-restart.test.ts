import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backendRecords, call, sagaKey, waitFor, waitForView } from '../support/http';
import { startStack, type Stack } from '../support/stack';

/**
 * The simulated payment network owes a submitted transfer its settlement and report, and a returned one
 * its pacs.004, later. A restart of the backends in between must not forget them: without the owed work
 * kept in the journal, the transfer waits for a report that never comes (the status request only ever
 * hears ACTC) and the return never starts.
 */
let stack: Stack;

before(async () => {
  // Long enough for the test to restart the backends between the submission and the settlement, and
  // between the settlement and the return.
  stack = await startStack({ tuning: { stepRetryInitialMs: 20 }, env: { SAGAWAY_NETWORK_SETTLE_MS: '6000', SAGAWAY_NETWORK_RETURN_MS: '8000' } });
});
after(async () => {
  await stack?.stop();
});

const beneficiaries = {
  clean: { name: 'Claire Dubois', iban: 'FR7630006000011234567890189', bic: 'BNPAFRPP', country: 'FR', address: { line: '1 rue de Rivoli', city: 'Paris' }, currency: 'EUR' },
  returns: { name: 'Javier Ruiz', iban: 'ES9121000418450200051332', bic: 'CAIXESBB', country: 'ES', address: { line: 'Gran Via 1', city: 'Madrid' }, currency: 'EUR' },
};

async function startTransfer(beneficiary: Record<string, unknown>): Promise<string> {
  const { idempotencyKey } = sagaKey();
  const body = { debtor: { iban: 'DE89370400440532013000', currency: 'EUR' }, beneficiary, amount: { value: '100.00', currency: 'EUR' }, remittanceInformation: 'restart' };
  const answer = await call(stack.apiUrl, 'POST', '/v1/transfers', { body, idempotencyKey });
  assert.ok([200, 202].includes(answer.status), JSON.stringify(answer.body));
  return answer.body.id as string;
}

const payment = async (sagaId: string) => (await backendRecords(stack.backendsUrl, 'network', sagaId)).find((r) => r.kind === 'payment');

async function restartBackends(): Promise<void> {
  const backends = stack.launched.parts.backends!;
  await backends.kill();
  await backends.restart();
  await waitFor('the backends to answer again', async () => (await fetch(`${stack.backendsUrl}/healthz`).catch(() => null))?.ok, 30_000);
}

describe('the payment network across a restart of the backends', () => {
  it('settles, reports and returns what it owed before the restart', async () => {
    const [clean, returning] = await Promise.all([startTransfer(beneficiaries.clean), startTransfer(beneficiaries.returns)]);
    for (const id of [clean, returning]) await waitFor(`${id} submitted`, async () => (await payment(id))?.status === 'ACTC', 90_000);
    await restartBackends();
    assert.equal((await payment(clean))!.status, 'ACTC', 'restarted before the settlement');

    const views = await Promise.all([clean, returning].map((id) => waitForView(stack.apiUrl, id, (v) => v.status !== 'RUNNING', 60_000)));
    for (const view of views) {
      assert.equal(view.status, 'COMPLETED', JSON.stringify(view.error));
      assert.equal(view.network.via, 'report', 'settled by the report the network owed, not found by a status request');
      assert.equal((await payment(view.id))!.reportDelivery.status, 200);
    }

    const owed = await payment(returning);
    assert.ok(owed!.returnAt > Date.now(), 'restarted before the return');
    await restartBackends();
    const returned = await waitForView(stack.apiUrl, `${returning}-return`, (v) => v.status === 'COMPLETED', 60_000);
    assert.equal(returned.transferId, returning);
    const returns = (await backendRecords(stack.backendsUrl, 'network', returning)).filter((r) => r.kind === 'return');
    assert.equal(returns.length, 1, 'returned once');
  });
});
