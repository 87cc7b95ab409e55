import fc from 'fast-check';

/**
 * What the world does with one attempt of one call. `applied` says whether the backend's effect took
 * place (a refusal never applies; an in-progress answer applies, or not, a little later).
 */
export type OutcomeKind = 'ok' | 'unreadable' | 'lost' | 'refused' | 'inProgress' | 'slow';
export interface Outcome {
  kind: OutcomeKind;
  applied: boolean;
  /** Milliseconds: how late a slow answer comes, or how late an in-progress attempt applies. */
  delayMs: number;
  /** Which of the call's documented refusals (a refusal only). */
  refusal: number;
}

/** The attempts of one call, in order; past the last one the backend answers `ok`, unless `down` repeats it forever. */
export interface CallPlan {
  attempts: Outcome[];
  down: boolean;
}

/** How each kind of call may answer: a look-up or an alert has no effect of its own to apply. */
export type CallPhase = 'forward' | 'undo' | 'pivot' | 'after' | 'plain' | 'probe' | 'alert';

const delay = fc.integer({ min: 20, max: 900 });
const outcome = (kinds: OutcomeKind[]): fc.Arbitrary<Outcome> =>
  fc.record({ kind: fc.constantFrom(...kinds), applied: fc.boolean(), delayMs: delay, refusal: fc.nat(3) }).map((o) => normalise(o));

/** A refusal never applies; `ok` and `slow` always do. */
function normalise(o: Outcome): Outcome {
  if (o.kind === 'refused') return { ...o, applied: false };
  if (o.kind === 'ok' || o.kind === 'slow') return { ...o, applied: true };
  return o;
}

const KINDS_BY_PHASE: Record<CallPhase, OutcomeKind[]> = {
  forward: ['ok', 'unreadable', 'lost', 'refused', 'inProgress', 'slow'],
  undo: ['ok', 'unreadable', 'lost', 'refused', 'inProgress', 'slow'],
  pivot: ['ok', 'unreadable', 'lost', 'refused', 'inProgress', 'slow'],
  after: ['ok', 'unreadable', 'lost', 'refused', 'inProgress', 'slow'],
  plain: ['ok', 'unreadable', 'lost', 'refused', 'slow'],
  probe: ['ok', 'unreadable', 'lost', 'slow'],
  alert: ['ok', 'lost', 'refused'],
};

export function callPlan(phase: CallPhase): fc.Arbitrary<CallPlan> {
  const down = fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });
  const plan = fc.record({ attempts: fc.array(outcome(KINDS_BY_PHASE[phase]), { minLength: 1, maxLength: 4 }), down });
  // Most calls of a schedule go as planned by nobody: a few in each schedule misbehave.
  return fc.oneof({ weight: 5, arbitrary: fc.constant<CallPlan>({ attempts: [], down: false }) }, { weight: 1, arbitrary: plan });
}

/** The outcome of attempt `n` (0-based) of a call planned as `plan` (absent: the backend says yes). */
export function outcomeOf(plan: CallPlan | undefined, n: number): Outcome {
  const ok: Outcome = { kind: 'ok', applied: true, delayMs: 0, refusal: 0 };
  if (!plan || plan.attempts.length === 0) return ok;
  if (n < plan.attempts.length) return plan.attempts[n]!;
  return plan.down ? plan.attempts[plan.attempts.length - 1]! : ok;
}

/** Something done to the saga from outside at a moment of its life (ms after its start). */
export type Event =
  | { at: number; kind: 'cancel' }
  | { at: number; kind: 'operator'; action: 'retry' | 'resolve' }
  | { at: number; kind: 'update'; value: number };

export const events = (updates: boolean): fc.Arbitrary<Event[]> => {
  const at = fc.integer({ min: 0, max: 2_000 });
  const kinds: Array<fc.Arbitrary<Event>> = [
    fc.record({ at, kind: fc.constant('cancel' as const) }),
    fc.record({ at, kind: fc.constant('operator' as const), action: fc.constantFrom('retry' as const, 'resolve' as const) }),
  ];
  if (updates) kinds.push(fc.record({ at, kind: fc.constant('update' as const), value: fc.nat(9) }));
  return fc.array(fc.oneof(...kinds), { maxLength: 4 });
};

/** One schedule: every call's plan by step name, the events, whether the worker replays, the saga's own choices. */
export interface Schedule<P = unknown> {
  calls: Partial<Record<string, CallPlan>>;
  events: Event[];
  /** Served by a worker that keeps no workflow in its cache: every workflow task replays the history. */
  replay: boolean;
  saga: P;
}
