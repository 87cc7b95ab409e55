import { ActivityFailure, ApplicationFailure, CancellationScope, condition, log, patched, sleep, TimeoutFailure, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import { FailureType } from '../domain/failures';
import type { SagaError, StepView } from '../domain/saga';
import type { Lookup } from '../domain/steps';
import { describeFailure, isBusinessRejection, isLocalRejection, ranOutOfTime } from './failures';
import type { ForwardContext, ForwardPlan } from './forward-rounds';
import { OperatorDesk } from './operator-desk';
import { Patches } from './patches';
import { withStepRetryInitial, type SagaOptions } from './saga-options';
import { SagaRecord } from './saga-record';
import { StepCaller, type Invocation } from './step-caller';
import type { CallOptions, StepDecl } from './steps';

/** before: compensable; inFlight: the pivot was sent, so never compensated; refused: the backend said no and confirmed it. */
export type PivotState = 'before' | 'inFlight' | 'refused' | 'passed';

/**
 * What the parts of the saga engine share: the view, the caller, the operator desk, where the saga stands
 * towards its pivot and its deadline, and the options each kind of call runs under.
 */
export class SagaContext {
  readonly options: SagaOptions;
  readonly record: SagaRecord;
  readonly caller: StepCaller;
  /** Only definite answers decide (see Patches.definiteAnswers). */
  readonly definite: boolean;
  readonly desk: OperatorDesk;
  /** Nothing waits in silence (see Patches.noSilentWaits). */
  readonly bounded: boolean;
  /** A unit passed its own point of no return (Saga.passUnit): a step with no unit goes only forward. */
  unitKept = false;
  private alerts = 0;
  pivotState: PivotState = 'before';
  stopReason: SagaError | null = null;
  /** Workflow time by which the pivot must be reached; every step before it is bounded by what is left. */
  deadlineAt: number | null = null;
  /**
   * The deadline judged by its timer (Patches.clockFree), not by the clock: null for a saga that began
   * before it; then whether the timer fired.
   */
  private deadlineFired: boolean | null = null;

  constructor(options: SagaOptions) {
    this.options = withStepRetryInitial(options);
    const declared = patched(Patches.declaredSteps);
    this.record = new SagaRecord(options.type);
    this.caller = new StepCaller(this.record.view.id, declared, this.options.afterPivot);
    this.definite = declared && patched(Patches.definiteAnswers);
    this.desk = new OperatorDesk(this.record);
    this.bounded = this.definite && patched(Patches.noSilentWaits);
  }

  get id(): string {
    return this.record.view.id;
  }

  get pivoted(): boolean {
    return this.pivotState === 'passed';
  }

  /** The call's choice, else the declaration's; SAGAWAY_LOCAL_STEPS=false makes every call an activity. */
  runsLocally<A, I>(decl: StepDecl<A, I>, call: CallOptions): boolean {
    return (call.local ?? decl.local === true) && this.options.localSteps !== false;
  }

  optionsFor(step: string, local: boolean): { local: boolean; opts: ActivityOptions | LocalActivityOptions } {
    const kind = this.pivoted ? 'afterPivot' : 'forward';
    const opts = local ? this.options.local[kind] : this.options[kind];
    return { local, opts: this.pivoted ? opts : this.withinDeadline(opts, step) };
  }

  /**
   * The saga's deadline needs no timer of its own: each step before the pivot gets what is left of it as
   * its schedule-to-close timeout, so the server ends a step that would overrun, and a step that starts
   * after the deadline does not start at all. The pivot, once sent, is not bounded by it.
   */
  withinDeadline<O extends ActivityOptions | LocalActivityOptions>(opts: O, step: string): O {
    if (this.deadlineAt === null) return opts;
    const left = this.deadlineAt - Date.now();
    if (this.deadlineFired === null ? left <= 0 : this.deadlineFired) {
      this.stopReason ??= deadlineError(step);
      throw ApplicationFailure.nonRetryable(this.stopReason.message, FailureType.DeadlineExceeded);
    }
    // Before the timer fired, the clock (the worker's, after a local activity) may already read past the
    // deadline: the step is sent all the same, and the server ends it at once.
    return { ...opts, scheduleToCloseTimeout: Math.max(left, MIN_LEFT_MS) };
  }

  /** The saga's deadline, from now; a timer of its own unless the saga began before Patches.clockFree. */
  startDeadline(deadlineMs: number | undefined): void {
    if (!deadlineMs) return;
    this.deadlineAt = Date.now() + deadlineMs;
    if (!patched(Patches.clockFree)) return;
    this.deadlineFired = false;
    void CancellationScope.nonCancellable(() => sleep(deadlineMs)).then(() => {
      this.deadlineFired = true;
    });
  }

  noteDeadline(err: unknown, step: string): void {
    if (this.deadlineAt === null || this.pivotState !== 'before') return;
    // An activity's timeout comes wrapped in its failure, a local activity's as it is.
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (this.deadlineFired === null) {
      if (cause instanceof TimeoutFailure && Date.now() >= this.deadlineAt) this.stopReason ??= deadlineError(step);
      return;
    }
    if (this.cutByDeadline(err) || (this.deadlineFired && cause instanceof TimeoutFailure)) this.stopReason ??= deadlineError(step);
  }

  /** A step before the pivot that its deadline ended (Patches.clockFree): only the deadline gives it a schedule-to-close. */
  cutByDeadline(err: unknown): boolean {
    return this.deadlineFired !== null && this.pivotState === 'before' && ranOutOfTime(err);
  }

  alert(kind: 'STUCK' | 'FAILED', step: string | null, error: string | null): Promise<void> {
    const seq = this.bounded ? ++this.alerts : 0;
    return CancellationScope.nonCancellable(() => this.caller.alert({ sagaId: this.id, sagaType: this.options.type, kind, step, error }, seq));
  }

  /**
   * A STUCK step's alert. Bounded: sent and not waited for (a webhook that is down must not stop the
   * step's rounds), under its own activity id; before, the caller waited for it or for an operator.
   */
  alertStuck(step: string, error: string): Promise<void> {
    const alerted = this.alert('STUCK', step, error);
    if (!this.bounded) return alerted;
    alerted.catch(() => undefined);
    return Promise.resolve();
  }

  /** A look-up bounded to one round of `stuckAfterAttempts` attempts. */
  probeOptions(): ActivityOptions {
    return { ...this.options.afterPivot, retry: { ...this.options.afterPivot.retry, maximumAttempts: this.options.tuning.stuckAfterAttempts } };
  }

  /** Whether a step runs as the pivot or a step after it: settled in rounds, never compensated. */
  goesOnlyForward(call: CallOptions): boolean {
    return this.definite && (this.pivoted || (this.bounded && this.unitKept && call.unit === undefined));
  }

  /**
   * The pivot or a step after it, as settleForward runs it: every round under the step's one key, except
   * that an operator's retry of a refused step (try 2 and later, bounded) is sent as `label~N`.
   */
  forwardPlan<A, I>(decl: StepDecl<A, I>, call: Omit<Invocation, 'opts'>, pivot: boolean, step: StepView, reference?: string): ForwardPlan {
    const probe = decl.probe;
    const probeOpts = this.probeOptions();
    const labelOfTry = (tryNo: number) => (tryNo > 1 ? `${call.label}~${tryNo}` : call.label);
    return {
      step,
      pivot,
      local: call.local,
      run: (opts, local, tryNo = 1, round = 0) => {
        const label = labelOfTry(tryNo);
        const activityId = this.bounded && round > 0 ? `${label}:round${round}` : undefined;
        return this.caller.invoke({ ...call, label, local, opts, activityId });
      },
      lookUp: probe
        ? (tryNo = 1) => {
            const key = this.caller.keyOf(labelOfTry(tryNo));
            return this.caller.settleBy(probe, reference ?? key, key, call.label, probeOpts);
          }
        : null,
      applied: (lookup) => appliedBy(lookup, decl),
      refused: (lookup) => this.bounded && lookup.found && lookup.status !== null && (decl.refusedWhen ?? []).includes(lookup.status),
    };
  }

  forwardContext(): ForwardContext {
    return {
      tuning: this.options.tuning,
      record: this.record,
      desk: this.desk,
      alertStuck: (step, err) => this.alertStuck(step, err),
      bounded: this.bounded,
      options: this.options.afterPivot,
      localOptions: this.options.local.afterPivot,
    };
  }

  /** A step after the pivot that failed for good (sagas started before definite answers): an operator decides. */
  async afterPivotDecision(step: StepView, err: unknown): Promise<'retry' | 'resolve'> {
    log.error('a step after the pivot failed for good; waiting for an operator', { sagaId: this.id, step: step.name });
    step.status = 'STUCK';
    this.record.touch();
    // The desk opens with the STUCK status: an alert that cannot be delivered must not keep the operator out.
    this.desk.open(step.name);
    // An alert that fails for good (a webhook answering 4xx) is logged by its activity; the step still
    // waits for its operator, it does not end the saga.
    const alerted = this.alert('STUCK', step.name, describeFailure(err, step.name).message).catch(() => undefined);
    await Promise.race([alerted, condition(() => this.desk.decided(step.name))]);
    const decision = await this.desk.decision(step.name);
    if (decision.action === 'resolve') this.record.end(step, 'SUCCEEDED', step.attempts, `resolved by ${decision.operator}`);
    // The desk takes giveBack only on a unit's door, which this step is not.
    return decision.action === 'resolve' ? 'resolve' : 'retry';
  }
}

/** A step sent when the clock already reads past the deadline, its timer not yet fired, is given this long. */
const MIN_LEFT_MS = 50;

function deadlineError(step: string): SagaError {
  return { type: FailureType.DeadlineExceeded, message: 'the saga did not reach its point of no return before its deadline', step };
}

/** Whether a look-up shows the step's effect in place. */
export function appliedBy<A, I>(lookup: Lookup, decl: StepDecl<A, I>): boolean {
  return lookup.found && (!decl.appliedWhen || (lookup.status !== null && decl.appliedWhen.includes(lookup.status)));
}

/** A backend's definitive "no"; a local activity's failure comes unwrapped, an activity's wrapped. */
export function refused(err: unknown, local: boolean): boolean {
  return isBusinessRejection(err) || (local && isLocalRejection(err));
}
