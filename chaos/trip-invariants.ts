import { check, type Invariant } from './invariants';

type Rec = Record<string, any>;

const HELD = ['HELD', 'CONFIRMED', 'TICKETED', 'LOCKED', 'AUTHORIZED', 'CAPTURED'];

/**
 * Trips, from the suppliers' own records: a completed trip holds one ticket, one hotel booking, one car
 * booking and one captured payment; a compensated one holds nothing (lapsed holds may remain, as EXPIRED).
 */
export async function tripInvariants(backendsUrl: string, views: Map<string, Rec>): Promise<Invariant[]> {
  const services = ['flights', 'hotels', 'cars', 'fx', 'payments'];
  const all = await Promise.all(
    services.map(async (s) => {
      const res = await fetch(`${backendsUrl}/${s}/_admin/state`, { signal: AbortSignal.timeout(10_000) });
      return ((await res.json()) as { records: Rec[] }).records.map((r): Rec => ({ ...r, service: s }));
    }),
  );
  const bySaga = new Map<string, Rec[]>();
  for (const r of all.flat()) if (r.sagaId && r.kind !== 'rate-quote') bySaga.set(r.sagaId, [...(bySaga.get(r.sagaId) ?? []), r]);
  const completedWrong: string[] = [];
  const compensatedLeaks: string[] = [];
  const cases = { completed: 0, compensated: 0 };
  for (const [id, view] of views) {
    if (view.type !== 'trip') continue;
    if (view.status === 'COMPLETED') cases.completed += 1;
    if (view.status === 'COMPENSATED') cases.compensated += 1;
    const records = bySaga.get(id) ?? [];
    const live = records.filter((r) => HELD.includes(r.status)).map((r) => `${r.service}:${r.status}`).sort();
    if (view.status === 'COMPLETED' && live.join() !== 'cars:CONFIRMED,flights:TICKETED,fx:LOCKED,hotels:CONFIRMED,payments:CAPTURED') {
      completedWrong.push(`${id}: ${live.join() || 'nothing'}`);
    }
    if (view.status === 'COMPENSATED' && live.length > 0) compensatedLeaks.push(`${id}: ${live.join()}`);
  }
  return [
    check('completed trip: one ticket, one hotel and one car booking, one captured payment, the rate locked', cases.completed, completedWrong),
    check('compensated trip: nothing held, booked, ticketed, locked or charged', cases.compensated, compensatedLeaks),
  ];
}
