/**
 * The saga engine every sagaway workflow shares.
 *
 *   step(a, undo a') -> step(b, undo b') -> pivot(c) -> step(d) ...
 *   failure or cancel before the pivot:  b' -> a'   (reverse order, non-cancellable, settled one by one)
 *   once the pivot is attempted:         only forward; it is retried until it has a definite answer
 *
 * It keeps the saga view that the state query answers, upserts the SagaStatus search attribute and the
 * current details the Temporal UI shows, and always ends with a view whose status says how it ended.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineUpdate,
  isCancellation,
  log,
  patched,
  setHandler,
  sleep,
  TimeoutFailure,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { Attempted } from '../activities/attempts';
import { FailureType } from '../domain/failures';
import { Messages, type CancelRequest } from '../domain/messages';
import type { SagaError, SagaStatus, SagaTuning, SagaType, SagaView, StepView } from '../domain/saga';
import type { Lookup, Reference } from '../domain/steps';
import { compensateOne } from './compensation';
import { attemptOf, describeFailure, isBusinessRejection, isLocalRejection } from './failures';
import { OperatorDesk } from './operator-desk';
import { Patches } from './patches';
import { SagaRecord } from './saga-record';
import { StepCaller, type Invocation } from './step-caller';
import { labelOf, type ActivityFn, type CallOptions, type Input, type Output, type StepDecl, type StepDecls } from './steps';
import { settleForward, type ForwardContext, type ForwardPlan } from './forward-rounds';
import { settleUndo, undoneBy, type UndoContext, type UndoPlan } from './undo-rounds';

export const sagaStateQuery = defineQuery<SagaView>(Messages.sagaStateQuery);
export const cancelUpdate = defineUpdate<{ status: SagaStatus }, [CancelRequest]>(Messages.cancelUpdate);

export interface SagaOptions {
  type: SagaType;
  tuning: SagaTuning;
  /** Forward steps before the pivot: retried a bounded number of times, then the saga compensates. */
  forward: ActivityOptions;
  /** One attempt of a compensation (sagas started before declared steps retry it themselves). */
  undo: ActivityOptions;
  /** The pivot, steps after it, probes and alerts: retried until they have an answer. */
  afterPivot: ActivityOptions;
  /**
   * Local steps (short idempotent calls without undo) run in the worker, recorded as markers: no activity
   * task round trip through the server; the Temporal UI shows them as markers and their retries happen
   * inside the worker.
   */
  local: { forward: LocalActivityOptions; afterPivot: LocalActivityOptions };
  /** False runs every step as an ordinary activity, even the ones declared local. */
  localSteps?: boolean;
}

/** The options with every step's first retry after `tuning.stepRetryInitialMs`, when the tuning says so. */
function withStepRetryInitial(options: SagaOptions): SagaOptions {
  const ms = options.tuning.stepRetryInitialMs;
  if (ms === undefined) return options;
  const retried = <O extends ActivityOptions | LocalActivityOptions>(o: O): O => ({ ...o, retry: { ...o.retry, initialInterval: ms } });
  return {
    ...options,
    forward: retried(options.forward),
    afterPivot: retried(options.afterPivot),
    local: { forward: retried(options.local.forward), afterPivot: retried(options.local.afterPivot) },
  };
}

/** before: compensable; inFlight: the pivot was sent, so never compensated; refused: the backend said no and confirmed it. */
type PivotState = 'before' | 'inFlight' | 'refused' | 'passed';

interface Registered extends Omit<UndoPlan, 'run'> {
  run: (opts: ActivityOptions, tryNo: number) => Promise<unknown>;
}

export class Saga<A extends Record<string, ActivityFn>, D extends StepDecls<A>> {
  private readonly record: SagaRecord;
  private readonly caller: StepCaller;
  private readonly desk: OperatorDesk;
  private readonly compensations: Registered[] = [];
  private readonly scope = new CancellationScope();
  private pivotState: PivotState = 'before';
  private stopReason: SagaError | null = null;
  /** Workflow time by which the pivot must be reached; every step before it is bounded by what is left. */
  private deadlineAt: number | null = null;

  private readonly options: SagaOptions;
  /** Only definite answers decide (see Patches.definiteAnswers). */
  private readonly definite: boolean;

  constructor(
    options: SagaOptions,
    private readonly steps: D,
  ) {
    this.options = withStepRetryInitial(options);
    const declared = patched(Patches.declaredSteps);
    this.record = new SagaRecord(options.type);
    this.caller = new StepCaller(this.record.view.id, declared, this.options.afterPivot);
    this.definite = declared && patched(Patches.definiteAnswers);
    this.desk = new OperatorDesk(this.record);
    setHandler(sagaStateQuery, () => this.record.view);
    setHandler(cancelUpdate, (request) => this.requestCancel(request), {
      validator: (_request: CancelRequest) => this.validateCancel(),
    });
  }

  get id(): string {
    return this.record.view.id;
  }

  private get pivoted(): boolean {
    return this.pivotState === 'passed';
  }

  /** Runs the saga body and returns the final view: COMPLETED, COMPENSATED, or FAILED after the pivot. */
  async run<R>(body: () => Promise<R>, deadlineMs?: number): Promise<SagaView<R>> {
    this.deadlineAt = deadlineMs ? Date.now() + deadlineMs : null;
    let result: R;
    try {
      result = await this.scope.run(body);
    } catch (err) {
      const error = this.stopReason ?? describeFailure(err, this.record.currentStep());
      if (this.pivotState === 'passed' || this.pivotState === 'inFlight') return this.fail<R>(error);
      await this.compensate(error);
      return this.record.finish<R>('COMPENSATED', null, error);
    }
    return this.record.finish<R>('COMPLETED', result, null);
  }

  /** Runs one declared step; its undo is registered before the call, as the call may land. */
  async step<K extends keyof D & keyof A & string>(name: K, input: Input<A[K]>, call: CallOptions = {}): Promise<Output<A[K]>> {
    const decl = this.declOf<Input<A[K]>>(name);
    const label = labelOf(name, call.unit);
    const step = this.record.begin(label);
    const undo = decl.undo ? this.register(decl, step, label, input, call) : null;
    const local = this.runsLocally(decl, call);
    const activity = this.caller.declared ? name : (decl.legacy?.activity ?? name);
    const summary = call.summary ?? decl.summary?.(input) ?? label;
    if (this.pivoted && this.definite) {
      const outcome = await CancellationScope.nonCancellable(() => settleForward(this.forwardPlan(decl, { activity, input, label, local, summary }, false, step), this.forwardContext()));
      if (outcome.kind === 'resolved') this.record.end(step, 'SUCCEEDED', outcome.attempts, `resolved by ${outcome.action.operator}`);
      else if (outcome.kind === 'done') this.record.end(step, 'SUCCEEDED', outcome.attempts, outcome.note);
      if (undo) undo.uncertain = false;
      return (outcome.kind === 'done' ? outcome.value : undefined) as Output<A[K]>;
    }
    for (let tryNo = 1; ; tryNo += 1) {
      const tryLabel = tryNo === 1 ? label : `${label}~${tryNo}`;
      let fellBack = false;
      const call = { activity, input, label: tryLabel, summary };
      const run = () =>
        local && this.definite
          ? this.boundedLocal(call, label, () => {
              fellBack = true;
            })
          : this.caller.invoke({ ...call, ...this.optionsFor(label, local) });
      try {
        const { value, attempt } = await (this.pivoted ? CancellationScope.nonCancellable(run) : run());
        this.record.end(step, 'SUCCEEDED', attempt, null);
        if (undo) undo.uncertain = false;
        return value as Output<A[K]>;
      } catch (err) {
        this.noteDeadline(err, label);
        this.record.end(step, 'FAILED', attemptOf(err), describeFailure(err, label).message);
        // Only local holds have an undo to drop: see order-checkout.
        // A refusal after an attempt with no definite answer does not prove that attempt did not land.
        if (refused(err, local) && (!this.definite || (attemptOf(err) === 1 && !fellBack))) this.dropCompensation(step);
        if (!this.pivoted || !this.caller.declared || isCancellation(err)) throw err;
        // Past the pivot the saga cannot go back: it waits for an operator to retry or resolve the step.
        if ((await this.afterPivotDecision(step, err)) === 'resolve') return undefined as Output<A[K]>;
      }
    }
  }

  /**
   * The point of no return, from the moment it is sent: neither a cancel nor the deadline stops it, and
   * a timeout or a 5xx is retried until the call has an answer. A refusal compensates only when the
   * backend confirms that nothing was applied; an answer that says it was applied is taken as success.
   */
  async pivot<K extends keyof D & keyof A & string>(name: K, input: Input<A[K]>, call: CallOptions = {}): Promise<Output<A[K]>> {
    if (!this.caller.declared) {
      const result = await this.step(name, input, call);
      this.pivotState = 'passed';
      this.record.touch();
      return result;
    }
    const decl = this.declOf<Input<A[K]>>(name);
    const label = labelOf(name, call.unit);
    if (this.stopReason) throw ApplicationFailure.nonRetryable(this.stopReason.message, this.stopReason.type);
    this.withinDeadline(this.options.afterPivot, label);
    this.pivotState = 'inFlight';
    const step = this.record.begin(label);
    const summary = call.summary ?? decl.summary?.(input) ?? label;
    const reference = (input as Partial<Reference>).reference ?? this.caller.keyOf(label);
    const local = this.runsLocally(decl, call);
    const opts = local ? this.options.local.afterPivot : this.options.afterPivot;
    if (this.definite) {
      const plan = this.forwardPlan(decl, { activity: name, input, label, local, summary }, true, step, reference);
      const outcome = await CancellationScope.nonCancellable(() => settleForward(plan, this.forwardContext()));
      if (outcome.kind === 'refused') {
        this.record.end(step, 'FAILED', outcome.attempts, describeFailure(outcome.error, label).message);
        this.pivotState = 'refused';
        throw outcome.error;
      }
      const note = outcome.kind === 'resolved' ? `resolved by ${outcome.action.operator}` : outcome.note;
      return this.passPivot(step, outcome.attempts, note, (outcome.kind === 'done' ? outcome.value : undefined) as Output<A[K]>);
    }
    let unreadable = 0;
    for (;;) {
      try {
        const run = () => this.caller.invoke({ activity: name, input, label, local, opts, summary });
        const { value, attempt } = await CancellationScope.nonCancellable(run);
        return this.passPivot(step, attempt, null, value as Output<A[K]>);
      } catch (err) {
        const lookup = decl.probe ? await CancellationScope.nonCancellable(() => this.caller.lookUp(decl.probe!, reference, label)) : null;
        if (lookup && appliedBy(lookup, decl)) return this.passPivot(step, attemptOf(err), `reconciled: ${lookup.status}`, undefined as Output<A[K]>);
        this.record.end(step, 'FAILED', attemptOf(err), describeFailure(err, label).message);
        if (!lookup) throw err; // nobody can say whether it landed: FAILED, for an operator, never compensated
        if (refused(err, local)) {
          this.pivotState = 'refused';
          throw err;
        }
        // An answer nobody could read, and nothing applied: send it again, under the same key. Past a few
        // tries an operator decides (resend or resolve), so the loop cannot outgrow the saga's history.
        unreadable += 1;
        if (unreadable >= this.options.tuning.stuckAfterAttempts && patched(Patches.pivotDesk)) {
          unreadable = 0;
          if ((await this.afterPivotDecision(step, err)) === 'resolve') return this.passPivot(step, step.attempts, step.error, undefined as Output<A[K]>);
          continue;
        }
        await CancellationScope.nonCancellable(() => sleep(this.options.tuning.compensationBackoffMs.initial));
      }
    }
  }

  /** The reference of an earlier step's call (its Idempotency-Key), for a step that moves its record. */
  referenceOf(name: keyof D & string, unit?: number | string): Reference {
    return { reference: this.caller.keyOf(labelOf(name, unit)) };
  }

  /** A step that is not one activity (a wait for a signal, say), tracked in the view like the others. */
  async track<T>(name: string, work: () => Promise<T>): Promise<T> {
    const step = this.record.begin(name);
    try {
      const value = await work();
      this.record.end(step, 'SUCCEEDED', 1, null);
      return value;
    } catch (err) {
      this.record.end(step, 'FAILED', 1, describeFailure(err, name).message);
      throw err;
    }
  }

  /** Runs steps side by side; waits for all of them to settle before a failure moves on to compensation. */
  async all<T extends readonly unknown[]>(branches: { [I in keyof T]: () => Promise<T[I]> }): Promise<T> {
    const settled = await Promise.allSettled(branches.map((branch) => branch()));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
  }

  /** Ends the saga with a business rejection decided in the workflow itself; what was done is undone. */
  reject(type: FailureType, message: string): never {
    throw ApplicationFailure.nonRetryable(message, type);
  }

  /** Saga-specific fields shown at the top level of the view. */
  annotate(details: Record<string, unknown>): void {
    this.record.annotate(details);
  }

  private declOf<I>(name: string): StepDecl<A, I> {
    return (this.steps[name as keyof D] ?? {}) as StepDecl<A, I>;
  }

  private register<I>(decl: StepDecl<A, I>, step: StepView, label: string, input: I, call: CallOptions): Registered {
    const undo: Registered = {
      step,
      uncertain: true,
      onCompensated: call.onCompensated,
      run: (opts, tryNo) => this.caller.undo(decl, label, input, opts, tryNo),
      isUndone: decl.probe ? () => this.isUndone(decl, label) : undefined,
    };
    this.compensations.push(undo);
    return undo;
  }

  /**
   * Whether the backend shows the step undone already. A probe that cannot answer (a refusal, an answer
   * nobody can read) says nothing: the undo is sent, which is always safe, rather than the compensation
   * of every other step being abandoned.
   */
  private async isUndone<I>(decl: StepDecl<A, I>, label: string): Promise<boolean> {
    try {
      return undoneBy(await this.caller.lookUp(decl.probe!, this.caller.keyOf(label), label), decl.undone);
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('the probe could not say what became of the call; undoing it anyway', { sagaId: this.id, step: label, error: describeFailure(err, label).message });
      return false;
    }
  }

  /**
   * A local step before the pivot: two short tries in the worker, then the rest of its attempts as an
   * ordinary activity, so a step that keeps failing never holds the workflow task (and the state query).
   */
  private async boundedLocal(call: Omit<Invocation, 'opts' | 'local'>, label: string, fellBack: () => void): Promise<Attempted<unknown>> {
    const local = this.optionsFor(label, true).opts;
    const max = local.retry?.maximumAttempts;
    const tries = Math.min(2, max ?? 2);
    try {
      return await this.caller.invoke({ ...call, local: true, opts: { ...local, retry: { ...local.retry, maximumAttempts: tries } } });
    } catch (err) {
      if (isCancellation(err) || refused(err, true) || (max !== undefined && max <= tries)) throw err;
      fellBack();
      const opts = this.optionsFor(label, false).opts as ActivityOptions;
      const retry = max === undefined ? opts.retry : { ...opts.retry, maximumAttempts: max - tries };
      const answer = await this.caller.invoke({ ...call, local: false, opts: { ...opts, retry } });
      return { value: answer.value, attempt: answer.attempt + tries };
    }
  }

  /** The pivot or a step after it, as settleForward runs it: every round under the step's one key. */
  private forwardPlan<I>(decl: StepDecl<A, I>, call: Omit<Invocation, 'opts'>, pivot: boolean, step: StepView, reference?: string): ForwardPlan {
    const key = this.caller.keyOf(call.label);
    const probe = decl.probe;
    const probeOpts = { ...this.options.afterPivot, retry: { ...this.options.afterPivot.retry, maximumAttempts: this.options.tuning.stuckAfterAttempts } };
    return {
      step,
      pivot,
      local: call.local,
      run: (opts, local) => this.caller.invoke({ ...call, local, opts }),
      lookUp: probe ? () => this.caller.settleBy(probe, reference ?? key, key, call.label, probeOpts) : null,
      applied: (lookup) => appliedBy(lookup, decl),
    };
  }

  private forwardContext(): ForwardContext {
    return {
      tuning: this.options.tuning,
      record: this.record,
      desk: this.desk,
      alertStuck: (step, err) => this.alert('STUCK', step, err),
      options: this.options.afterPivot,
      localOptions: this.options.local.afterPivot,
    };
  }

  private passPivot<T>(step: StepView, attempt: number, note: string | null, value: T): T {
    this.record.end(step, 'SUCCEEDED', attempt, note);
    this.pivotState = 'passed';
    return value;
  }

  private async afterPivotDecision(step: StepView, err: unknown): Promise<'retry' | 'resolve'> {
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
    return decision.action;
  }

  private async fail<R>(error: SagaError): Promise<SagaView<R>> {
    log.error('saga failed after its pivot; it needs an operator', { sagaId: this.id, error });
    const view = this.record.finish<R>('FAILED', null, error);
    // An alert refused for good (webhook 4xx) must not turn the FAILED view into a failed workflow.
    if (this.caller.declared) await this.alert('FAILED', error.step, error.message).catch(() => undefined);
    return view;
  }

  private alert(kind: 'STUCK' | 'FAILED', step: string | null, error: string | null): Promise<void> {
    return CancellationScope.nonCancellable(() => this.caller.alert({ sagaId: this.id, sagaType: this.options.type, kind, step, error }));
  }

  private validateCancel(): void {
    if (this.pivotState === 'passed' || this.pivotState === 'inFlight') {
      throw ApplicationFailure.nonRetryable('the saga passed its pivot and can no longer be cancelled', 'PastPivot');
    }
    const { status } = this.record.view;
    if (status !== 'RUNNING') throw ApplicationFailure.nonRetryable(`the saga is already ${status}`, 'NotRunning');
  }

  private requestCancel(request: CancelRequest): { status: SagaStatus } {
    this.stop({ type: FailureType.Cancelled, message: request.reason || 'cancelled by the client', step: this.record.currentStep() });
    return { status: 'COMPENSATING' };
  }

  private stop(reason: SagaError): void {
    this.stopReason ??= reason;
    this.scope.cancel();
  }

  /**
   * The saga's deadline needs no timer of its own: each step before the pivot gets what is left of it as
   * its schedule-to-close timeout, so the server ends a step that would overrun, and a step that starts
   * after the deadline does not start at all. The pivot, once sent, is not bounded by it.
   */
  private withinDeadline<O extends ActivityOptions | LocalActivityOptions>(opts: O, step: string): O {
    if (this.deadlineAt === null) return opts;
    const left = this.deadlineAt - Date.now();
    if (left <= 0) {
      this.stopReason ??= this.deadlineError(step);
      throw ApplicationFailure.nonRetryable(this.stopReason.message, FailureType.DeadlineExceeded);
    }
    return { ...opts, scheduleToCloseTimeout: left };
  }

  private noteDeadline(err: unknown, step: string): void {
    if (this.deadlineAt === null || this.pivotState !== 'before' || Date.now() < this.deadlineAt) return;
    // An activity's timeout comes wrapped in its failure, a local activity's as it is.
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (cause instanceof TimeoutFailure) this.stopReason ??= this.deadlineError(step);
  }

  private deadlineError(step: string): SagaError {
    return { type: FailureType.DeadlineExceeded, message: 'the saga did not reach its point of no return before its deadline', step };
  }

  private async compensate(error: SagaError): Promise<void> {
    this.record.setStatus('COMPENSATING');
    log.warn('compensating', { sagaId: this.id, reason: error.type, step: error.step });
    const ctx = { tuning: this.options.tuning, record: this.record, desk: this.desk, alertStuck: (step: string, err: string) => this.alert('STUCK', step, err), definite: this.definite };
    await CancellationScope.nonCancellable(async () => {
      if (this.definite) return this.settleUndos(ctx);
      for (const undo of [...this.compensations].reverse()) {
        if (this.caller.declared) await settleUndo(undo, ctx);
        else await compensateOne({ ...undo, run: () => undo.run(this.options.undo, 1) }, this.options.tuning, this.record);
      }
    });
  }

  /**
   * Newest first, one at a time; an undo that is STUCK is left retrying (and open to an operator) while
   * the ones after it run, and the saga ends once every one has settled.
   */
  private async settleUndos(ctx: UndoContext): Promise<void> {
    const pending: Array<Promise<void>> = [];
    for (const undo of [...this.compensations].reverse()) {
      let settled = false;
      const settling = settleUndo(undo, ctx).then(() => {
        settled = true;
      });
      await condition(() => settled || undo.step.status === 'STUCK');
      if (!settled) pending.push(settling);
    }
    await Promise.all(pending);
  }

  private optionsFor(step: string, local: boolean): { local: boolean; opts: ActivityOptions | LocalActivityOptions } {
    const kind = this.pivoted ? 'afterPivot' : 'forward';
    const opts = local ? this.options.local[kind] : this.options[kind];
    return { local, opts: this.pivoted ? opts : this.withinDeadline(opts, step) };
  }

  /** The call's choice, else the declaration's; SAGAWAY_LOCAL_STEPS=false makes every call an activity. */
  private runsLocally<I>(decl: StepDecl<A, I>, call: CallOptions): boolean {
    return (call.local ?? decl.local === true) && this.options.localSteps !== false;
  }

  private dropCompensation(step: StepView): void {
    const index = this.compensations.findIndex((c) => c.step === step);
    if (index >= 0) this.compensations.splice(index, 1);
  }
}

/** Whether a look-up shows the step's effect in place. */
function appliedBy<A, I>(lookup: Lookup, decl: StepDecl<A, I>): boolean {
  return lookup.found && (!decl.appliedWhen || (lookup.status !== null && decl.appliedWhen.includes(lookup.status)));
}

/** A backend's definitive "no"; a local activity's failure comes unwrapped, an activity's wrapped. */
function refused(err: unknown, local: boolean): boolean {
  return isBusinessRejection(err) || (local && isLocalRejection(err));
}
