import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signNetworkBody } from '../../src/api/network-signature';
import { DEV_NETWORK_SECRET } from '../../src/config';
import { pacs004Xml } from '../../src/domain/transfer-messages';
import { backendRecords, call, injectFault, sagaKey, waitFor, waitForView } from '../support/http';
import { startStack, type Stack } from '../support/stack';

/**
 * A pacs.004 that arrives while its transfer is still posting (the network settled it, the transfer is not
 * COMPLETED yet) is kept at once (202: its return saga starts and waits for the transfer), so a network
 * that delivers it only once still gets the customer credited, after the transfer completed. Before, it was
 * answered 503 and kept nowhere.
 */
let stack: Stack;

before(async () => {
  // The slow posting outlasts the HTTP timeout, and its retries meet it in progress (409) five times in a
  // row with these fast retries: the engine says so (STUCK, still retried) until the posting lands.
  stack = await startStack({ tuning: { stepRetryInitialMs: 20 }, expectErrorLogs: [/a step that cannot go back has no definite answer/] });
});
after(async () => {
  await stack?.stop();
});

const ADA = 'DE89370400440532013000';
const clean = { name: 'Claire Dubois', iban: 'FR7630006000011234567890189', bic: 'BNPAFRPP', country: 'FR', address: { line: '1 rue de Rivoli', city: 'Paris' }, currency: 'EUR' };

describe('a return that arrives before its transfer completed', () => {
  it('is credited to the customer although the network delivered it only once', async () => {
    const { idempotencyKey, sagaId } = sagaKey();
    // The posting is slow (applied after 6 s whatever the caller does): the pacs.004 arrives meanwhile.
    await injectFault(stack.backendsUrl, 'corebanking', { op: 'postTransfer', mode: 'slow', latencyMs: 6_000, count: 1, sagaId });
    const body = { debtor: { iban: ADA, currency: 'EUR' }, beneficiary: clean, amount: { value: '100.00', currency: 'EUR' }, remittanceInformation: 'early return' };
    const started = await call(stack.apiUrl, 'POST', '/v1/transfers', { body, idempotencyKey });
    assert.ok([200, 202].includes(started.status), JSON.stringify(started.body));
    const id = started.body.id as string;
    const payment = await waitFor('the network to settle', async () => (await backendRecords(stack.backendsUrl, 'network', id)).find((r) => r.kind === 'payment' && r.status === 'ACSC'), 90_000);
    await waitForView(stack.apiUrl, id, (v) => v.steps.some((s: any) => s.name === 'postTransfer' && s.status === 'RUNNING'), 60_000);

    // The beneficiary's bank sends the money back at once (MD07), as the network delivers a message: once.
    const returned = pacs004Xml({ msgId: `RTR${id.slice(-12)}`, originalMsgId: id, uetr: payment.reference, returned: { minor: payment.amountMinor, currency: payment.currency }, reason: 'MD07' }, new Date().toISOString());
    const delivered = await fetch(`${stack.apiUrl}/v1/callbacks/payment-network`, { method: 'POST', headers: { 'content-type': 'application/xml', 'x-network-signature': signNetworkBody(DEV_NETWORK_SECRET, returned) }, body: returned });
    process.stdout.write(`the pacs.004 delivered while posting was answered ${delivered.status}\n`);
    assert.equal(delivered.status, 202, 'the pacs.004 is kept the moment it is accepted');
    const waiting = await waitForView(stack.apiUrl, `${id}-return`, (v) => v.steps.some((s: any) => s.name === 'awaitTransfer'), 30_000);
    assert.deepEqual(waiting.awaiting, { for: 'transfer', transferId: id });

    const transfer = await waitForView(stack.apiUrl, id, (v) => v.status === 'COMPLETED', 60_000);
    assert.equal(transfer.status, 'COMPLETED');
    const credited = await waitForView(stack.apiUrl, `${id}-return`, (v) => v.status === 'COMPLETED', 30_000);
    const credit = (await backendRecords(stack.backendsUrl, 'corebanking', credited.id)).find((r) => r.kind === 'posting');
    assert.deepEqual(credit?.lines.find((l: any) => l.Account === ADA), { Account: ADA, AmountMinor: payment.amountMinor, Currency: 'EUR' });
  });
});
