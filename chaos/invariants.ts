export interface Invariant {
  name: string;
  /** How many cases it judged: an invariant over none proves nothing, and fails the run. */
  cases: number;
  held: boolean;
  detail: string;
}

type Rec = Record<string, any>;

async function records(backendsUrl: string, service: string): Promise<Rec[]> {
  const res = await fetch(`${backendsUrl}/${service}/_admin/state`, { signal: AbortSignal.timeout(10_000) });
  return ((await res.json()) as { records: Rec[] }).records;
}

function bySaga(list: Rec[]): Map<string, Rec[]> {
  const map = new Map<string, Rec[]>();
  for (const r of list) if (r.sagaId) map.set(r.sagaId, [...(map.get(r.sagaId) ?? []), r]);
  return map;
}

export function check(name: string, cases: number, offenders: string[]): Invariant {
  const detail = cases === 0 ? 'no case to judge' : offenders.length === 0 ? 'ok' : offenders.slice(0, 5).join('; ');
  return { name, cases, held: cases > 0 && offenders.length === 0, detail };
}

const authorizations = (records: Rec[]) => records.filter((r) => r.kind === 'authorization');

/** The order saga's promises, read from the backends' own records. */
export async function orderInvariants(backendsUrl: string, views: Map<string, Rec>): Promise<Invariant[]> {
  const [inventory, payments, shipping] = await Promise.all(['inventory', 'payments', 'shipping'].map((s) => records(backendsUrl, s)));
  const held = { inventory: bySaga(inventory!), payments: bySaga(authorizations(payments!)), shipping: bySaga(shipping!) };
  const completedWrong: string[] = [];
  const compensatedLeaks: string[] = [];
  const cases = { completed: 0, compensated: 0 };
  for (const [id, view] of views) {
    if (view.type !== 'order') continue;
    const res = held.inventory.get(id) ?? [];
    const auth = held.payments.get(id) ?? [];
    const ship = held.shipping.get(id) ?? [];
    if (view.status === 'COMPLETED') {
      cases.completed += 1;
      const ok = count(auth, 'CAPTURED') === 1 && auth.length === 1 && count(ship, 'CREATED') === 1 && ship.length === 1 && count(res, 'COMMITTED') === 1 && res.length === 1;
      if (!ok) completedWrong.push(`${id}: ${summary(res, auth, ship)}`);
    }
    if (view.status === 'COMPENSATED') {
      cases.compensated += 1;
      const leaks = [...res, ...auth, ...ship].filter((r) => ['HELD', 'AUTHORIZED', 'CREATED', 'CAPTURED', 'COMMITTED'].includes(r.status));
      if (leaks.length > 0) compensatedLeaks.push(`${id}: ${summary(res, auth, ship)}`);
    }
  }
  // Recording mode keeps every capture the processor was asked for (src/backends/payments.ts).
  const captures = payments!.filter((r) => r.kind === 'capture');
  const perAuthorization = new Map<string, number>();
  for (const c of captures) perAuthorization.set(c.authorizationId, (perAuthorization.get(c.authorizationId) ?? 0) + 1);
  const doubleCaptures = [...perAuthorization].filter(([, n]) => n > 1).map(([auth, n]) => `${auth}: ${n} captures`);
  return [
    check('completed order: exactly one capture, one shipment, one committed reservation', cases.completed, completedWrong),
    check('compensated order: nothing held, authorized or created', cases.compensated, compensatedLeaks),
    check('no payment captured twice (captures recorded)', captures.length, doubleCaptures),
  ];
}

/** A saga that waits for an operator: a STUCK step is named in its view. */
export function waitsForOperator(view: Rec | undefined): boolean {
  return ['COMPENSATING', 'RUNNING'].includes(view?.status) && view?.steps?.some((s: Rec) => s.status === 'STUCK');
}

/** A payment captured is a point of no return: its saga completed (or failed for an operator), never compensated. */
export async function capturedInvariant(backendsUrl: string, views: Map<string, Rec>): Promise<Invariant[]> {
  const captured = (await records(backendsUrl, 'payments')).filter((r) => r.status === 'CAPTURED');
  const wrong = captured.filter((r) => !['COMPLETED', 'FAILED'].includes(views.get(r.sagaId)?.status)).map((r) => `${r.sagaId}: ${views.get(r.sagaId)?.status}`);
  return [check('captured implies completed or failed, never compensated', captured.length, wrong)];
}

/**
 * Every saga ended, or is visibly stuck in compensation with the step named: none silently lost. A lost one
 * is reported with what Temporal shows of it (`serverSide`: its pending task, failed tasks, history's end).
 */
export function outcomeInvariant(views: Map<string, Rec>, started: number, serverSide: Map<string, string> = new Map()): Invariant[] {
  const lost: string[] = [];
  for (const [id, view] of views) {
    if (!['COMPLETED', 'COMPENSATED'].includes(view.status) && !waitsForOperator(view)) lost.push(`${id} ${view.type}: ${view.status}${whereItWaits(view)}${serverSide.get(id) ?? ''}`);
  }
  return [
    check('every saga ended COMPLETED or COMPENSATED, or is visibly stuck', views.size, lost),
    check('every start request got a saga', started, views.size === started ? [] : [`${started - views.size} of ${started} have no readable saga`]),
  ];
}

/** The step a saga that has not ended is at, with its attempts and last error, for the report. */
function whereItWaits(view: Rec): string {
  const step = [...(view.steps ?? [])].reverse().find((s: Rec) => s.status !== 'SUCCEEDED') ?? view.steps?.at(-1);
  const awaiting = view.awaiting?.for ? `, awaiting ${view.awaiting.for}` : '';
  return step ? ` at ${step.name} ${step.status} (${step.attempts} attempts${step.error ? `: ${String(step.error).slice(0, 80)}` : ''})${awaiting}` : awaiting;
}

function count(list: Rec[], status: string): number {
  return list.filter((r) => r.status === status).length;
}

function summary(...groups: Rec[][]): string {
  return groups.flat().map((r) => `${r.kind}:${r.status}`).join(',') || 'nothing';
}

/**
 * Bike checkouts: no bike out with two sagas (recording mode lets the bikes service accept a second
 * checkout); a completed checkout holds each bike it asked for and one captured fee; a compensated one
 * holds no bike and no fee.
 */
export async function bikeInvariants(backendsUrl: string, views: Map<string, Rec>): Promise<Invariant[]> {
  const [storage, bikes, payments] = await Promise.all(['storage', 'bikes', 'payments'].map((s) => records(backendsUrl, s)));
  const checkouts = bikes!.filter((b) => b.kind === 'checkout');
  const outBy = new Map<string, Set<string>>();
  for (const r of checkouts.filter((b) => b.status === 'CHECKED_OUT')) outBy.set(r.bikeId, new Set([...(outBy.get(r.bikeId) ?? []), r.sagaId]));
  const doubled = [...outBy].filter(([, sagas]) => sagas.size > 1).map(([bike, sagas]) => `${bike}: ${[...sagas].join(',')}`);
  const leaks: string[] = [];
  const completedWrong: string[] = [];
  const cases = { completed: 0, compensated: 0 };
  const held = { storage: bySaga(storage!), bikes: bySaga(checkouts), payments: bySaga(authorizations(payments!)) };
  for (const [id, view] of views) {
    if (view.type !== 'bike-checkout') continue;
    const out = held.bikes.get(id) ?? [];
    const fee = held.payments.get(id) ?? [];
    if (view.status === 'COMPLETED') {
      cases.completed += 1;
      const wanted = (view.bikes ?? []).length || 1;
      if (count(out, 'CHECKED_OUT') !== wanted || count(fee, 'CAPTURED') !== 1 || fee.length !== 1) completedWrong.push(`${id}: ${summary(out, fee)}`);
    }
    if (view.status !== 'COMPENSATED') continue;
    cases.compensated += 1;
    const open = [...(held.storage.get(id) ?? []), ...out, ...fee].filter((r) => ['RELEASED', 'CHECKED_OUT', 'AUTHORIZED', 'CAPTURED'].includes(r.status));
    if (open.length > 0) leaks.push(`${id}: ${summary(open)}`);
  }
  return [
    check('no bike is checked out by two sagas (checkouts recorded)', checkouts.length, doubled),
    check('completed bike checkout: its bikes checked out, one fee captured', cases.completed, completedWrong),
    check('compensated bike checkout: every bike back, fee voided', cases.compensated, leaks),
  ];
}

/**
 * Class registrations: no section over capacity (recording mode lets the registrar enroll past it); a
 * completed registration holds its enrollment and its charge; a compensated one neither.
 */
export async function classInvariants(backendsUrl: string, views: Map<string, Rec>): Promise<Invariant[]> {
  const [registrar, billing] = await Promise.all(['registrar', 'billing'].map((s) => records(backendsUrl, s)));
  const over: string[] = [];
  const enrollments = registrar!.filter((r) => r.kind === 'enrollment');
  for (const section of registrar!.filter((r) => r.kind === 'section')) {
    const enrolled = enrollments.filter((r) => r.sectionId === section.sectionId && r.status === 'ENROLLED').length;
    if (enrolled > section.capacity) over.push(`${section.sectionId}: ${enrolled} > ${section.capacity}`);
  }
  const leaks: string[] = [];
  const completedWrong: string[] = [];
  const cases = { completed: 0, compensated: 0 };
  const held = { registrar: bySaga(enrollments), billing: bySaga(billing!) };
  for (const [id, view] of views) {
    if (view.type !== 'class-registration') continue;
    const seat = held.registrar.get(id) ?? [];
    const charge = held.billing.get(id) ?? [];
    if (view.status === 'COMPLETED') {
      cases.completed += 1;
      if (count(seat, 'ENROLLED') !== 1 || count(charge, 'PLACED') !== 1) completedWrong.push(`${id}: ${summary(seat, charge)}`);
    }
    if (view.status !== 'COMPENSATED') continue;
    cases.compensated += 1;
    const open = [...seat, ...charge].filter((r) => ['ENROLLED', 'PLACED'].includes(r.status));
    if (open.length > 0) leaks.push(`${id}: ${summary(open)}`);
  }
  return [
    check('no section holds more students than its capacity (enrollments recorded)', enrollments.length, over),
    check('completed registration: enrolled once, charged once', cases.completed, completedWrong),
    check('compensated registration: no enrollment, no charge', cases.compensated, leaks),
  ];
}
