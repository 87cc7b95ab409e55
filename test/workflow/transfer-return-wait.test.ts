import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TransferEnd, TransferReturnInput } from '../../src/domain/transfer';
import { operatorActionUpdate } from '../../src/workflows';
import { cancelUpdate, sagaStateQuery } from '../../src/workflows/saga';
import { transferReturn } from '../../src/workflows/transfer-return';
import { waitFor } from '../support/http';
import { fastTuning, mockActivities, startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';

/**
 * A return whose pacs.004 came while the transfer was still posting (`transferPending`): it waits for the
 * transfer to end, credits only a COMPLETED one, and otherwise is STUCK for an operator.
 */
let env: WorkflowEnv;
before(async () => {
  env = await startWorkflowEnv();
});
after(async () => {
  await env?.teardown();
});

const input: TransferReturnInput = {
  transferId: 't', uetr: 'u', customerIban: 'DE89370400440532013000', returned: { minor: 10_000, currency: 'EUR' }, reason: 'MD07',
  returnMsgId: 'r', messageSha256: 'e'.repeat(64), rateE6: null, debitCurrency: 'EUR', tuning: fastTuning, transferPending: true,
};

/** The return's activities, mocked; `ends` answers the wait, one answer per attempt (a function may hold it). */
function mockReturn(ends: Array<TransferEnd | Error | (() => Promise<TransferEnd>)>) {
  let attempt = 0;
  return mockActivities({
    awaitTransferEnd: async () => {
      const end = ends[Math.min(attempt++, ends.length - 1)]!;
      if (end instanceof Error) throw end;
      return typeof end === 'function' ? end() : end;
    },
    creditReturn: async () => ({ postingId: 'p2' }),
    lookupPosting: async () => ({ found: true, status: 'POSTED' }),
    notifyTransfer: async () => ({ messageId: 'm' }),
    appendAudit: async () => ({ sagaSeq: 1, globalSeq: 1, hash: 'h' }),
    sendAlert: async () => ({ sent: true }),
  });
}
const business = (calls: string[]) => calls.filter((c) => c !== 'appendAudit');

describe('a return that waits for its transfer', () => {
  it('shows what it waits for, refuses a cancel, and credits once the transfer COMPLETED', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { activities, calls } = mockReturn([new Error('the transfer t is still running'), async () => (await held, { status: 'COMPLETED', error: null })]);
    const handle = await env.start(transferReturn, [input], activities);
    try {
      const waiting = await waitFor('the second attempt of the wait', async () => {
        const view = await handle.query(sagaStateQuery);
        return business(calls).length === 2 ? view : undefined;
      }, 10_000);
      assert.deepEqual(waiting.details.awaiting, { for: 'transfer', transferId: 't' });
      assert.equal(waiting.steps.find((s) => s.name === 'awaitTransfer')?.status, 'RUNNING');
      await assert.rejects(handle.executeUpdate(cancelUpdate, { args: [{ reason: 'changed my mind' }] }), WorkflowUpdateFailedError);
    } finally {
      // A held activity would keep the worker from shutting down at the end of the file.
      release();
    }
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED');
    assert.deepEqual(business(calls), ['awaitTransferEnd', 'awaitTransferEnd', 'creditReturn', 'notifyTransfer']);
    assert.equal(view.details.awaiting, null);
  });

  it('is STUCK and alerted, not credited, when the transfer ended FAILED; an operator retry looks again', async () => {
    const { activities, calls } = mockReturn([{ status: 'FAILED', error: 'posting refused' }, { status: 'COMPLETED', error: null }]);
    const handle = await env.start(transferReturn, [input], activities);
    const stuck = await waitFor('the wait to be STUCK', async () => {
      const view = await handle.query(sagaStateQuery);
      return view.steps.find((s) => s.name === 'awaitTransfer' && s.status === 'STUCK') ? view : undefined;
    }, 10_000);
    assert.match(stuck.steps.at(-1)!.error!, /the transfer ended FAILED \(posting refused\), not COMPLETED/);
    await waitFor('the alert', async () => calls.includes('sendAlert') || undefined, 10_000);
    assert.ok(!calls.includes('creditReturn'), 'nothing is credited for a transfer that did not complete');
    await handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'retry', step: 'awaitTransfer', operator: 'ops', reason: 'the transfer was reset and completed' }] });
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED');
    assert.deepEqual(business(calls).filter((c) => c !== 'sendAlert'), ['awaitTransferEnd', 'awaitTransferEnd', 'creditReturn', 'notifyTransfer']);
  });

  it('ends with nothing credited when an operator resolves it by hand', async () => {
    const { activities, calls } = mockReturn([{ status: 'TERMINATED', error: 'terminated by ops' }]);
    const handle = await env.start(transferReturn, [input], activities);
    await waitFor('the wait to be STUCK', async () => (await handle.query(sagaStateQuery)).steps.some((s) => s.status === 'STUCK') || undefined, 10_000);
    await handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'resolve', step: 'awaitTransfer', operator: 'ops', reason: 'credited by hand' }] });
    const view = await handle.result();
    assert.equal(view.status, 'COMPENSATED');
    assert.equal(view.error?.type, 'TransferNotCompleted');
    assert.match(view.error!.message, /ended TERMINATED .*ops settled the return by hand: credited by hand/);
    assert.ok(!calls.includes('creditReturn'));
  });
});
