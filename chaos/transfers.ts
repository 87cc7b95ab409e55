import type { FaultLedger } from './faults';
import { apiFetch, pause, readView, ticket, type Ticket } from './load';

/**
 * Cross-border transfers in the campaign: a clean one (EUR to JPY, so a rate is locked), one whose
 * beneficiary is a potential sanctions match (two officers review it), one the network rejects (a closed
 * account, EUR to GBP) and one whose beneficiary's bank returns the money (pacs.004, a return saga).
 */
export type TransferCase = 'clean' | 'review' | 'rejected' | 'returned';
export const TRANSFER_CASES: TransferCase[] = ['clean', 'review', 'rejected', 'returned'];

/** Ada's account (src/backends/core-banking.ts), with money enough for every transfer of a full run. */
export const CHAOS_DEBTOR = 'DE89370400440532013000';

const BENEFICIARIES: Record<TransferCase, Record<string, unknown>> = {
  clean: { name: 'Sato Hanako', accountNumber: '1234567', bic: 'MHCBJPJT', country: 'JP', address: { line: '1-1 Marunouchi', city: 'Tokyo' }, currency: 'JPY' },
  review: { name: 'Viktor Sanctionov', iban: 'NL20INGB0001234567', bic: 'INGBNL2A', country: 'NL', address: { line: 'Damrak 1', city: 'Amsterdam' }, currency: 'EUR' },
  rejected: { name: 'Old Account Ltd', iban: 'GB29NWBK60161331926819', bic: 'NWBKGB2L', country: 'GB', address: { line: '1 Lombard St', city: 'London' }, currency: 'GBP' },
  returned: { name: 'Javier Ruiz', iban: 'ES9121000418450200051332', bic: 'CAIXESBB', country: 'ES', address: { line: 'Gran Via 1', city: 'Madrid' }, currency: 'EUR' },
};

/** The i-th transfer of the campaign, its case in `t.transfer`. */
export function transferTicket(i: number): Ticket {
  const kind = TRANSFER_CASES[i % TRANSFER_CASES.length]!;
  const t = ticket('transfer', '/v1/transfers', {
    debtor: { iban: CHAOS_DEBTOR, currency: 'EUR' },
    beneficiary: BENEFICIARIES[kind],
    amount: { value: `${100 + i}.00`, currency: 'EUR' },
    chargeBearer: 'SHAR',
    remittanceInformation: `chaos ${kind} ${i}`,
    // Far beyond the campaign: the officers answer late only when the API or Temporal is down.
    reviewSeconds: 3_600,
  });
  t.transfer = kind;
  return t;
}

/**
 * The faults aimed at one transfer, by its case, each at a call the case is sure to make after its start
 * (a potential match makes its hold only once reviewed): the answer to a hold, to the pacs.008 or to a
 * posting lost after the backend applied it, a posting that answers 503 after the pivot, the network's
 * report lost (the pacs.028 must find the settlement), a hold release that fails during compensation.
 * Injected before the transfer starts, under the saga id its Idempotency-Key will give it: a transfer
 * rejected at once reached its hold release before a fault injected after its start.
 */
export async function injectTransferFaults(ledger: FaultLedger, t: Ticket, sagaId: string): Promise<void> {
  const once = (kind: string, service: string, fault: Record<string, unknown>) => ledger.inject(kind, service, { ...fault, count: 1, sagaId });
  if (t.transfer === 'clean') {
    await once('lost pacs.008 answer', 'network', { op: 'submit', mode: 'drop' });
    await once('posting 5xx (after the pivot)', 'corebanking', { op: 'postTransfer', mode: 'error', status: 503 });
  }
  if (t.transfer === 'review') {
    await once('lost hold answer', 'corebanking', { op: 'holdFunds', mode: 'drop' });
    await once('lost posting answer', 'corebanking', { op: 'postTransfer', mode: 'drop' });
  }
  if (t.transfer === 'rejected') await once('5xx on a hold release (compensation)', 'corebanking', { op: 'releaseHold', mode: 'error', status: 500 });
  if (t.transfer === 'returned') await once('lost network report', 'network', { op: 'report', mode: 'drop' });
}

/** What the two officers did: each potential match approved by both, the first one approving twice on the way. */
export interface Reviews {
  /** The officers' names, as the API records them. */
  officers: string[];
  /** Transfers both officers approved. */
  approved: number;
  /** Answers to the first officer's second approval, by HTTP status: each must be 409. */
  sameOfficerTwice: Record<number, number>;
  /** `sagaId: what went wrong` for a review that could not be given. */
  odd: string[];
}

export interface Officer {
  name: string;
  key: string;
}

/**
 * Plays the compliance desk during the campaign: every transfer waiting for its review is approved by
 * the first officer, approved again by the same one (a 409), then by the second, through API and
 * Temporal restarts (an approval whose answer was lost is found in the view).
 */
export function runReviews(api: () => string, apiKey: string, tickets: Ticket[], until: () => boolean, officers: [Officer, Officer], out: Reviews): Promise<void> {
  const done = new Set<string>();
  return (async () => {
    while (!until()) {
      for (const t of tickets) {
        if (t.transfer !== 'review' || !t.sagaId || done.has(t.sagaId)) continue;
        const view = await readView(api, apiKey, t.sagaId);
        if (view && view.status !== 'RUNNING') done.add(t.sagaId);
        if (view?.awaiting?.for !== 'complianceReview') continue;
        done.add(t.sagaId);
        await reviewByBoth(api, apiKey, t.sagaId, officers, out);
      }
      await pause(500);
    }
  })();
}

async function reviewByBoth(api: () => string, apiKey: string, sagaId: string, [first, second]: [Officer, Officer], out: Reviews): Promise<void> {
  if (!(await approve(api, apiKey, sagaId, first))) return void out.odd.push(`${sagaId}: ${first.name} could not approve`);
  for (;;) {
    const again = await review(api, sagaId, first);
    if (!again || again.status === 503) {
      await pause(1_000);
      continue;
    }
    out.sameOfficerTwice[again.status] = (out.sameOfficerTwice[again.status] ?? 0) + 1;
    break;
  }
  if (!(await approve(api, apiKey, sagaId, second))) return void out.odd.push(`${sagaId}: ${second.name} could not approve`);
  out.approved += 1;
}

/** One approval, sent again while no answer or a 503 comes; a 409 counts when the view shows it was taken. */
async function approve(api: () => string, apiKey: string, sagaId: string, officer: Officer): Promise<boolean> {
  for (let attempt = 0; attempt < 120; attempt += 1) {
    const res = await review(api, sagaId, officer);
    if (res?.status === 200) return true;
    if (res?.status === 409) {
      const view = await readView(api, apiKey, sagaId);
      return Boolean(view?.reviews?.some((r: Record<string, unknown>) => r.operator === officer.name && r.decision === 'approve'));
    }
    if (res && res.status < 500) return false;
    await pause(1_000);
  }
  return false;
}

const review = (api: () => string, sagaId: string, officer: Officer) =>
  apiFetch('review', `${api()}/v1/ops/transfers/${sagaId}/review`, {
    method: 'POST',
    headers: { authorization: `Bearer ${officer.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ decision: 'approve', reason: `chaos: ${officer.name} checked the list entry, another person` }),
    signal: AbortSignal.timeout(15_000),
  });

/**
 * The return sagas of every payment the network recorded as returned (its records, not the views: a
 * transfer still posting when the drain ended is returned later), read until each ended or the deadline:
 * `<transferId>-return`, started by the pacs.004 through the callback route.
 */
export async function followReturns(api: () => string, apiKey: string, backendsUrl: string, deadline: number): Promise<Map<string, Record<string, any>>> {
  const returns = new Map<string, Record<string, any>>();
  const open = new Set<string>();
  while (Date.now() < deadline) {
    const res = await fetch(`${backendsUrl}/network/_admin/state`, { signal: AbortSignal.timeout(10_000) }).catch(() => null);
    const records = res?.ok ? ((await res.json()) as { records: Array<Record<string, any>> }).records : [];
    for (const r of records) if (r.kind === 'return' && !returns.has(`${r.sagaId}-return`)) open.add(`${r.sagaId}-return`);
    for (const id of [...open]) {
      const view = await readView(api, apiKey, id);
      if (view) returns.set(id, view);
      if (view && ['COMPLETED', 'COMPENSATED', 'FAILED'].includes(view.status)) open.delete(id);
    }
    if (open.size === 0) break;
    await pause(1_000);
  }
  return returns;
}
