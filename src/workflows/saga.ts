/**
 * The saga engine every sagaway workflow shares.
 *
 *   step(a, undo a') -> step(b, undo b') -> pivot(c) -> step(d) ...
 *   failure or cancel before the pivot:  b' -> a'   (reverse order, non-cancellable, retried until done)
 *   after the pivot:                     only forward; later steps retry until they succeed
 *
 * It keeps the saga view that the state query answers, upserts the SagaStatus search attribute and the
 * current details the Temporal UI shows, and always ends with a view whose status says how it ended.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  defineUpdate,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  TimeoutFailure,
  workflowInfo,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { Attempted } from '../activities/attempts';
import { FailureType } from '../domain/failures';
import { Messages, type CancelRequest } from '../domain/messages';
import type { Reference, StepCall } from '../domain/steps';
import {
  type SagaError,
  type SagaStatus,
  type SagaTuning,
  type SagaType,
  type SagaView,
  type StepView,
} from '../domain/saga';
import { compensateOne, type Compensation } from './compensation';
import { attemptOf, describeFailure, isBusinessRejection } from './failures';
import { SagaRecord } from './saga-record';
import { labelOf, type ActivityFn, type CallOptions, type Input, type Output, type StepDecl, type StepDecls } from './steps';

export const sagaStateQuery = defineQuery<SagaView>(Messages.sagaStateQuery);
export const cancelUpdate = defineUpdate<{ status: SagaStatus }, [CancelRequest]>(Messages.cancelUpdate);

/**
 * Changes of workflow commands, each behind its patch so that sagas started on an older worker replay.
 * declaredSteps: one name per step (renamed activities), keys unique per run passed with every call.
 */
export const Patches = { declaredSteps: 'declared-steps' } as const;

export interface SagaOptions {
  type: SagaType;
  tuning: SagaTuning;
  /** Forward steps before the pivot: retried a bounded number of times, then the saga compensates. */
  forward: ActivityOptions;
  /** One attempt of a compensation; the engine retries it with capped backoff. */
  undo: ActivityOptions;
  /** Steps after the pivot: they must eventually succeed. */
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

interface Invocation {
  activity: string;
  input: unknown;
  label: string;
  local: boolean;
  opts: ActivityOptions | LocalActivityOptions;
  summary: string;
}

export class Saga<A extends Record<string, ActivityFn>, D extends StepDecls<A>> {
  private readonly record: SagaRecord;
  private readonly compensations: Compensation[] = [];
  private readonly scope = new CancellationScope();
  private pivoted = false;
  private stopReason: SagaError | null = null;
  /** Workflow time by which the pivot must be reached; every step before it is bounded by what is left. */
  private deadlineAt: number | null = null;

  /** False for a saga started before declared steps: it keeps its activity names and keys to the end. */
  private readonly declared: boolean;

  constructor(
    private readonly options: SagaOptions,
    private readonly steps: D,
  ) {
    this.declared = patched(Patches.declaredSteps);
    this.record = new SagaRecord(options.type);
    setHandler(sagaStateQuery, () => this.record.view);
    setHandler(cancelUpdate, (request) => this.requestCancel(request), {
      validator: (_request: CancelRequest) => this.validateCancel(),
    });
  }

  get id(): string {
    return this.record.view.id;
  }

  /** Runs the saga body and returns the final view: COMPLETED, COMPENSATED, or FAILED after the pivot. */
  async run<R>(body: () => Promise<R>, deadlineMs?: number): Promise<SagaView<R>> {
    this.deadlineAt = deadlineMs ? Date.now() + deadlineMs : null;
    let result: R;
    try {
      result = await this.scope.run(body);
    } catch (err) {
      const error = this.stopReason ?? describeFailure(err, this.record.currentStep());
      if (this.pivoted) {
        log.error('saga failed after its pivot; it needs an operator', { sagaId: this.id, error });
        return this.record.finish<R>('FAILED', null, error);
      }
      await this.compensate(error);
      return this.record.finish<R>('COMPENSATED', null, error);
    }
    return this.record.finish<R>('COMPLETED', result, null);
  }

  /** Runs one declared step; its undo is registered before the call, as the call may land. */
  async step<K extends keyof D & keyof A & string>(name: K, input: Input<A[K]>, call: CallOptions = {}): Promise<Output<A[K]>> {
    const decl = (this.steps[name] ?? {}) as StepDecl<A, Input<A[K]>>;
    const label = labelOf(name, call.unit);
    const step = this.record.begin(label);
    if (decl.undo) this.compensations.push({ step, run: () => this.undo(decl, label, input), onCompensated: call.onCompensated });
    const local = decl.local === true && this.options.localSteps !== false;
    const activity = this.declared ? name : (decl.legacy?.activity ?? name);
    const summary = call.summary ?? decl.summary?.(input) ?? label;
    const run = () => this.invoke({ activity, input, label, summary, ...this.optionsFor(label, local) });
    try {
      const { value, attempt } = await (this.pivoted ? CancellationScope.nonCancellable(run) : run());
      this.record.end(step, 'SUCCEEDED', attempt, null);
      return value as Output<A[K]>;
    } catch (err) {
      this.noteDeadline(err, label);
      this.record.end(step, 'FAILED', attemptOf(err), describeFailure(err, label).message);
      if (isBusinessRejection(err)) this.dropCompensation(step);
      throw err;
    }
  }

  /** The point of no return: once it succeeds the saga only moves forward and refuses cancellation. */
  async pivot<K extends keyof D & keyof A & string>(name: K, input: Input<A[K]>, call: CallOptions = {}): Promise<Output<A[K]>> {
    const result = await this.step(name, input, call);
    this.pivoted = true;
    this.record.touch();
    return result;
  }

  /** The reference of an earlier step's call (its Idempotency-Key), for a step that moves its record. */
  referenceOf(name: keyof D & string, unit?: number | string): Reference {
    return { reference: this.keyOf(labelOf(name, unit)) };
  }

  /** A step that is not one activity (a wait for a signal, say), tracked in the view like the others. */
  async track<T>(name: string, work: () => Promise<T>, undo?: () => Promise<unknown>): Promise<T> {
    const step = this.record.begin(name);
    if (undo) this.compensations.push({ step, run: async () => ({ value: await undo(), attempt: 1 }) });
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

  private validateCancel(): void {
    if (this.pivoted) throw ApplicationFailure.nonRetryable('the saga passed its pivot and can no longer be cancelled', 'PastPivot');
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
   * after the deadline does not start at all.
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
    if (this.deadlineAt === null || this.pivoted || Date.now() < this.deadlineAt) return;
    if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) this.stopReason ??= this.deadlineError(step);
  }

  private deadlineError(step: string): SagaError {
    return { type: FailureType.DeadlineExceeded, message: 'the saga did not reach its point of no return before its deadline', step };
  }

  private async compensate(error: SagaError): Promise<void> {
    this.record.setStatus('COMPENSATING');
    log.warn('compensating', { sagaId: this.id, reason: error.type, step: error.step });
    await CancellationScope.nonCancellable(async () => {
      for (const compensation of [...this.compensations].reverse()) await compensateOne(compensation, this.options.tuning, this.record);
    });
  }

  private optionsFor(step: string, local: boolean): { local: boolean; opts: ActivityOptions | LocalActivityOptions } {
    const kind = this.pivoted ? 'afterPivot' : 'forward';
    const opts = local ? this.options.local[kind] : this.options[kind];
    return { local, opts: this.pivoted ? opts : this.withinDeadline(opts, step) };
  }

  /**
   * The Idempotency-Key of a call: the saga, the step (with its unit or try) and the saga's first run, so a
   * new saga that reuses a workflow id after the old one's retention never gets the old one's stored replies.
   */
  private keyOf(label: string): string {
    return this.declared ? `${this.id}:${label}@${workflowInfo().firstExecutionRunId}` : `${this.id}:${label}`;
  }

  private undo<I>(decl: StepDecl<A, I>, label: string, input: I): Promise<Attempted<unknown>> {
    const undoLabel = `${label}:undo`;
    const extra = decl.undoWith?.(input) ?? {};
    const undoInput = this.declared ? { reference: this.keyOf(label), ...extra } : { forwardStep: label, ...extra };
    const activity = this.declared ? decl.undo! : (decl.legacy?.undo ?? decl.undo!);
    return this.invoke({ activity, input: undoInput, label: undoLabel, local: false, opts: this.options.undo, summary: `Undo ${label}` });
  }

  /** Every call, local or not, carries its step and key (a local activity's own id is only a sequence number). */
  private invoke({ activity, input, label, local, opts, summary }: Invocation): Promise<Attempted<unknown>> {
    type Fns = Record<string, (input: unknown, call?: StepCall) => Promise<Attempted<unknown>>>;
    const args: [unknown, StepCall?] = this.declared ? [input, { step: label, key: this.keyOf(label) }] : [input];
    if (local) return proxyLocalActivities<Fns>(opts)[activity]!.executeWithOptions({ ...opts, summary }, args);
    return proxyActivities<Fns>(opts)[activity]!.executeWithOptions({ ...opts, activityId: label, summary }, args);
  }

  private dropCompensation(step: StepView): void {
    const index = this.compensations.findIndex((c) => c.step === step);
    if (index >= 0) this.compensations.splice(index, 1);
  }

}
