import type { SagaStatus, SagaType, StepView } from './saga';

export type OperatorActionKind = 'retry' | 'resolve' | 'giveBack';

/** What an operator decides about a step the saga cannot settle by itself (CONTRACTS.md 1). */
export interface OperatorAction {
  /**
   * retry: try the step now with a fresh Idempotency-Key; resolve: it was fixed by hand; giveBack (a
   * unit's door only): the operator found it shut, so the unit is given back as if the door was refused.
   */
  action: OperatorActionKind;
  step: string;
  operator: string;
  reason: string;
}

export interface OperatorActionResult {
  status: SagaStatus;
  step: StepView;
}

/** One accepted operator action, as the saga view's audit trail shows it. */
export interface AuditEntry {
  at: string;
  operator: string;
  action: OperatorAction['action'];
  step: string;
  reason: string;
}

/** What the engine reports when a step becomes STUCK or a saga ends FAILED (CONTRACTS.md 2). */
export interface Alert {
  sagaId: string;
  sagaType: SagaType;
  kind: 'STUCK' | 'FAILED';
  step: string | null;
  error: string | null;
}
