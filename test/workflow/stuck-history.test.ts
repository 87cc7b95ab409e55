import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { DEFAULT_TUNING } from '../../src/domain/saga';
import { orderCheckout } from '../../src/workflows';
import { roundLengthMs } from '../../src/workflows/undo-rounds';
import { startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';
import { mockOrderActivities, ORDER } from '../support/mock-activities';
import { waitFor } from '../support/http';

let env: WorkflowEnv;
before(async () => {
  env = await startWorkflowEnv();
});
after(async () => {
  await env?.teardown();
});

const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1_000;
const HISTORY_BOUND = 5_000;
/** Temporal terminates a workflow whose history reaches this many events. */
const TEMPORAL_LIMIT = 51_200;

/** How many undo rounds a saga stuck for `ms` goes through with the real tuning (rounds grow to 2 hours). */
function roundsWithin(ms: number): number {
  let rounds = 0;
  for (let spent = 0; spent < ms; rounds += 1) spent += roundLengthMs(DEFAULT_TUNING, rounds + 1);
  return rounds;
}

/**
 * A month of a stuck undo is a number of rounds, not of attempts: the server retries inside a round and
 * only the round's end is in the history. So the test runs real rounds on a real server, made short
 * (200 ms; the server spaces attempts at least a second apart, so each later round is one attempt and
 * lasts about a second), measures the events each adds, and holds that to what 30 days of rounds at the
 * real tuning would add. (The time-skipping test server would run the month itself, but it is a
 * download this machine cannot make.)
 */
describe('a saga stuck for 30 days', () => {
  it('adds a bounded number of events per round, stays under 5,000 for a month of rounds, and finishes once the backend recovers', { timeout: 120_000 }, async () => {
    let rounds = 0;
    let attempts = 0;
    let healed = false;
    const { activities } = mockOrderActivities({
      createShipment: async () => {
        throw ApplicationFailure.nonRetryable('the carrier refuses the address', 'AddressRejected');
      },
      voidPayment: async () => {
        attempts += 1;
        if (Context.current().info.attempt === 1) rounds += 1;
        if (!healed) throw new Error('payments POST /voids: HTTP 503');
      },
    });
    const tuning = { stuckAfterAttempts: 3, compensationBackoffMs: { initial: 1, max: 1 }, undoRoundMaxMs: 200 };
    const started = await env.start(orderCheckout, [{ order: ORDER, deadlineMs: 60_000, tuning }], activities);
    const historyAt = async (atLeast: number) => {
      await waitFor(`undo round ${atLeast}`, async () => rounds >= atLeast, 60_000);
      return { rounds, attempts, events: (await started.describe()).historyLength ?? 0 };
    };
    const early = await historyAt(3);
    const late = await historyAt(9);
    const perRound = (late.events - early.events) / (late.rounds - early.rounds);
    const monthOfRounds = roundsWithin(THIRTY_DAYS_MS);
    const projected = Math.round(early.events + perRound * monthOfRounds);
    process.stdout.write(`# ${late.rounds} rounds, ${late.attempts} attempts, ${late.events} events: ${perRound.toFixed(1)} events per round; 30 days are ${monthOfRounds} rounds, about ${projected} events\n`);

    const stuck = await started.query<any>('sagaState');
    assert.equal(stuck.status, 'COMPENSATING');
    assert.equal(stuck.steps.find((s: any) => s.name === 'authorizePayment').status, 'STUCK');
    // The server retries inside a round: the first round's three attempts were one scheduled activity.
    const history = await started.fetchHistory();
    const voidsScheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'voidPayment').length;
    assert.ok(late.attempts >= voidsScheduled + 2, `${late.attempts} attempts on ${voidsScheduled} scheduled undo calls`);
    assert.ok(perRound <= 12, `${perRound} events per round: a round must not add an event per attempt`);
    assert.ok(projected < HISTORY_BOUND && HISTORY_BOUND < TEMPORAL_LIMIT, `about ${projected} events after 30 days of rounds`);

    healed = true;
    const view = await started.result();
    assert.equal(view.status, 'COMPENSATED');
    assert.equal(view.steps.find((s) => s.name === 'authorizePayment')?.status, 'COMPENSATED');
  });
});
