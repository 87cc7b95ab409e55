import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backendRecords, waitForView } from '../support/http';
import { startStack, type Stack } from '../support/stack';
import { ADA, returnWhilePosting } from '../support/transfers';

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

describe('a return that arrives before its transfer completed', () => {
  it('is credited to the customer although the network delivered it only once', async () => {
    const { id, payment, status } = await returnWhilePosting(stack);
    process.stdout.write(`the pacs.004 delivered while posting was answered ${status}\n`);
    assert.equal(status, 202, 'the pacs.004 is kept the moment it is accepted');
    const waiting = await waitForView(stack.apiUrl, `${id}-return`, (v) => v.steps.some((s: any) => s.name === 'awaitTransfer'), 30_000);
    assert.deepEqual(waiting.awaiting, { for: 'transfer', transferId: id });

    const transfer = await waitForView(stack.apiUrl, id, (v) => v.status === 'COMPLETED', 60_000);
    assert.equal(transfer.status, 'COMPLETED');
    const credited = await waitForView(stack.apiUrl, `${id}-return`, (v) => v.status === 'COMPLETED', 30_000);
    const credit = (await backendRecords(stack.backendsUrl, 'corebanking', credited.id)).find((r) => r.kind === 'posting');
    assert.deepEqual(credit?.lines.find((l: any) => l.Account === ADA), { Account: ADA, AmountMinor: payment.amountMinor, Currency: 'EUR' });
  });
});
