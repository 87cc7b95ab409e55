/**
 * Review finding (not in the suite): a pivot whose answer is malformed on every try, while the probe says
 * nothing was applied, is sent again every `compensationBackoffMs.initial` forever, with no cap, no growing
 * backoff and no operator desk. Each loop adds an activity, a probe and a timer to the history (about 20
 * events), so at the real tuning (1 s) the saga reaches Temporal's 51,200-event limit in well under a day
 * and is terminated: exactly the case issue 10 says must not happen.
 *
 * Run: node --import tsx --test test/review-findings/pivot-malformed-loop.ts
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { orderCheckout } from '../../src/workflows';
import { startEngineEnv, type EngineEnv } from '../support/engine-env';
import { FAST_TUNING, mockOrderActivities, ORDER } from '../support/mock-activities';

let env: EngineEnv;
before(async () => {
  env = await startEngineEnv();
});
after(async () => {
  await env?.stop();
});

describe('a pivot that keeps answering something malformed', () => {
  it('is not resent without bound: it waits for an operator (STUCK) or backs off to a cap', async () => {
    const { activities, seen } = mockOrderActivities({
      capturePayment: async () => {
        throw ApplicationFailure.nonRetryable('payments /captures answered something malformed: the body is not JSON', 'MalformedResponse');
      },
      lookupPayment: async () => ({ found: true, status: 'AUTHORIZED' }),
    });
    await env.withWorker(activities, async (taskQueue) => {
      const handle = await env.client.workflow.start(orderCheckout, {
        taskQueue,
        workflowId: `order-pivot-malformed-${Date.now()}`,
        args: [{ order: ORDER, deadlineMs: 60_000, localSteps: false, tuning: FAST_TUNING }],
      });
      const until = Date.now() + 60_000;
      const stuck = async () => (await handle.query<any>('sagaState')).steps.some((s: any) => s.name === 'capturePayment' && s.status === 'STUCK');
      while (Date.now() < until && seen.filter((c) => c.activity === 'capturePayment').length <= 10 && !(await stuck())) await new Promise((r) => setTimeout(r, 200));
      const captures = seen.filter((c) => c.activity === 'capturePayment').length;
      const history = (await handle.describe()).historyLength ?? 0;
      const state = await handle.query<any>('sagaState');
      const capture = state.steps.find((s: any) => s.name === 'capturePayment');
      process.stdout.write(`# stopped watching: ${captures} captures sent, ${history} history events, capture step ${capture?.status}\n`);
      const events = (await handle.fetchHistory()).events ?? [];
      for (const e of events.slice(-12)) process.stdout.write(`# ${e.eventId} ${e.eventType} ${JSON.stringify(e.workflowTaskFailedEventAttributes?.failure?.message ?? e.activityTaskScheduledEventAttributes?.activityId ?? '')}\n`);
      await handle.terminate('review test done');
      assert.ok(capture?.status === 'STUCK' || captures <= 10, `${captures} captures sent, ${history} events, step ${capture?.status}`);
    });
  });
});
