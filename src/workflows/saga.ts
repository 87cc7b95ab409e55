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
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  TimeoutFailure,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { Attempted } from '../activities/attempts';
import { FailureType } from '../domain/failures';
import { Messages, type CancelRequest } from '../domain/messages';
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

export const sagaStateQuery = defineQuery<SagaView>(Messages.sagaStateQuery);
export const cancelUpdate = defineUpdate<{ status: SagaStatus }, [CancelRequest]>(Messages.cancelUpdate);

type ActivityFn = (input: never) => Promise<unknown>;
type Output<F> = F extends (input: never) => Promise<infer R> ? R : never;
type Input<F> = F extends (input: infer I) => Promise<unknown> ? I : never;

export interface SagaOptions {
  type: SagaType;
  tuning: SagaTuning;
  /** Forward steps before the pivot: retried a bounded number of times, then the saga compensates. */
  forward: ActivityOptions;
  /** One attempt of a compensation; the engine retries it with capped backoff. */
  undo: ActivityOptions;
  /** Steps after the pivot: they must eventually succeed. */
  afterPivot: ActivityOptions;
  /** Local steps (short idempotent calls without undo) run in the worker, recorded as markers. */
  local: { forward: LocalActivityOptions; afterPivot: LocalActivityOptions };
}

export interface StepOptions<A, U extends keyof A> {
  undo?: { activity: U; input: Input<A[U]> };
  /** One line for the Temporal UI; the step name when absent. */
  summary?: string;
  /** Called once the undo has succeeded, so a saga can show what it gave back. */
  onCompensated?: () => void;
  /**
   * Run as a local activity: no activity task round trip through the server, which matters when the
   * server is the bottleneck. Only for short idempotent calls with nothing to undo; the Temporal UI then
   * shows the step as a marker, not an activity, and its retries happen inside the worker.
   */
  local?: boolean;
}

export class Saga<A extends Record<string, ActivityFn>> {
  private readonly record: SagaRecord;
  private readonly compensations: Compensation[] = [];
  private readonly scope = new CancellationScope();
  private pivoted = false;
  private stopReason: SagaError | null = null;
  /** Workflow time by which the pivot must be reached; every step before it is bounded by what is left. */
  private deadlineAt: number | null = null;

  constructor(private readonly options: SagaOptions) {
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

  /** Runs one activity as a named step; its undo is registered before the call, as the call may land. */
  async step<K extends keyof A & string, U extends keyof A & string>(
    name: string,
    activity: K,
    input: Input<A[K]>,
    options: StepOptions<A, U> = {},
  ): Promise<Output<A[K]>> {
    const step = this.record.begin(name);
    if (options.undo) {
      const { activity: undo, input: undoInput } = options.undo;
      this.compensations.push({
        step,
        run: () => this.call(undo, undoInput, `${name}:undo`, { local: false, opts: this.options.undo }, `Undo ${name}`),
        onCompensated: options.onCompensated,
      });
    }
    const call = () => this.call(activity, input, name, this.optionsFor(name, options.local === true), options.summary ?? name);
    try {
      const { value, attempt } = await (this.pivoted ? CancellationScope.nonCancellable(call) : call());
      this.record.end(step, 'SUCCEEDED', attempt, null);
      return value as Output<A[K]>;
    } catch (err) {
      this.noteDeadline(err, name);
      this.record.end(step, 'FAILED', attemptOf(err), describeFailure(err, name).message);
      if (isBusinessRejection(err)) this.dropCompensation(step);
      throw err;
    }
  }

  /** The point of no return: once it succeeds the saga only moves forward and refuses cancellation. */
  async pivot<K extends keyof A & string>(name: string, activity: K, input: Input<A[K]>, summary?: string): Promise<Output<A[K]>> {
    const result = await this.step(name, activity, input, { summary });
    this.pivoted = true;
    this.record.touch();
    return result;
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

  private call(
    activity: string,
    input: unknown,
    stepName: string,
    { local, opts }: { local: boolean; opts: ActivityOptions | LocalActivityOptions },
    summary: string,
  ): Promise<Attempted<unknown>> {
    type Fns = Record<string, (input: unknown) => Promise<Attempted<unknown>>>;
    if (local) return proxyLocalActivities<Fns>(opts)[activity]!.executeWithOptions({ ...opts, summary }, [input]);
    return proxyActivities<Fns>(opts)[activity]!.executeWithOptions({ ...opts, activityId: stepName, summary }, [input]);
  }

  private dropCompensation(step: StepView): void {
    const index = this.compensations.findIndex((c) => c.step === step);
    if (index >= 0) this.compensations.splice(index, 1);
  }

}
