import type { AuditEntry } from '../domain/operator';
import type { SagaStatus, SagaView, StepStatus, StepView } from '../domain/saga';

/** One thing a watcher of a saga is told: a step moved, the saga's status moved, or an operator acted. */
export type Transition =
  | { event: 'step'; data: { step: string; index: number; status: StepStatus; attempts: number; error: string | null; undoAttempts: number | null } }
  | { event: 'status'; data: { status: SagaStatus; error: SagaView['error'] } }
  | { event: 'audit'; data: AuditEntry };

/**
 * What a watcher has been told of a saga: each step's status, the saga's, and how many audit entries.
 * It is all the state a follower has, so it is the event id: a resume with Last-Event-ID, on any API
 * instance and after the saga ended, is sent exactly the transitions from there to the saga as it is.
 */
export interface Cursor {
  status: SagaStatus | null;
  steps: Array<StepStatus | null>;
  audit: number;
}

export const NOTHING_SEEN: Cursor = { status: null, steps: [], audit: 0 };

export function cursorOf(view: SagaView): Cursor {
  return { status: view.status, steps: view.steps.map((s) => s.status), audit: auditOf(view).length };
}

/**
 * The transitions from what a watcher was told to a view of the saga, in order. A poll can miss a
 * short-lived state (a step that started and ended between two reads), so each step's and the saga's
 * path is filled in from where it was to where it is: a step first seen SUCCEEDED was RUNNING first, an
 * undo seen COMPENSATED went through COMPENSATING (and STUCK, when its compensation says it was stuck).
 */
export function transitions(before: Cursor, after: SagaView): Transition[] {
  const out: Transition[] = [];
  const statuses = stepsAfter(statusPath(after.status), before.status).map((status): Transition => ({ event: 'status', data: { status, error: status === after.status ? after.error : null } }));
  // A watcher told nothing yet hears that the saga runs before what its steps did, as a live one did.
  if (before.status === null) out.push(statuses.shift()!);
  after.steps.forEach((step, index) => {
    for (const status of stepsAfter(stepPath(step), before.steps[index] ?? null)) out.push({ event: 'step', data: stepData(step, index, status) });
  });
  out.push(...statuses);
  for (const entry of auditOf(after).slice(before.audit)) out.push({ event: 'audit', data: entry });
  return out;
}

/** What a watcher has been told once it has `transition` too. */
export function advance(cursor: Cursor, transition: Transition): Cursor {
  if (transition.event === 'status') return { ...cursor, status: transition.data.status };
  if (transition.event === 'audit') return { ...cursor, audit: cursor.audit + 1 };
  const steps = [...cursor.steps];
  steps[transition.data.index] = transition.data.status;
  return { ...cursor, steps };
}

const STEP_LETTERS: Record<StepStatus, string> = { RUNNING: 'R', SUCCEEDED: 'S', FAILED: 'F', COMPENSATING: 'C', COMPENSATED: 'U', STUCK: 'K' };
const STATUS_LETTERS: Record<SagaStatus, string> = { RUNNING: 'R', COMPENSATING: 'C', COMPLETED: 'D', COMPENSATED: 'U', FAILED: 'F' };
const NONE = '-';
/** More step statuses than any saga's path holds (a household of 10 bikes, every step's whole path, and its trail). */
const MAX_CURSOR_STEPS = 1_000;

/**
 * `<saga status>.<audit entries>.<step statuses>`, one letter a status, a run of one letter counted
 * (`D.0.S9` is a completed saga of nine succeeded steps); `-` is a step or status not yet seen.
 */
export function encodeCursor(cursor: Cursor): string {
  const letters = Array.from(cursor.steps, (status) => (status ? STEP_LETTERS[status] : NONE));
  const runs = letters.join('').replace(/(.)\1+/g, (run) => `${run[0]}${run.length}`);
  return `${cursor.status ? STATUS_LETTERS[cursor.status] : NONE}.${cursor.audit}.${runs}`;
}

/** The cursor an event id stands for; null for one this API did not write (the whole path is sent). */
export function decodeCursor(id: string | undefined): Cursor | null {
  const match = /^([A-Z-])\.(\d{1,6})\.((?:[A-Z-]\d{0,4})*)$/.exec(id ?? '');
  if (!match) return null;
  const status = match[1] === NONE ? null : letterOf(STATUS_LETTERS, match[1]!);
  if (status === undefined) return null;
  const steps: Array<StepStatus | null> = [];
  for (const [, letter, count] of match[3]!.matchAll(/([A-Z-])(\d*)/g)) {
    const stepStatus = letter === NONE ? null : letterOf(STEP_LETTERS, letter!);
    if (stepStatus === undefined) return null;
    const n = count ? Number(count) : 1;
    if (n < 2 && count) return null;
    // No saga has this many steps: a cursor that says so was not written by this API.
    if (steps.length + n > MAX_CURSOR_STEPS) return null;
    for (let i = 0; i < n; i += 1) steps.push(stepStatus);
  }
  return { status, steps, audit: Number(match[2]) };
}

function letterOf<S extends string>(letters: Record<S, string>, letter: string): S | undefined {
  return (Object.keys(letters) as S[]).find((key) => letters[key] === letter);
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
