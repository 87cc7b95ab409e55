export interface Invariant {
  name: string;
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

function check(name: string, offenders: string[]): Invariant {
  return { name, held: offenders.length === 0, detail: offenders.length === 0 ? 'ok' : offenders.slice(0, 5).join('; ') };
}

/** The order saga's promises, read from the backends' own records. */
export async function orderInvariants(backendsUrl: string, views: Map<string, Rec>): Promise<Invariant[]> {
  const [inventory, payments, shipping] = await Promise.all(['inventory', 'payments', 'shipping'].map((s) => records(backendsUrl, s)));
  const held = { inventory: bySaga(inventory!), payments: bySaga(payments!), shipping: bySaga(shipping!) };
  const completedWrong: string[] = [];
  const compensatedLeaks: string[] = [];
  const doubleCaptures: string[] = [];
  for (const [id, view] of views) {
    if (view.type !== 'order') continue;
    const res = held.inventory.get(id) ?? [];
    const auth = held.payments.get(id) ?? [];
    const ship = held.shipping.get(id) ?? [];
    if (auth.filter((a) => a.status === 'CAPTURED').length > 1) doubleCaptures.push(id);
    if (view.status === 'COMPLETED') {
      const ok = count(auth, 'CAPTURED') === 1 && auth.length === 1 && count(ship, 'CREATED') === 1 && ship.length === 1 && count(res, 'COMMITTED') === 1 && res.length === 1;
      if (!ok) completedWrong.push(`${id}: ${summary(res, auth, ship)}`);
    }
    if (view.status === 'COMPENSATED') {
      const leaks = [...res, ...auth, ...ship].filter((r) => ['HELD', 'AUTHORIZED', 'CREATED', 'CAPTURED', 'COMMITTED'].includes(r.status));
      if (leaks.length > 0) compensatedLeaks.push(`${id}: ${summary(res, auth, ship)}`);
    }
  }
  return [
    check('completed order: exactly one capture, one shipment, one committed reservation', completedWrong),
    check('compensated order: nothing held, authorized or created', compensatedLeaks),
    check('no payment captured twice', doubleCaptures),
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
  return [check(`captured implies completed or failed, never compensated (${captured.length} captured)`, wrong)];
}

/** Every saga ended, or is visibly stuck in compensation with the step named: none silently lost. */
export function outcomeInvariant(views: Map<string, Rec>, started: number): Invariant[] {
  const lost: string[] = [];
  for (const [id, view] of views) {
    if (!['COMPLETED', 'COMPENSATED'].includes(view.status) && !waitsForOperator(view)) lost.push(`${id}: ${view.status}`);
  }
  return [
    check('every saga ended COMPLETED or COMPENSATED, or is visibly stuck', lost),
    check('every start request got a saga', views.size === started ? [] : [`${started - views.size} of ${started} have no readable saga`]),
  ];
}

function count(list: Rec[], status: string): number {
  return list.filter((r) => r.status === status).length;
}

function summary(...groups: Rec[][]): string {
  return groups.flat().map((r) => `${r.kind}:${r.status}`).join(',') || 'nothing';
}

/** Bike checkouts: no bike out with two sagas; completed ones hold their bikes, compensated ones none. */
export async function bikeInvariants(backendsUrl: string, views: Map<string, Rec>): Promise<Invariant[]> {
  const [storage, bikes, payments] = await Promise.all(['storage', 'bikes', 'payments'].map((s) => records(backendsUrl, s)));
  const outBy = new Map<string, Set<string>>();
  for (const r of bikes!.filter((b) => b.kind === 'checkout' && b.status === 'CHECKED_OUT')) {
    outBy.set(r.bikeId, new Set([...(outBy.get(r.bikeId) ?? []), r.sagaId]));
  }
  const doubled = [...outBy].filter(([, sagas]) => sagas.size > 1).map(([bike]) => bike);
  const leaks: string[] = [];
  const held = { storage: bySaga(storage!), bikes: bySaga(bikes!), payments: bySaga(payments!) };
  for (const [id, view] of views) {
    if (view.type !== 'bike-checkout' || view.status !== 'COMPENSATED') continue;
    const open = [...(held.storage.get(id) ?? []), ...(held.bikes.get(id) ?? []), ...(held.payments.get(id) ?? [])].filter((r) =>
      ['RELEASED', 'CHECKED_OUT', 'AUTHORIZED', 'CAPTURED'].includes(r.status),
    );
    if (open.length > 0) leaks.push(`${id}: ${summary(open)}`);
  }
  return [check('no bike is checked out by two sagas', doubled), check('compensated bike checkout: every bike back, fee voided', leaks)];
}

/** Class registrations: no section over capacity; a compensated registration holds no seat or charge. */
export async function classInvariants(backendsUrl: string, views: Map<string, Rec>): Promise<Invariant[]> {
  const [registrar, billing] = await Promise.all(['registrar', 'billing'].map((s) => records(backendsUrl, s)));
  const over: string[] = [];
  for (const section of registrar!.filter((r) => r.kind === 'section')) {
    const enrolled = registrar!.filter((r) => r.kind === 'enrollment' && r.sectionId === section.sectionId && r.status === 'ENROLLED').length;
    if (enrolled > section.capacity) over.push(`${section.sectionId}: ${enrolled} > ${section.capacity}`);
  }
  const leaks: string[] = [];
  const held = { registrar: bySaga(registrar!), billing: bySaga(billing!) };
  for (const [id, view] of views) {
    if (view.type !== 'class-registration' || view.status !== 'COMPENSATED') continue;
    const open = [...(held.registrar.get(id) ?? []), ...(held.billing.get(id) ?? [])].filter((r) => ['ENROLLED', 'PLACED'].includes(r.status));
    if (open.length > 0) leaks.push(`${id}: ${summary(open)}`);
  }
  return [check('no section holds more students than its capacity', over), check('compensated registration: no enrollment, no charge', leaks)];
}
