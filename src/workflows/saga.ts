/**
 * The saga engine every sagaway workflow shares.
 *
 *   step(a, undo a') -> step(b, undo b') -> pivot(c) -> step(d) ...
 *   failure or cancel before the pivot:  b' -> a'   (reverse order, non-cancellable, settled one by one)
 *   once the pivot is attempted:         only forward; it is retried until it has a definite answer
 *
 * It keeps the saga view that the state query answers, upserts the SagaStatus search attribute and the
 * current details the Temporal UI shows, and always ends with a view whose status says how it ended.
 * The parts: forward-step.ts (a step), pivot-step.ts (the pivot), undo-stack.ts (compensation),
 * saga-cancels.ts (the cancel update), saga-ending.ts (the final status), and saga-context.ts (what
 * they share).
 */
import { ApplicationFailure, CancellationScope, defineQuery, patched, setHandler } from '@temporalio/workflow';
import { FailureType } from '../domain/failures';
import { Messages } from '../domain/messages';
import type { OperatorAction } from '../domain/operator';
import type { SagaView } from '../domain/saga';
import type { Reference } from '../domain/steps';
import { describeFailure } from './failures';
import { runStep } from './forward-step';
import { Patches } from './patches';
import { runPivot } from './pivot-step';
import { SagaCancels } from './saga-cancels';
import { SagaContext } from './saga-context';
import { failSaga, finishSaga } from './saga-ending';
import type { SagaOptions } from './saga-options';
import { SagaTrail } from './saga-trail';
import { labelOf, type ActivityFn, type CallOptions, type Input, type Output, type StepDecl, type StepDecls } from './steps';
import { UndoStack } from './undo-stack';

export { cancelUpdate } from './saga-cancels';
export type { SagaOptions } from './saga-options';

export const sagaStateQuery = defineQuery<SagaView>(Messages.sagaStateQuery);

export class Saga<A extends Record<string, ActivityFn>, D extends StepDecls<A>> {
  private readonly ctx: SagaContext;
  private readonly undos: UndoStack;
  private readonly scope = new CancellationScope();
  private readonly cancels: SagaCancels;
  /** The saga's audit trail: its start, operator actions and final status, and whatever the saga adds. */
  readonly trail: SagaTrail;

  constructor(
    options: SagaOptions,
    private readonly steps: D,
  ) {
    this.ctx = new SagaContext(options);
    this.cancels = new SagaCancels(this.ctx, this.scope);
    this.undos = new UndoStack(this.ctx);
    this.trail = new SagaTrail(this.ctx, patched(Patches.auditTrail));
    if (this.trail.enabled) this.ctx.desk.onAccepted = (action) => this.trail.operatorAction(action);
    setHandler(sagaStateQuery, () => this.ctx.record.view);
    this.cancels.accept();
  }

  get id(): string {
    return this.ctx.id;
  }

  /** Runs the saga body and returns the final view: COMPLETED, COMPENSATED, or FAILED after the pivot. */
  async run<R>(body: () => Promise<R>, deadlineMs?: number): Promise<SagaView<R>> {
    const { ctx } = this;
    ctx.startDeadline(deadlineMs);
    // Not awaited: a slow store must not eat the steps' deadline; the trail keeps its order, and the final status waits for it.
    if (this.trail.enabled) void this.trail.started();
    let result: R;
    try {
      result = await this.scope.run(body);
    } catch (err) {
      const error = ctx.stopReason ?? describeFailure(err, ctx.record.currentStep());
      if (ctx.pivotState === 'passed' || ctx.pivotState === 'inFlight') return failSaga<R>(ctx, this.trail, error);
      await this.undos.compensate(error);
      return finishSaga<R>(ctx, this.trail, 'COMPENSATED', null, error);
    }
    return finishSaga<R>(ctx, this.trail, 'COMPLETED', result, null);
  }

  /** Runs one declared step; its undo is registered before the call, as the call may land. */
  async step<K extends keyof D & keyof A & string>(name: K, input: Input<A[K]>, call: CallOptions = {}): Promise<Output<A[K]>> {
    return (await runStep(this.ctx, this.undos, name, this.declOf<Input<A[K]>>(name), input, call)) as Output<A[K]>;
  }

  /** The point of no return, from the moment it is sent (see pivot-step.ts). */
  async pivot<K extends keyof D & keyof A & string>(name: K, input: Input<A[K]>, call: CallOptions = {}): Promise<Output<A[K]>> {
    if (!this.ctx.caller.declared) {
      const result = await this.step(name, input, call);
      this.ctx.pivotState = 'passed';
      this.ctx.record.touch();
      return result;
    }
    return (await runPivot(this.ctx, name, this.declOf<Input<A[K]>>(name), input, call)) as Output<A[K]>;
  }

  /** The reference of an earlier step's call (its Idempotency-Key), for a step that moves its record. */
  referenceOf(name: keyof D & string, unit?: number | string): Reference {
    return { reference: this.ctx.caller.keyOf(labelOf(name, unit)) };
  }

  /** A step that is not one activity (a wait for a signal, say), tracked in the view like the others. */
  async track<T>(name: string, work: () => Promise<T>): Promise<T> {
    const { record } = this.ctx;
    const step = record.begin(name);
    try {
      const value = await work();
      record.end(step, 'SUCCEEDED', 1, null);
      return value;
    } catch (err) {
      record.end(step, 'FAILED', 1, describeFailure(err, name).message);
      throw err;
    }
  }

  /**
   * A tracked step that cannot go on by itself (what it waited for ended the wrong way): STUCK and alerted,
   * until an operator decides. `retry` puts it back to RUNNING; `resolve` is the saga's to carry out.
   */
  async awaitOperator(name: string, problem: string): Promise<OperatorAction> {
    const { record, desk } = this.ctx;
    const step = record.view.steps.filter((s) => s.name === name).at(-1);
    if (!step) throw ApplicationFailure.nonRetryable(`the saga has no step ${name}`, FailureType.InternalError);
    Object.assign(step, { status: 'STUCK', error: problem });
    record.touch();
    desk.open(name);
    await this.ctx.alertStuck(name, problem);
    const decision = await desk.decision(name);
    Object.assign(step, { status: 'RUNNING', error: null });
    record.touch();
    return decision;
  }

  /** From now on the saga cannot be cancelled (`reason` says why); for a saga whose first step already keeps something. */
  refuseCancels(reason: string): void {
    this.cancels.refuse(reason);
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

  /** One unit of the saga (a bike of a household) given back on its own, before the saga ends: its undos run now, newest first. */
  async undoUnit(unit: number | string): Promise<void> {
    await this.undos.settleNow(this.undos.takeUnit(unit));
  }

  /**
   * Sends the call that passes one unit's own point of no return (a bike's door) as `work(onRefused)`,
   * the unit kept from the moment it is sent: its undos dropped, the saga never compensated as a whole
   * again (a step with no unit is settled as a step after the pivot), cancels refused. A definite refusal of that call
   * (`onRefused`, passed on to the step) means it never took effect: the unit's undos go back on the stack
   * and the saga stands where it stood, so the unit is given back like any other. Any other failure leaves
   * the unit kept: the call may have passed.
   */
  async passUnit<T>(unit: number | string, reason: string, work: (onRefused: () => void) => Promise<T>): Promise<T> {
    // A cancel accepted in the same task as the sensor that lets the bike out: the cancel came first. The
    // patch is asked at every pass, so each fresh run records it (and the release's histories take it).
    const { stopReason } = this.ctx;
    if (patched(Patches.noPassAfterStop) && stopReason) throw ApplicationFailure.nonRetryable(stopReason.message, stopReason.type);
    const before = { pivotState: this.ctx.pivotState, unitKept: this.ctx.unitKept };
    const ours = this.undos.takeUnit(unit);
    this.keepUnit(reason);
    let refusedOutright = false;
    try {
      return await work(() => {
        refusedOutright = true;
      });
    } catch (err) {
      if (refusedOutright) {
        this.undos.putBack(ours);
        Object.assign(this.ctx, before);
        if (!before.unitKept) this.cancels.accept();
      }
      throw err;
    }
  }

  private keepUnit(reason: string): void {
    if (this.ctx.pivotState === 'before') this.ctx.pivotState = 'inFlight';
    this.ctx.unitKept = true;
    this.refuseCancels(reason);
  }

  /** Saga-specific fields shown at the top level of the view. */
  annotate(details: Record<string, unknown>): void {
    this.ctx.record.annotate(details);
  }

  private declOf<I>(name: string): StepDecl<A, I> {
    return (this.steps[name as keyof D] ?? {}) as StepDecl<A, I>;
  }
}
