import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import type { OperatorAction, OperatorActionResult } from '../domain/operator';
import { operatorActionUpdate } from './messages';
import type { SagaRecord } from './saga-record';

/**
 * Where a saga waits for an operator: a STUCK undo, or a step after the pivot that failed for good. The
 * wait is a condition without a timer, so a saga waiting for weeks adds nothing to its history.
 */
export class OperatorDesk {
  /** Steps that wait for a decision now, and the decision once taken. */
  private readonly waiting = new Map<string, OperatorAction | null>();
  /** Steps that take more than retry and resolve: a unit's door also takes giveBack. */
  private readonly units = new Set<string>();
  /** Told of each accepted action (the audit trail writes it). */
  onAccepted: ((action: OperatorAction) => void) | null = null;

  constructor(private readonly record: SagaRecord) {
    setHandler(operatorActionUpdate, (action) => this.accept(action), { validator: (action) => this.validate(action) });
  }

  /** Opens the desk for a step: from now on an operator may decide about it; `unit`: a unit's door (giveBack too). */
  open(step: string, unit = false): void {
    if (!this.waiting.has(step)) this.waiting.set(step, null);
    if (unit) this.units.add(step);
  }

  /** Closes the desk for a step that settled by itself (its backend recovered). */
  close(step: string): void {
    this.waiting.delete(step);
    this.units.delete(step);
  }

  /** The decision taken since the desk opened for this step, if any; the desk closes when there is one. */
  take(step: string): OperatorAction | null {
    const decision = this.waiting.get(step) ?? null;
    if (decision) this.close(step);
    return decision;
  }

  decided(step: string): boolean {
    return (this.waiting.get(step) ?? null) !== null;
  }

  /** Waits as long as it takes for an operator's decision about this step. */
  async decision(step: string): Promise<OperatorAction> {
    this.open(step);
    await condition(() => this.decided(step));
    return this.take(step)!;
  }

  private validate(action: OperatorAction): void {
    const step = this.record.view.steps.find((s) => s.name === action?.step);
    if (!step) throw ApplicationFailure.nonRetryable(`the saga has no step ${String(action?.step)}`, 'UnknownStep');
    if (action.action !== 'retry' && action.action !== 'resolve' && action.action !== 'giveBack') {
      throw ApplicationFailure.nonRetryable(`unknown action ${String(action.action)}: retry, resolve or giveBack`, 'ActionNotAllowed');
    }
    if (action.action === 'giveBack' && !this.units.has(step.name)) {
      throw ApplicationFailure.nonRetryable(`step ${step.name} cannot be given back: giveBack is only for a unit's door that is STUCK`, 'ActionNotAllowed');
    }
    if (!this.waiting.has(step.name)) {
      throw ApplicationFailure.nonRetryable(`step ${step.name} is ${step.status}; only a STUCK undo or a step that failed after the pivot waits for an operator`, 'ActionNotAllowed');
    }
    if (this.decided(step.name)) throw ApplicationFailure.nonRetryable(`step ${step.name} already has a decision being carried out`, 'ActionNotAllowed');
  }

  private accept(action: OperatorAction): OperatorActionResult {
    this.waiting.set(action.step, action);
    this.record.audit(action);
    this.onAccepted?.(action);
    const step = this.record.view.steps.find((s) => s.name === action.step)!;
    return { status: this.record.view.status, step };
  }
}
