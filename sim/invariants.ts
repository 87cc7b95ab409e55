import type { SagaView } from '../src/domain/saga';
import type { SagaSim } from './saga-sim';
import type { World } from './world';

export const Invariants = {
  undoMissing: 'undo-missing',
  pivotCompensated: 'pivot-compensated',
  money: 'money',
  appliedTwice: 'applied-twice',
  silentWait: 'silent-wait',
  viewVsLedger: 'view-vs-ledger',
  /** Not ended, and no state query answered: a client cannot see what the saga does. */
  unanswered: 'unanswered',
  /** A transfer's posting that does not net to zero in each currency. */
  postingsUnbalanced: 'postings-unbalanced',
  /** Money left the customer's account for a payment the network did not settle. */
  moneyLeftUnsettled: 'money-left-unsettled',
  /** The network rejected the payment, and the hold or the rate is still held with no undo under way. */
  rejectedStillHeld: 'rejected-still-held',
  /** A workflow task failed on replay: the workflow code did not do what its history says it did. */
  nondeterminism: 'nondeterminism',
} as const;
export type Invariant = (typeof Invariants)[keyof typeof Invariants];

export interface Violation {
  invariant: Invariant;
  detail: string;
}

const ENDED = new Set(['COMPLETED', 'COMPENSATED', 'FAILED']);

/** What the world recorded, against what the saga ended with (or shows, if it has not ended). */
export function check<P>(sim: SagaSim<P>, params: P, world: World, view: SagaView, waiting: string | null, listedForOperators = false): Violation[] {
  const out: Violation[] = [];
  const v = (invariant: Invariant, detail: string) => out.push({ invariant, detail });
  const ended = ENDED.has(view.status);
  const stuck = view.steps.some((s) => s.status === 'STUCK');

  if (!ended && !stuck && !listedForOperators) v(Invariants.silentWait, `${view.status} and nothing STUCK (${waiting ?? 'no end in sight'}): ${stepsOf(view)}`);
  if (ended && view.status !== 'COMPLETED') {
    const left = world.live((step) => undoable(sim, step)).filter((r) => !sim.mayStay?.(r, view, world));
    const why = view.error ? ` (${view.error.type} at ${view.error.step})` : '';
    for (const r of left) v(Invariants.undoMissing, `${view.status}${why}, but ${r.backend} still holds ${r.step} (${r.status}): ${stepsOf(view)}`);
  }
  for (const at of world.undosAfterPivot) v(Invariants.pivotCompensated, `an undo reached ${at} after the pivot took effect`);
  for (const [step, keys] of world.appliedKeys) if (keys.size > 1) v(Invariants.appliedTwice, `${step} applied under ${keys.size} keys`);
  if (ended) {
    const told = view.status === 'COMPLETED' ? sim.told(view) : 0;
    const taken = sim.taken(world);
    if (told !== taken) v(Invariants.money, `${view.status}: the client was told ${told}, the world took ${taken}`);
  }
  if (view.status === 'COMPLETED' && sim.expectsPivot(view, params) && world.pivotAt === null) v(Invariants.viewVsLedger, 'COMPLETED, but the pivot never took effect');
  if ((view.status === 'COMPENSATED' || view.status === 'FAILED') && world.pivotAt !== null) v(Invariants.viewVsLedger, `${view.status} (${view.error?.type}), but the pivot took effect`);
  if (view.status === 'COMPLETED') for (const d of sim.completed?.(view, world) ?? []) v(Invariants.viewVsLedger, d);
  out.push(...(sim.ledgerChecks?.(view, world) ?? []));
  return out;
}

/** Whether a ledger step (`reserveBike#2`) is one the saga declared with an undo. */
function undoable<P>(sim: SagaSim<P>, step: string): boolean {
  return `${step.replace(/#[^:~]+/g, '')}:undo` in sim.plans;
}

function stepsOf(view: SagaView): string {
  return view.steps.map((s) => `${s.name}=${s.status}`).join(' ');
}
