import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { orderCheckout } from '../../src/workflows';
import { startEngineEnv, type EngineEnv } from '../support/engine-env';
import { mockOrderActivities, ORDER } from '../support/mock-activities';

let env: EngineEnv;
before(async () => {
  env = await startEngineEnv();
});
after(async () => {
  await env?.stop();
});

/**
 * Real tuning: undo retries every 60 s at most, in rounds of up to 2 hours. Here 60 s is 10 ms and a
 * 2-hour round 100 ms, so 360 rounds are 30 days of a stuck undo. The time-skipping test server would
 * skip real timers instead, but it is a download this machine cannot make.
 */
const ROUNDS_IN_30_DAYS = (30 * 24) / 2;
const HISTORY_BOUND = 5_000;

describe('a saga stuck for 30 days', () => {
  it('stays alive, correct and under 5,000 history events, and finishes once the backend recovers', { timeout: 600_000 }, async () => {
    let rounds = 0;
    let healed = false;
    const { activities } = mockOrderActivities({
      createShipment: async () => {
        throw ApplicationFailure.nonRetryable('the carrier refuses the address', 'AddressRejected');
      },
      voidPayment: async () => {
        if (Context.current().info.attempt === 1) rounds += 1;
        if (!healed) throw new Error('payments POST /voids: HTTP 503');
      },
    });
    const tuning = { stuckAfterAttempts: 3, compensationBackoffMs: { initial: 5, max: 10 }, undoRoundMaxMs: 100 };
    const handle = await env.withWorker(activities, async (taskQueue) => {
      const started = await env.client.workflow.start(orderCheckout, { taskQueue, workflowId: `order-stuck-${Date.now()}`, args: [{ order: ORDER, deadlineMs: 60_000, tuning }] });
      const deadline = Date.now() + 500_000;
      while (rounds < ROUNDS_IN_30_DAYS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.ok(rounds >= ROUNDS_IN_30_DAYS, `reached ${rounds} rounds`);
      const stuck = await started.query<any>('sagaState');
      assert.equal(stuck.status, 'COMPENSATING');
      assert.equal(stuck.steps.find((s: any) => s.name === 'authorizePayment').status, 'STUCK');
      const historyLength = (await started.describe()).historyLength ?? 0;
      assert.ok(historyLength < HISTORY_BOUND, `${historyLength} events after 30 days of rounds`);
      process.stdout.write(`# 30 days (${rounds} rounds) stuck: ${historyLength} history events\n`);
      healed = true;
      const view = await started.result();
      assert.equal(view.status, 'COMPENSATED');
      assert.equal(view.steps.find((s) => s.name === 'authorizePayment')?.status, 'COMPENSATED');
      return started;
    });
    assert.ok(handle);
  });
});
