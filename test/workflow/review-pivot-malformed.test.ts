/**
 * A pivot whose answer is malformed on every try, while the probe says nothing was applied, was resent
 * every `compensationBackoffMs.initial` forever (about 13 history events a loop: at the real 1 s, Temporal's
 * 51,200-event limit in about an hour). Past `stuckAfterAttempts` tries it now waits for an operator.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { operatorActionUpdate, orderCheckout } from '../../src/workflows';
import { startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';
import { FAST_TUNING, mockOrderActivities, ORDER } from '../support/mock-activities';

let env: WorkflowEnv;
before(async () => {
  env = await startWorkflowEnv();
});
after(async () => {
  await env?.teardown();
});

describe('a pivot that keeps answering something malformed', { concurrency: true }, () => {
  for (const localPivot of [false, true]) {
    it(`is not resent without bound (capture ${localPivot ? 'local' : 'an activity'}): it is STUCK for an operator, and a resolve completes the saga`, async () => {
      const { activities, seen } = mockOrderActivities({
        capturePayment: async () => {
          throw ApplicationFailure.nonRetryable('payments /captures answered something malformed: the body is not JSON', 'MalformedResponse');
        },
        lookupPayment: async () => ({ found: true, status: 'AUTHORIZED' }),
      });
      const view = await (async () => {
        const handle = await env.start(orderCheckout, [{ order: ORDER, deadlineMs: 60_000, localSteps: localPivot, localPivot, tuning: FAST_TUNING }], activities);
        const captures = () => seen.filter((c) => c.activity === 'capturePayment').length;
        const stuck = async () => (await handle.query<any>('sagaState')).steps.some((s: any) => s.name === 'capturePayment' && s.status === 'STUCK');
        const until = Date.now() + 60_000;
        while (Date.now() < until && captures() <= 10 && !(await stuck())) await new Promise((r) => setTimeout(r, 200));
        const history = (await handle.describe()).historyLength ?? 0;
        if (!(await stuck())) await handle.terminate('review test: the pivot loops');
        assert.ok(await stuck(), `${captures()} captures sent, ${history} history events, and the capture is not STUCK`);
        assert.ok(captures() <= FAST_TUNING.stuckAfterAttempts, `${captures()} captures sent`);
        await handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'resolve', step: 'capturePayment', operator: 'ops', reason: 'captured, seen at the processor' }] });
        return handle.result();
      })();
      assert.equal(view.status, 'COMPLETED');
      assert.ok(!seen.some((c) => c.activity === 'voidPayment'), 'nothing undone past the pivot');
    });
  }
});
