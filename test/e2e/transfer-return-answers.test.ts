import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pacs004Xml, type PaymentReturn } from '../../src/domain/transfer-messages';
import { backendRecords, call, waitFor, waitForView } from '../support/http';
import { startStack, type Stack } from '../support/stack';
import { ADA, deliverToCallback, endedTransfer } from '../support/transfers';

/**
 * What sagaway answers the network's pacs.004, beyond the one return of a completed transfer: the same
 * return again is answered with its saga; another return for a transfer that has one, or a return for a
 * transfer that never sent the money, is a definite 4xx that names why (the network stops delivering it),
 * never a merge into the first return nor a 503 the network retries for ever.
 */
let stack: Stack;

before(async () => {
  stack = await startStack({ tuning: { stepRetryInitialMs: 20 } });
});
after(async () => {
  await stack?.stop();
});

const closedAccount = { name: 'Old Account Ltd', iban: 'GB29NWBK60161331926819', bic: 'NWBKGB2L', country: 'GB', address: { line: '1 Lombard St', city: 'London' }, currency: 'GBP' };

/** A pacs.004 for the payment the network holds for `transferId`, created now (a resend carries a new CreDtTm). */
function returnOf(transferId: string, payment: Record<string, any>, msgId: string, minor: number, reason: string): string {
  const message: PaymentReturn = { msgId, originalMsgId: transferId, uetr: payment.reference, returned: { minor, currency: payment.currency }, reason };
  return pacs004Xml(message, new Date().toISOString());
}

/** The API's count of pacs.004 refused for `reason`. */
async function refusedReturns(reason: string): Promise<number> {
  const text = await (await fetch(`${stack.apiUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`sagaway_payment_returns_refused_total{reason="${reason}"}`));
  return Number(line?.split(' ').at(-1) ?? NaN);
}

async function restartApi(): Promise<void> {
  const api = stack.launched.parts.api!;
  await api.stop();
  api.start();
  await waitFor('the new API to be ready', async () => (await call(stack.apiUrl, 'GET', '/readyz').catch(() => null))?.body.status === 'ready');
}

describe('the answers to a pacs.004', () => {
  it('another return for a returned transfer is a 409 naming its return saga; the same return again is answered with that saga', async () => {
    const transfer = await endedTransfer(stack);
    assert.equal(transfer.view.status, 'COMPLETED', JSON.stringify(transfer.view.error));
    const { id } = transfer.view;
    const full = transfer.payment.amountMinor as number;

    const first = await deliverToCallback(stack.apiUrl, returnOf(id, transfer.payment, `RTRA${id.slice(-12)}`, full, 'MD07'));
    assert.deepEqual([first.status, first.body.returnSagaId], [202, `${id}-return`]);

    const refusedBefore = await refusedReturns('return-exists');
    const other = await deliverToCallback(stack.apiUrl, returnOf(id, transfer.payment, `RTRB${id.slice(-12)}`, full / 2, 'AC06'));
    assert.equal(other.status, 409, JSON.stringify(other.body));
    assert.equal(await refusedReturns('return-exists'), refusedBefore + 1, 'counted for the PaymentReturnRefused alert');
    assert.equal(other.body.type, 'urn:sagaway:problem:return-exists');
    assert.equal(other.body.returnSagaId, `${id}-return`);

    // A fresh API has seen no message: the first return, sent again as a restarted network sends it, reaches the saga's start.
    await restartApi();
    const again = await deliverToCallback(stack.apiUrl, returnOf(id, transfer.payment, `RTRA${id.slice(-12)}`, full, 'MD07'));
    assert.deepEqual([again.status, again.body.returnSagaId], [202, `${id}-return`], JSON.stringify(again.body));

    const returned = await waitForView(stack.apiUrl, `${id}-return`, (v) => v.status === 'COMPLETED', 60_000);
    const postings = (await backendRecords(stack.backendsUrl, 'corebanking', returned.id)).filter((r) => r.kind === 'posting');
    assert.equal(postings.length, 1, 'credited once');
    assert.deepEqual(postings[0]!.lines.find((l: any) => l.Account === ADA), { Account: ADA, AmountMinor: full, Currency: 'EUR' }, 'the first return is what was credited');
    assert.match(returned.reason, /MD07/);
  });

  it('a return for a transfer the network rejected (COMPENSATED) is a 422: nothing was sent, nothing starts', async () => {
    const transfer = await endedTransfer(stack, closedAccount);
    assert.equal(transfer.view.status, 'COMPENSATED', JSON.stringify(transfer.view));
    const { id } = transfer.view;

    const refusedBefore = await refusedReturns('transfer-not-completed');
    const answer = await deliverToCallback(stack.apiUrl, returnOf(id, transfer.payment, `RTRC${id.slice(-12)}`, transfer.payment.amountMinor, 'MD07'));
    assert.equal(answer.status, 422, JSON.stringify(answer.body));
    assert.equal(await refusedReturns('transfer-not-completed'), refusedBefore + 1, 'counted for the PaymentReturnRefused alert');
    assert.equal(answer.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.equal(answer.body.type, 'urn:sagaway:problem:transfer-not-completed');
    assert.match(answer.body.detail, /COMPENSATED/);
    assert.equal((await call(stack.apiUrl, 'GET', `/v1/sagas/${id}-return`)).status, 404, 'no return saga');
  });

  it('a return for a transfer an operator terminated (its record unreadable) is a 422 that pages, never a 500', async () => {
    const body = { debtor: { iban: ADA, currency: 'EUR' }, beneficiary: closedAccount, amount: { value: '100.00', currency: 'EUR' }, remittanceInformation: 'terminated' };
    const started = await call(stack.apiUrl, 'POST', '/v1/transfers', { body, idempotencyKey: `terminated-${Date.now()}` });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const id = started.body.id as string;
    const payment = await waitFor('the payment at the network', async () => (await backendRecords(stack.backendsUrl, 'network', id)).find((r) => r.kind === 'payment'));
    await stack.client.workflow.getHandle(id).terminate('an operator stopped it');
    const refusedBefore = await refusedReturns('transfer-unreadable');
    // Delivered again on a 503, as the network does: a view published before the end can answer first.
    const xml = returnOf(id, payment, `RTRD${id.slice(-12)}`, payment.amountMinor, 'MD07');
    let answer = await deliverToCallback(stack.apiUrl, xml);
    for (let again = 0; again < 20 && answer.status === 503; again += 1) {
      await new Promise((r) => setTimeout(r, 1_000));
      answer = await deliverToCallback(stack.apiUrl, xml);
    }
    assert.equal(answer.status, 422, JSON.stringify(answer.body));
    assert.equal(answer.body.type, 'urn:sagaway:problem:transfer-unreadable');
    assert.equal(await refusedReturns('transfer-unreadable'), refusedBefore + 1, 'counted for the PaymentReturnRefused alert');
  });
});
