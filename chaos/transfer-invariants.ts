import { check, type Invariant } from './invariants';
import type { Reviews } from './transfers';

type Rec = Record<string, any>;
type Line = { Account: string; AmountMinor: number; Currency: string };

async function records(backendsUrl: string, service: string): Promise<Rec[]> {
  const res = await fetch(`${backendsUrl}/${service}/_admin/state`, { signal: AbortSignal.timeout(10_000) });
  return ((await res.json()) as { records: Rec[] }).records;
}

function group(list: Rec[], by: (r: Rec) => unknown): Map<string, Rec[]> {
  const map = new Map<string, Rec[]>();
  for (const r of list) {
    const key = by(r);
    if (typeof key === 'string') map.set(key, [...(map.get(key) ?? []), r]);
  }
  return map;
}

/** What a posting moves on the customer's account (the held one): negative is money out. */
const onAccount = (postings: Rec[], iban: string | undefined) => postings.flatMap((p) => p.lines as Line[]).filter((l) => l.Account === iban).reduce((sum, l) => sum + l.AmountMinor, 0);

/**
 * Transfers, judged from what the core system and the network recorded (the core system runs in recording
 * mode: it books a posting that does not balance or that has no live hold, so these judge what sagaway asked
 * for): every posting balances per currency; money left a customer's account only for a transfer the
 * network settled, once, and exactly what was held; it came back for each payment the network returned;
 * nothing is held for a transfer that ended; a potential match went on only with two officers' approvals.
 */
export async function transferInvariants(backendsUrl: string, views: Map<string, Rec>, returns: Map<string, Rec>, reviews: Reviews): Promise<Invariant[]> {
  const [corebanking, network, fx] = await Promise.all(['corebanking', 'network', 'fx'].map((s) => records(backendsUrl, s)));
  const postings = corebanking!.filter((r) => r.kind === 'posting');
  const transfers = [...views.values()].filter((v) => v.type === 'transfer');
  const ended = transfers.filter((v) => v.status === 'COMPLETED' || v.status === 'COMPENSATED');
  const payments = group(network!.filter((r) => r.kind === 'payment'), (r) => r.sagaId);
  const holds = group(corebanking!.filter((r) => r.kind === 'hold'), (r) => r.sagaId);
  const locks = group(fx!.filter((r) => r.kind === 'pair-lock'), (r) => r.sagaId);
  const debits = group(postings.filter((p) => p.holdId !== undefined), (r) => r.sagaId);

  const unbalanced = postings.filter((p) => Object.values(netPerCurrency(p.lines)).some((sum) => sum !== 0)).map((p) => `${p.sagaId} ${p.id}: ${JSON.stringify(netPerCurrency(p.lines))}`);

  const wrongDebits: string[] = [];
  for (const [sagaId, list] of debits) {
    const settled = (payments.get(sagaId) ?? []).filter((p) => p.status === 'ACSC');
    const held = (holds.get(sagaId) ?? []).reduce((sum, h) => sum + Number(h.amountMinor), 0);
    const debited = -onAccount(list, holds.get(sagaId)?.[0]?.iban);
    if (settled.length !== 1 || list.length !== 1 || debited !== held) wrongDebits.push(`${sagaId}: ${list.length} postings debiting ${debited} (held ${held}), ${settled.length} settled payments`);
  }
  for (const view of ended) {
    const sent = payments.get(view.id) ?? [];
    const posted = debits.get(view.id) ?? [];
    if (view.status === 'COMPLETED' && (posted.length !== 1 || sent.length !== 1)) wrongDebits.push(`${view.id} COMPLETED: ${posted.length} postings, ${sent.length} payments sent`);
    if (view.status === 'COMPENSATED' && (posted.length > 0 || sent.some((p) => p.status === 'ACSC'))) wrongDebits.push(`${view.id} COMPENSATED: ${posted.length} postings, payments ${sent.map((p) => p.status).join(',')}`);
  }

  const returned = network!.filter((r) => r.kind === 'return');
  const credits = group(postings.filter((p) => p.transferReference !== undefined), (r) => r.transferReference);
  const notBack: string[] = [];
  for (const r of returned) {
    const list = credits.get(String(r.uetr)) ?? [];
    const back = onAccount(list, holds.get(String(r.sagaId))?.[0]?.iban);
    const saga = returns.get(`${r.sagaId}-return`);
    if (list.length !== 1 || back <= 0 || saga?.status !== 'COMPLETED') notBack.push(`${r.sagaId}: ${list.length} credit postings of ${back}, return saga ${saga?.status ?? 'none'}`);
  }
  for (const uetr of credits.keys()) if (!returned.some((r) => r.uetr === uetr)) notBack.push(`${uetr}: credited back, never returned`);

  const leftHeld: string[] = [];
  let holdCases = 0;
  for (const view of ended) {
    const mine = [...(holds.get(view.id) ?? []), ...(view.status === 'COMPENSATED' ? locks.get(view.id) ?? [] : [])];
    holdCases += mine.length;
    const live = mine.filter((r) => r.status === 'HELD' || r.status === 'LOCKED');
    if (live.length > 0) leftHeld.push(`${view.id} ${view.status}: ${live.map((r) => `${r.kind}:${r.status}`).join(',')}`);
  }

  const passedReview = transfers.filter((v) => v.screening?.result === 'POTENTIAL_MATCH' && v.status === 'COMPLETED');
  const approvers = (v: Rec) => new Set((v.reviews ?? []).filter((r: Rec) => r.decision === 'approve' && reviews.officers.includes(r.operator)).map((r: Rec) => r.operator));
  const unreviewed = passedReview.filter((v) => approvers(v).size < 2).map((v) => `${v.id}: ${JSON.stringify(v.reviews ?? [])}`);
  const twice = Object.values(reviews.sameOfficerTwice).reduce((a, b) => a + b, 0);

  return [
    check('every posting balances to zero per currency (postings recorded)', postings.length, unbalanced),
    check("money left a customer's account only for a settled transfer, once, and what was held", ended.length + debits.size, wrongDebits),
    check('money came back for every payment the network returned, by its return saga', returned.length, notBack),
    check('no hold (nor, compensated, a rate lock) left on a transfer that ended', holdCases, leftHeld),
    check('a potential match settled only after two different officers approved', passedReview.length, [...unreviewed, ...reviews.odd]),
    check('the same officer approving twice is a 409', twice, Object.entries(reviews.sameOfficerTwice).filter(([status]) => status !== '409').map(([s, n]) => `HTTP ${s}: ${n}`)),
  ];
}

function netPerCurrency(lines: Line[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const l of lines) sums[l.Currency] = (sums[l.Currency] ?? 0) + l.AmountMinor;
  return sums;
}
