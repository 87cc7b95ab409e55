import type { AuditEntry } from '../domain/operator';
import type { SagaStatus, SagaView, StepStatus, StepView } from '../domain/saga';

/** One thing a watcher of a saga is told: a step moved, the saga's status moved, or an operator acted. */
export type Transition =
  | { event: 'step'; data: { step: string; index: number; status: StepStatus; attempts: number; error: string | null; undoAttempts: number | null } }
  | { event: 'status'; data: { status: SagaStatus; error: SagaView['error'] } }
  | { event: 'audit'; data: AuditEntry };

/**
 * The transitions between two views of one saga, in order. A poll can miss a short-lived state (a step
 * that started and ended between two reads), so each step's and the saga's path is filled in from where
 * it was to where it is: a step first seen SUCCEEDED was RUNNING first, an undo seen COMPENSATED went
 * through COMPENSATING (and STUCK, when its compensation says it was stuck).
 */
export function transitions(before: SagaView | null, after: SagaView): Transition[] {
  const out: Transition[] = [];
  after.steps.forEach((step, index) => {
    const was = before?.steps[index]?.status ?? null;
    for (const status of stepsAfter(stepPath(step), was)) out.push({ event: 'step', data: stepData(step, index, status) });
  });
  for (const status of stepsAfter(statusPath(after.status), before?.status ?? null)) {
    out.push({ event: 'status', data: { status, error: status === after.status ? after.error : null } });
  }
  const audit = auditOf(after);
  for (const entry of audit.slice(before ? auditOf(before).length : 0)) out.push({ event: 'audit', data: entry });
  return out;
}

function stepPath(step: StepView): StepStatus[] {
  const stuck = step.compensation?.stuck === true;
  switch (step.status) {
    case 'RUNNING':
      return ['RUNNING'];
    case 'SUCCEEDED':
    case 'FAILED':
      return ['RUNNING', step.status];
    case 'COMPENSATING':
      return ['RUNNING', 'COMPENSATING'];
    case 'STUCK':
      return ['RUNNING', 'COMPENSATING', 'STUCK'];
    case 'COMPENSATED':
      return stuck ? ['RUNNING', 'COMPENSATING', 'STUCK', 'COMPENSATED'] : ['RUNNING', 'COMPENSATING', 'COMPENSATED'];
  }
}

function statusPath(status: SagaStatus): SagaStatus[] {
  if (status === 'COMPENSATING') return ['RUNNING', 'COMPENSATING'];
  if (status === 'COMPENSATED') return ['RUNNING', 'COMPENSATING', 'COMPENSATED'];
  return status === 'RUNNING' ? ['RUNNING'] : ['RUNNING', status];
}

/** What of `path` comes after `was`; a state off the path (SUCCEEDED before an undo) counts as its start. */
function stepsAfter<S extends string>(path: S[], was: S | null): S[] {
  if (was === null) return path;
  const at = path.indexOf(was);
  return path.slice((at >= 0 ? at : 0) + 1);
}

function stepData(step: StepView, index: number, status: StepStatus) {
  const current = status === step.status;
  return {
    step: step.name,
    index,
    status,
    attempts: step.attempts,
    error: current ? step.error : null,
    undoAttempts: current ? (step.compensation?.attempts ?? null) : null,
  };
}

/** Views from before the audit trail (an older run's result) have none. */
function auditOf(view: SagaView): AuditEntry[] {
  return view.audit ?? [];
}
