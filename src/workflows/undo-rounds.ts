import { CancellationScope, condition, isCancellation, log, sleep, type ActivityOptions } from '@temporalio/workflow';
import type { SagaTuning, StepView } from '../domain/saga';
import type { Lookup } from '../domain/steps';
import { attemptOf, describeFailure, isBusinessRejection, isNonRetryable } from './failures';
import type { OperatorDesk } from './operator-desk';
import type { SagaRecord } from './saga-record';
import * as metrics from './saga-metrics';

/** One step's undo, as the engine settles it. */
export interface UndoPlan {
  step: StepView;
  /** One round of the undo: the server retries it under `options`; `tryNo` > 1 is a fresh Idempotency-Key. */
  run: (options: ActivityOptions, tryNo: number) => Promise<unknown>;
  /** Asks the backend what became of the forward call; true when nothing of it is in place any more. */
  isUndone?: () => Promise<boolean>;
  /** The forward call's last attempt had no definite answer (timeout, 5xx, malformed, cancelled in flight). */
  uncertain: boolean;
  onCompensated?: () => void;
}

export interface UndoContext {
  tuning: SagaTuning;
  record: SagaRecord;
  desk: OperatorDesk;
  alertStuck: (step: string, error: string) => Promise<void>;
  /** An unreadable answer is unknown like a 5xx: retried, and STUCK past the attempts bound (Patches.definiteAnswers). */
  definite?: boolean;
}

const TWO_HOURS = 2 * 60 * 60 * 1000;

type Round = { done: true } | { done: false; refused: boolean; malformed: boolean; error: string; attempts: number };

/**
 * Settles one undo. The server retries it with capped backoff inside rounds that grow to
 * `undoRoundMaxMs`, so however long it fails its history grows by about a dozen events per round, not per
 * attempt. A definite refusal (4xx) is STUCK at once with the backend's answer and waits for an operator
 * without a timer; so does a transient failure, once it is stuck, between its attempts. After an
 * operator's retry the backend is asked first, and the undo is sent with a fresh Idempotency-Key.
 */
export async function settleUndo(plan: UndoPlan, ctx: UndoContext): Promise<void> {
  const { step } = plan;
  const state = { attempts: 0, lastError: null as string | null, stuck: false };
  step.compensation = state;
  step.status = 'COMPENSATING';
  ctx.record.touch();
  if (plan.uncertain && plan.isUndone && (await plan.isUndone())) return finish(plan, ctx);
  let tryNo = 1;
  for (let round = 0; ; round += 1) {
    const outcome = await runRound(plan, ctx, roundOptions(ctx.tuning, round), tryNo, state.stuck);
    if (outcome.done) return finish(plan, ctx);
    // An answer nobody can read: the undo may have landed. Ask; if not, it is no better than a refusal.
    if (outcome.malformed && plan.isUndone && (await plan.isUndone())) return finish(plan, ctx);
    state.attempts += outcome.attempts;
    metrics.compensationAttempt(ctx.record.view.type, step.name, outcome.attempts);
    state.lastError = outcome.error;
    // The attempts and error are in the view: published (the view store has only what touch publishes).
    ctx.record.touch();
    if (!state.stuck && (outcome.refused || state.attempts >= ctx.tuning.stuckAfterAttempts)) {
      Object.assign(state, { stuck: true });
      step.status = 'STUCK';
      metrics.compensationStuck(ctx.record.view.type, step.name);
      ctx.record.touch();
      log.error('compensation stuck; waiting for an operator', { sagaId: ctx.record.view.id, step: step.name, attempts: state.attempts, lastError: state.lastError });
      ctx.desk.open(step.name);
      // An alert that cannot be delivered does not hold up a decision the operator has taken meanwhile.
      // An alert that fails for good must not abandon the compensation: the undo still waits for its operator.
      const alerted = ctx.alertStuck(step.name, state.lastError).catch(() => undefined);
      await Promise.race([alerted, condition(() => ctx.desk.decided(step.name))]);
    }
    const waits = outcome.refused || (outcome.malformed && !ctx.definite);
    // An unreadable answer the retry policy does not retry (an older client's) is sent again after a pause.
    if (outcome.malformed && ctx.definite && !ctx.desk.decided(step.name)) await sleep(ctx.tuning.compensationBackoffMs.initial);
    const decision = waits ? await ctx.desk.decision(step.name) : ctx.desk.take(step.name);
    if (!decision) continue;
    if (decision.action === 'resolve' || (plan.isUndone && (await plan.isUndone()))) return finish(plan, ctx);
    tryNo += 1;
    round = -1;
    Object.assign(state, { stuck: false });
    step.status = 'COMPENSATING';
    ctx.record.touch();
  }
}

function finish(plan: UndoPlan, ctx: UndoContext): void {
  ctx.desk.close(plan.step.name);
  plan.step.status = 'COMPENSATED';
  metrics.compensationAttempt(ctx.record.view.type, plan.step.name, 1);
  plan.onCompensated?.();
  ctx.record.touch();
}

/** The first round of a try holds `stuckAfterAttempts` attempts; later ones last longer and longer. */
function roundOptions(tuning: SagaTuning, round: number): ActivityOptions {
  const { initial, max } = tuning.compensationBackoffMs;
  const retry = { initialInterval: initial, backoffCoefficient: 2, maximumInterval: max };
  if (round === 0) return { startToCloseTimeout: '10 seconds', retry: { ...retry, maximumAttempts: tuning.stuckAfterAttempts } };
  return { startToCloseTimeout: '10 seconds', scheduleToCloseTimeout: roundLengthMs(tuning, round), retry };
}

/** How long round `round` (1 and up) of a stuck undo lasts: ten backoff caps, doubling up to the round cap. */
export function roundLengthMs(tuning: SagaTuning, round: number): number {
  return Math.min(tuning.compensationBackoffMs.max * 10 * 2 ** (round - 1), tuning.undoRoundMaxMs ?? TWO_HOURS);
}

/** One round; an operator's decision during a round of a stuck undo ends the round at once. */
async function runRound(plan: UndoPlan, ctx: UndoContext, options: ActivityOptions, tryNo: number, stuck: boolean): Promise<Round> {
  const scope = new CancellationScope();
  const attempt = scope.run(() => plan.run(options, tryNo));
  if (stuck) {
    const settled = attempt.then(() => true, () => true);
    await Promise.race([settled, condition(() => ctx.desk.decided(plan.step.name))]);
    if (ctx.desk.decided(plan.step.name)) scope.cancel();
  }
  try {
    await attempt;
    return { done: true };
  } catch (err) {
    if (isCancellation(err)) return { done: false, refused: false, malformed: false, error: 'interrupted by an operator decision', attempts: 0 };
    const refused = isBusinessRejection(err);
    const malformed = !refused && isNonRetryable(err);
    return { done: false, refused, malformed, error: describeFailure(err, plan.step.name).message, attempts: Math.max(attemptOf(err), 1) };
  }
}

/**
 * Whether a look-up shows the forward call already undone. A call the backend never saw is not: its undo
 * is still sent, so the backend records that a late arrival of the call must not take effect.
 */
export function undoneBy(lookup: Lookup, undone: readonly string[] | undefined): boolean {
  return lookup.found && lookup.status !== null && (undone ?? []).includes(lookup.status);
}
