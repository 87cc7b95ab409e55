/**
 * An audit store that cannot be reached: the saga's writes are retried, and only a write that has failed
 * for longer than `auditStuckAfterMs` is STUCK and alerted. A blip of the store (shorter than that) must not
 * make every saga in flight STUCK and page an operator, as an attempts bound did.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { reportAttempts } from '../../src/activities/attempts';
import type { AuditEntryInput } from '../../src/domain/audit';
import type { SagaTuning } from '../../src/domain/saga';
import { orderCheckout } from '../../src/workflows';
import { sagaStateQuery } from '../../src/workflows/saga';
import { waitFor } from '../support/http';
import { FAST_TUNING, mockOrderActivities, ORDER } from '../support/mock-activities';
import { startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';

let env: WorkflowEnv;
before(async () => {
  env = await startWorkflowEnv();
});
after(async () => {
  await env?.teardown();
});

const STARTED = 'appendAudit#status:started';

/**
 * A store that refuses every call while `down(msSinceFirstCall)` says so, and keeps what it takes.
 * `refusalTakesMs(call)` is how long the refusal of the n-th call (from 0) takes.
 */
function auditStore(down: (sinceFirstCall: number) => boolean, refusalTakesMs: (call: number) => number = () => 0) {
  const stored: AuditEntryInput[] = [];
  const refusals: number[] = [];
  /** When each refusal was answered (epoch ms). */
  const refused: number[] = [];
  let firstCall: number | null = null;
  const activities = reportAttempts({
    appendAudit: async (entry: AuditEntryInput) => {
      firstCall ??= Date.now();
      if (down(Date.now() - firstCall)) {
        const takes = refusalTakesMs(refusals.length);
        refusals.push(Date.now());
        if (takes) await new Promise((r) => setTimeout(r, takes));
        refused.push(Date.now());
        throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      }
      stored.push(entry);
      return { sagaSeq: stored.length, globalSeq: stored.length, hash: 'h' };
    },
  });
  return { activities, stored, refusals, refused, firstCall: () => firstCall };
}

function alerting() {
  const alerts: Array<{ kind: string; step: string | null; at: number }> = [];
  const sendAlert = async (alert: { kind: string; step: string | null }) => {
    alerts.push({ kind: alert.kind, step: alert.step, at: Date.now() });
  };
  return { alerts, sendAlert };
}

const start = (tuning: SagaTuning, activities: Record<string, (input: never) => Promise<unknown>>) =>
  env.start(orderCheckout, [{ order: ORDER, deadlineMs: 30_000, localSteps: false, tuning }], activities);

describe('audit store unreachable', () => {
  it('down for less than the time bound: retried until it answers, no STUCK, no alert, the saga ends normally', async () => {
    const tuning = { ...FAST_TUNING, auditStuckAfterMs: 12_000 };
    const store = auditStore((since) => since < 4_000);
    const { alerts, sendAlert } = alerting();
    const handle = await start(tuning, { ...mockOrderActivities({ sendAlert }).activities, ...store.activities });
    let everStuck = false;
    const watching = (async () => {
      for (;;) {
        const view = await handle.query(sagaStateQuery).catch(() => null);
        if (!view || view.status !== 'RUNNING') return;
        if (view.steps.some((s) => s.status === 'STUCK')) everStuck = true;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const view = await handle.result();
    await watching;
    // More refusals than the attempts bound: under that bound this outage would have made the saga STUCK.
    assert.ok(store.refusals.length >= tuning.stuckAfterAttempts, `the store refused ${store.refusals.length} calls`);
    assert.equal(view.status, 'COMPLETED', JSON.stringify(view.error));
    assert.deepEqual(alerts, [], 'no alert for a blip of the store');
    assert.equal(everStuck, false, 'never STUCK while the store was down');
    assert.ok(!view.steps.some((s) => s.name.startsWith('appendAudit#')), JSON.stringify(view.steps.map((s) => [s.name, s.status])));
    assert.deepEqual([store.stored[0]?.data.status, store.stored.at(-1)?.data.status], ['RUNNING', 'COMPLETED']);
  });

  it('down for longer than the time bound: STUCK and alerted once past the bound, still retried, and SUCCEEDED once the store is back', async () => {
    const tuning = { ...FAST_TUNING, auditStuckAfterMs: 5_000 };
    let storeDown = true;
    const store = auditStore(() => storeDown);
    const { alerts, sendAlert } = alerting();
    const startedAt = Date.now();
    const handle = await start(tuning, { ...mockOrderActivities({ sendAlert }).activities, ...store.activities });
    const stuckStep = async () => (await handle.query(sagaStateQuery)).steps.find((s) => s.name === STARTED);
    await waitFor('the audit write STUCK', async () => (await stuckStep())?.status === 'STUCK', 20_000);
    // The alert is an activity that goes out beside the STUCK view: a busy worker may show the view first.
    await waitFor('alerted', async () => alerts.length > 0, 10_000);
    assert.deepEqual(alerts.map((a) => [a.kind, a.step]), [['STUCK', STARTED]]);
    // The bound runs from when the saga began the write, which is after `startedAt` (the store's first call
    // can come a second or more later on a loaded machine, so it is no measure of the bound). The server ends
    // a round held to the bound at the last retry that starts within it (RetryState TIMEOUT): the write is
    // STUCK at most one retry interval (about 1 s here) early, never after a few attempts as before.
    const failedFor = alerts[0]!.at - startedAt;
    assert.ok(failedFor >= tuning.auditStuckAfterMs - 1_500, `alerted ${failedFor} ms after the saga was started`);
    assert.match((await stuckStep())?.error ?? '', /ECONNREFUSED/, 'the STUCK write says why');
    const refusedAtStuck = store.refusals.length;
    await waitFor('more tries while STUCK', async () => store.refusals.length > refusedAtStuck + 2, 20_000);
    assert.equal(alerts.length, 1, 'alerted once for the episode');
    storeDown = false;
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED', JSON.stringify(view.error));
    assert.equal(view.steps.find((s) => s.name === STARTED)?.status, 'SUCCEEDED');
    assert.equal(alerts.length, 1);
    assert.deepEqual([store.stored[0]?.data.status, store.stored.at(-1)?.data.status], ['RUNNING', 'COMPLETED']);
  });

  it('a bound that ends during a slow attempt (a timeout, not a refusal): the STUCK write still names what the store last answered', async () => {
    // The first refusal is at once, each later one takes 1.5 s, so the round's schedule-to-close ends in the
    // middle of an attempt: what Temporal reports is a timeout, and the last answer the store gave is its
    // cause. On a loaded machine the same happens when an attempt merely waits to be picked up.
    const tuning = { ...FAST_TUNING, auditStuckAfterMs: 4_000 };
    let storeDown = true;
    const store = auditStore(() => storeDown, (call) => (call === 0 ? 0 : 1_500));
    const { alerts, sendAlert } = alerting();
    const handle = await start(tuning, { ...mockOrderActivities({ sendAlert }).activities, ...store.activities });
    const stuckStep = async () => (await handle.query(sagaStateQuery)).steps.find((s) => s.name === STARTED);
    await waitFor('the audit write STUCK', async () => (await stuckStep())?.status === 'STUCK', 30_000);
    const error = (await stuckStep())?.error ?? '';
    assert.match(error, /timed out/, 'this case is the timeout one');
    // Judged from what was recorded: the refusals the store had answered before the round's bound ended
    // (the history's timed-out event), with a margin for the answer to reach the server.
    const { events } = await handle.fetchHistory();
    const timedOutAt = events?.find((e) => e.activityTaskTimedOutEventAttributes)?.eventTime;
    assert.ok(timedOutAt, 'the round timed out');
    const boundEnded = Number(timedOutAt.seconds) * 1000 + Math.floor((timedOutAt.nanos ?? 0) / 1e6);
    const answeredBefore = store.refused.filter((at) => at < boundEnded - 250).length;
    assert.ok(answeredBefore > 0, `no refusal was answered before the bound ended (first call ${store.firstCall()! - boundEnded} ms from it): nothing to judge`);
    assert.match(error, /ECONNREFUSED/, `the STUCK write says why (${answeredBefore} refusals answered before the bound ended)`);
    await waitFor('alerted', async () => alerts.length === 1, 10_000);
    storeDown = false;
    assert.equal((await handle.result()).status, 'COMPLETED');
  });
});
