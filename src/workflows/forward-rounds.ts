import { ApplicationFailure, CancellationScope, condition, isCancellation, log, patched, sleep, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import type { Attempted } from '../activities/attempts';
import { FailureType } from '../domain/failures';
import type { OperatorAction } from '../domain/operator';
import type { SagaTuning, StepView } from '../domain/saga';
import type { Lookup } from '../domain/steps';
import { attemptOf, describeFailure, isBusinessRejection, isLocalRejection, isNonRetryable, ranOutOfTime } from './failures';
import type { OperatorDesk } from './operator-desk';
import { Patches } from './patches';
import type { SagaRecord } from './saga-record';
import * as metrics from './saga-metrics';
import { roundLengthMs } from './undo-rounds';

/** The pivot or a step after it, as the engine settles it: it never goes back, so it goes on until it has an answer. */
export interface ForwardPlan {
  step: StepView;
  /**
   * One round of calls under `options`, all with the try's one Idempotency-Key (try 1 is the step's own
   * key, a later try, after an operator's retry of a refusal, a fresh one); `round` numbers the step's
   * rounds, so that each has its own activity id.
   */
  run: (options: ActivityOptions | LocalActivityOptions, local: boolean, tryNo?: number, round?: number) => Promise<Attempted<unknown>>;
  /** Declared local: only its first, short round runs in the worker, so it never holds the workflow task for long. */
  local: boolean;
  /** Asks the backend what became of the call; null when the step has no probe or the look-up could not answer. */
  lookUp: ((tryNo?: number) => Promise<Lookup | null>) | null;
  applied: (lookup: Lookup) => boolean;
  /** The look-up shows the call refused for good (`refusedWhen`): a pivot is refused whatever the attempt. */
  refused?: (lookup: Lookup) => boolean;
  /** The pivot ends on a definite refusal the look-up confirms; a step after the pivot waits for an operator. */
  pivot: boolean;
  /**
   * A pivot with no look-up whose definite refusal (its first attempt, before any unknown answer) decides
   * by itself: a unit's door, which the kiosk refuses only when it did not open it.
   */
  refusalDecides?: boolean;
  /**
   * Once STUCK, sent again only when an operator says so (a bike's door: opened hours later, it would open
   * a bay with nobody in front of it). Other steps go on being retried while STUCK.
   */
  holdWhenStuck?: boolean;
  /**
   * A time bound in place of the attempts bound (an audit write): the step is STUCK only once it has
   * failed for this long, and until then each round lasts until the bound, retried by the server.
   */
  stuckAfterMs?: number;
}

export interface ForwardContext {
  tuning: SagaTuning;
  record: SagaRecord;
  desk: OperatorDesk;
  alertStuck: (step: string, error: string) => Promise<void>;
  /** Patches.noSilentWaits: fresh key after an operator's retry of a refusal, an alert per STUCK episode. */
  bounded?: boolean;
  options: ActivityOptions;
  localOptions: LocalActivityOptions;
}

export type ForwardOutcome =
  | { kind: 'done'; value: unknown; attempts: number; note: string | null }
  | { kind: 'refused'; error: unknown; attempts: number }
  | { kind: 'resolved'; action: OperatorAction; attempts: number };

type Round = { ok: true; value: unknown; attempt: number } | { ok: false; error: unknown; interrupted: boolean };

/**
 * Only a definite answer decides. A success is done; an unknown answer (timeout, reset, 5xx, 409 in
 * progress, unreadable) is settled by the look-up. A call it finds applied is sent again under its key:
 * the backend answers its stored reply and the activity maps it, so the saga goes on with the value it
 * would have had; if that answer too cannot be had, the step is STUCK for an operator at once. A refusal
 * decides only on the first attempt, before any unknown one (a retry's refusal does not prove that an
 * earlier attempt did not land). Past `stuckAfterAttempts` the step is STUCK, alerted once and open to
 * an operator, and still retried in rounds that grow like an undo's, so it ends by itself. A plan with
 * `stuckAfterMs` is STUCK only once it has failed that long, however many attempts that took.
 */
export async function settleForward(plan: ForwardPlan, ctx: ForwardContext): Promise<ForwardOutcome> {
  const { step } = plan;
  let attempts = 0;
  let unknownSeen = false;
  let stuck = false;
  let alerted = false;
  /** The look-up found the call applied: the rounds from then on only fetch its answer. */
  let applied: string | null = null;
  let lastLookup: Lookup | null = null;
  let lastRefused = false;
  let tryNo = 1;
  let rounds = 0;
  /** When the step's present episode began: a time bound counts from here. */
  let since = Date.now();
  const bound = plan.stuckAfterMs;
  // A step declared local has its first tries in the worker: its first activity round holds the rest of
  // the attempts bound, so it is STUCK after `stuckAfterAttempts` in all, not after a long round.
  const spent = plan.local ? firstLocalRound(ctx).retry!.maximumAttempts! : 0;
  for (let round = 0; ; round += 1) {
    const local = plan.local && round === 0;
    const activityRound = plan.local ? round - 1 : round;
    const options = local ? firstLocalRound(ctx) : bound !== undefined && !stuck ? untilBound(ctx, since + bound - Date.now()) : roundOptions(ctx, activityRound, spent);
    const outcome = await runRound(plan, ctx, options, local, stuck, tryNo, rounds);
    rounds += 1;
    if (outcome.ok) {
      ctx.desk.close(step.name);
      return { kind: 'done', value: outcome.value, attempts: attempts + outcome.attempt, note: applied };
    }
    const { error } = outcome;
    if (!outcome.interrupted) {
      const refusal = isBusinessRejection(error) || (local && isLocalRejection(error));
      const definite = refusal && attemptOf(error) === 1 && !unknownSeen;
      if (!refusal || attemptOf(error) > 1) unknownSeen = true;
      attempts += Math.max(attemptOf(error), 1);
      const resent: boolean = applied !== null;
      lastRefused = refusal;
      // Sent again because the look-up found it applied, and refused for good (a backend with no reply
      // store refuses a second capture): the look-up already said it is in place, so it is done.
      if (resent && refusal && ctx.bounded) {
        ctx.desk.close(step.name);
        return { kind: 'done', value: lastLookup?.result ?? undefined, attempts, note: applied };
      }
      const lookup: Lookup | null = plan.lookUp && !resent ? await plan.lookUp(tryNo) : null;
      if (lookup) lastLookup = lookup;
      if (lookup && plan.pivot && plan.refused?.(lookup)) {
        // Settled by itself: an operator has nothing left to decide about it.
        ctx.desk.close(step.name);
        const confirmed = refusal ? error : ApplicationFailure.nonRetryable(`the look-up shows the call refused (${lookup.status})`, FailureType.BackendRejected, { status: lookup.status });
        return { kind: 'refused', error: confirmed, attempts };
      }
      if (lookup && plan.applied(lookup)) {
        if (!patched(Patches.resendApplied)) {
          ctx.desk.close(step.name);
          return { kind: 'done', value: lookup.result ?? undefined, attempts, note: `reconciled: ${lookup.status}` };
        }
        applied = `reconciled: ${lookup.status}`;
        continue;
      }
      if (definite && plan.pivot && (lookup || plan.refusalDecides)) {
        ctx.desk.close(step.name);
        return { kind: 'refused', error, attempts };
      }
      Object.assign(step, { attempts, error: describeFailure(error, step.name).message });
      ctx.record.touch();
      // The round under the attempts bound that ended on a retryable failure ran all its attempts, however
      // few of them the failure counts (a timeout carries no attempt number).
      const boundSpent = !local && activityRound === 0 && bound === undefined && !isNonRetryable(error);
      // A legacy unknown answer the policy does not retry never runs a round out: only the clock can tell.
      const overdue = bound === undefined ? attempts >= ctx.tuning.stuckAfterAttempts || boundSpent : patched(Patches.clockFree) && !isNonRetryable(error) ? !local && ranOutOfTime(error) : Date.now() - since >= bound;
      if (!stuck && (refusal || resent || overdue)) {
        stuck = true;
        markStuck(step, ctx, plan.refusalDecides === true);
        if (!alerted) {
          alerted = true;
          // An alert that cannot be delivered does not hold up a decision the operator takes meanwhile.
          const alert = ctx.alertStuck(step.name, step.error ?? 'no definite answer').catch(() => undefined);
          await Promise.race([alert, condition(() => ctx.desk.decided(step.name))]);
        }
      }
      // A refusal sent again under the same key is answered the same: only an operator moves it on.
      if ((refusal || (plan.holdWhenStuck && stuck)) && !ctx.desk.decided(step.name)) await condition(() => ctx.desk.decided(step.name));
      // An unknown answer the retry policy does not retry (from an older client) would loop without a pause.
      else if (!refusal && isNonRetryable(error)) await sleep(ctx.tuning.compensationBackoffMs.initial);
    }
    const decision = ctx.desk.take(step.name);
    if (!decision) continue;
    if (decision.action === 'resolve') return { kind: 'resolved', action: decision, attempts };
    // The operator found the door shut: a refusal, which gives the unit back.
    if (decision.action === 'giveBack') return { kind: 'refused', error: ApplicationFailure.nonRetryable(`${decision.operator} found it did not take effect: ${decision.reason}`, FailureType.OperatorGaveBack), attempts };
    // The same key would get the stored refusal back: an operator's retry of a refusal is a new call. An
    // unknown answer keeps its key, as the earlier call may have landed.
    if (ctx.bounded) {
      if (lastRefused) tryNo += 1;
      alerted = false;
    }
    stuck = false;
    attempts = 0;
    since = Date.now();
    round = -1;
    step.status = 'RUNNING';
    ctx.record.touch();
  }
}

/** `unit`: a unit's door, which an operator may also give back (it never opened). */
function markStuck(step: StepView, ctx: ForwardContext, unit: boolean): void {
  // An audit write enters the view only once it is STUCK (saga-trail.ts); a step is there from its start.
  if (!ctx.record.view.steps.includes(step)) ctx.record.view.steps.push(step);
  step.status = 'STUCK';
  metrics.compensationStuck(ctx.record.view.type, step.name);
  ctx.desk.open(step.name, unit);
  ctx.record.touch();
  log.error('a step that cannot go back has no definite answer; STUCK, still retried, open to an operator', { sagaId: ctx.record.view.id, step: step.name, attempts: step.attempts, error: step.error });
}

/** A local step's first round: two short tries in the worker, after which it goes on as an activity. */
function firstLocalRound(ctx: ForwardContext): LocalActivityOptions {
  const retry = ctx.localOptions.retry ?? {};
  return { ...ctx.localOptions, retry: { ...retry, maximumAttempts: Math.min(2, ctx.tuning.stuckAfterAttempts) } };
}

/**
 * The first round holds `stuckAfterAttempts` attempts (less the `spent` ones a local round made); later
 * ones last longer and longer, like an undo's.
 */
function roundOptions(ctx: ForwardContext, round: number, spent = 0): ActivityOptions {
  const { maximumAttempts: _unbounded, ...retry } = ctx.options.retry ?? {};
  if (round <= 0) return { ...ctx.options, retry: { ...retry, maximumAttempts: Math.max(ctx.tuning.stuckAfterAttempts - spent, 1) } };
  return { ...ctx.options, scheduleToCloseTimeout: roundLengthMs(ctx.tuning, round), retry };
}

/** Before its time bound, one round until the bound: however many attempts the server makes, a few events. */
function untilBound(ctx: ForwardContext, leftMs: number): ActivityOptions {
  const { maximumAttempts: _unbounded, ...retry } = ctx.options.retry ?? {};
  return { ...ctx.options, scheduleToCloseTimeout: Math.max(leftMs, 1_000), retry };
}

/** One round; an operator's decision during a round of a stuck step ends the round at once. */
async function runRound(plan: ForwardPlan, ctx: ForwardContext, options: ActivityOptions | LocalActivityOptions, local: boolean, stuck: boolean, tryNo: number, round: number): Promise<Round> {
  const scope = new CancellationScope();
  const attempt = scope.run(() => plan.run(options, local, tryNo, round));
  if (stuck) {
    const settled = attempt.then(() => true, () => true);
    await Promise.race([settled, condition(() => ctx.desk.decided(plan.step.name))]);
    if (ctx.desk.decided(plan.step.name)) scope.cancel();
  }
  try {
    const { value, attempt: n } = await attempt;
    return { ok: true, value, attempt: n };
  } catch (error) {
    return { ok: false, error, interrupted: isCancellation(error) };
  }
}
