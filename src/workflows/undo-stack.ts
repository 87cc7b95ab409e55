import { CancellationScope, condition, isCancellation, log, type ActivityOptions } from '@temporalio/workflow';
import type { SagaError, StepView } from '../domain/saga';
import { compensateOne } from './compensation';
import { describeFailure } from './failures';
import type { SagaContext } from './saga-context';
import type { CallOptions, StepDecl } from './steps';
import { settleUndo, undoneBy, type UndoContext, type UndoPlan } from './undo-rounds';

export interface Registered extends Omit<UndoPlan, 'run'> {
  run: (opts: ActivityOptions, tryNo: number) => Promise<unknown>;
}

/**
 * The undos of the steps done so far, registered before each call (the call may land), and the
 * compensation that runs them: newest first, inside a non-cancellable scope.
 */
export class UndoStack {
  private readonly compensations: Registered[] = [];

  constructor(private readonly ctx: SagaContext) {}

  register<A, I>(decl: StepDecl<A, I>, step: StepView, label: string, input: I, call: CallOptions): Registered {
    const undo: Registered = {
      step,
      uncertain: true,
      onCompensated: call.onCompensated,
      run: (opts, tryNo) => this.ctx.caller.undo(decl, label, input, opts, tryNo),
      isUndone: decl.probe ? () => this.isUndone(decl, label) : undefined,
    };
    this.compensations.push(undo);
    return undo;
  }

  /** The step was refused: nothing of it to undo. */
  drop(step: StepView): void {
    const index = this.compensations.findIndex((c) => c.step === step);
    if (index >= 0) this.compensations.splice(index, 1);
  }

  /** Takes the undos of one unit (`reserveBike#2`, ...) off the stack, oldest first. */
  takeUnit(unit: number | string): Registered[] {
    const ours = this.compensations.filter((c) => c.step.name.endsWith(`#${unit}`));
    for (const undo of ours) this.drop(undo.step);
    return ours;
  }

  /** Puts undos taken off the stack back on top, in their order (their call turned out never to pass). */
  putBack(undos: Registered[]): void {
    this.compensations.push(...undos);
  }

  /** Runs undos taken off the stack now, newest first, as compensation would run them. */
  async settleNow(undos: Registered[]): Promise<void> {
    const undoCtx = this.undoContext();
    await CancellationScope.nonCancellable(async () => {
      for (const undo of [...undos].reverse()) await settleUndo(undo, undoCtx);
    });
  }

  async compensate(error: SagaError): Promise<void> {
    const { ctx } = this;
    ctx.record.setStatus('COMPENSATING');
    log.warn('compensating', { sagaId: ctx.id, reason: error.type, step: error.step });
    const undoCtx = this.undoContext();
    await CancellationScope.nonCancellable(async () => {
      if (ctx.definite) return this.settleAll(undoCtx);
      for (const undo of [...this.compensations].reverse()) {
        if (ctx.caller.declared) await settleUndo(undo, undoCtx);
        else await compensateOne({ ...undo, run: () => undo.run(ctx.options.undo, 1) }, ctx.options.tuning, ctx.record);
      }
    });
  }

  private undoContext(): UndoContext {
    const { ctx } = this;
    return { tuning: ctx.options.tuning, record: ctx.record, desk: ctx.desk, alertStuck: (step: string, err: string) => ctx.alertStuck(step, err), definite: ctx.definite };
  }

  /**
   * Newest first, one at a time; an undo that is STUCK is left retrying (and open to an operator) while
   * the ones after it run, and the saga ends once every one has settled.
   */
  private async settleAll(undoCtx: UndoContext): Promise<void> {
    const pending: Array<Promise<void>> = [];
    for (const undo of [...this.compensations].reverse()) {
      let settled = false;
      const settling = settleUndo(undo, undoCtx).then(() => {
        settled = true;
      });
      await condition(() => settled || undo.step.status === 'STUCK');
      if (!settled) pending.push(settling);
    }
    await Promise.all(pending);
  }

  /**
   * Whether the backend shows the step undone already. A probe that cannot answer (a refusal, an answer
   * nobody can read) says nothing: the undo is sent, which is always safe, rather than the compensation
   * of every other step being abandoned.
   */
  private async isUndone<A, I>(decl: StepDecl<A, I>, label: string): Promise<boolean> {
    const { caller } = this.ctx;
    try {
      if (this.ctx.bounded) {
        // Bounded: a look-up that cannot tell (503, 409, unreadable) sends the undo, which STUCKs by the usual bound.
        const key = caller.keyOf(label);
        const lookup = await caller.settleBy(decl.probe!, key, key, label, this.ctx.probeOptions());
        return lookup !== null && undoneBy(lookup, decl.undone);
      }
      return undoneBy(await caller.lookUp(decl.probe!, caller.keyOf(label), label), decl.undone);
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('the probe could not say what became of the call; undoing it anyway', { sagaId: this.ctx.id, step: label, error: describeFailure(err, label).message });
      return false;
    }
  }
}
