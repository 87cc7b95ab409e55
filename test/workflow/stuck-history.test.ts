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
 * Real tuning: undo attempts every 60 s at most, in rounds of up to 2 hours. Here every duration is
 * 30,000 times shorter (2 ms between attempts, 240 ms rounds), so 86.4 s are 30 days of a stuck undo. The
 * time-skipping test server would skip real timers instead, but it is a download this machine cannot make.
 */
const SCALE = 30_000;
const THIRTY_DAYS_MS = (30 * 24 * 60 * 60 * 1_000) / SCALE;
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
    const tuning = { stuckAfterAttempts: 3, compensationBackoffMs: { initial: 1, max: 60_000 / SCALE }, undoRoundMaxMs: (2 * 60 * 60 * 1_000) / SCALE };
    const handle = await env.withWorker(activities, async (taskQueue) => {
      const started = await env.client.workflow.start(orderCheckout, { taskQueue, workflowId: `order-stuck-${Date.now()}`, args: [{ order: ORDER, deadlineMs: 60_000, tuning }] });
      const firstTry = Date.now() + 60_000;
      while (rounds === 0 && Date.now() < firstTry) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, THIRTY_DAYS_MS));
      const stuck = await started.query<any>('sagaState');
      assert.equal(stuck.status, 'COMPENSATING');
      assert.equal(stuck.steps.find((s: any) => s.name === 'authorizePayment').status, 'STUCK');
      const historyLength = (await started.describe()).historyLength ?? 0;
      assert.ok(historyLength < HISTORY_BOUND, `${historyLength} events after 30 days of rounds`);
      process.stdout.write(`# 30 days (scaled) stuck: ${rounds} rounds, ${historyLength} history events\n`);
      healed = true;
      const view = await started.result();
      assert.equal(view.status, 'COMPENSATED');
      assert.equal(view.steps.find((s) => s.name === 'authorizePayment')?.status, 'COMPENSATED');
      return started;
    });
    assert.ok(handle);
  });
});
