import { apiFetch, pause, readView, type Ticket } from './load';

export interface PivotCancels {
  /** Answers to cancels sent once the capture was in flight or done, by HTTP status. */
  byStatus: Record<number, number>;
  /** Sagas whose cancel was accepted although their pivot had been sent. */
  accepted: string[];
}

export function newPivotCancels(): PivotCancels {
  return { byStatus: {}, accepted: [] };
}

const cancel = (api: () => string, apiKey: string, sagaId: string, reason: string) =>
  apiFetch('cancel', `${api()}/v1/sagas/${sagaId}/cancel`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason }),
  });

/**
 * A client that changes its mind late: it watches its order until the capture (the pivot) appears in the
 * view, then asks to cancel. The answer must be 409: the pivot is a point of no return once sent.
 */
export async function cancelDuringPivot(api: () => string, apiKey: string, t: Ticket, until: number, out: PivotCancels): Promise<void> {
  while (t.sagaId && Date.now() < until) {
    const view = await readView(api, apiKey, t.sagaId);
    if (view && view.status !== 'RUNNING') return;
    if (view?.steps?.some((s: Record<string, any>) => s.name === 'capturePayment')) {
      const res = await cancel(api, apiKey, t.sagaId, 'changed my mind during the capture');
      if (!res) continue;
      out.byStatus[res.status] = (out.byStatus[res.status] ?? 0) + 1;
      if (res.status === 200 || res.status === 202) out.accepted.push(t.sagaId);
      if (res.status < 500) return;
    }
    await pause(100);
  }
}

/** Registrations dropped in their add/drop period: the answers to both copies of each drop. */
export interface Drops {
  sent: number;
  /** `sagaId: why` for each registration the campaign meant to drop and could not (the report names them). */
  missed: string[];
  /** `sagaId: status,status` for a drop whose copies were not both accepted (2xx) or one refused as done (409). */
  odd: string[];
}

/**
 * A student who drops the class once enrolled and charged: the cancel is sent twice at once, as a
 * client that retries on a slow answer would (a duplicate delivery). The registration must end
 * COMPENSATED with no enrollment and no charge (the invariants judge that from the backends).
 */
export async function dropDuringAddDrop(api: () => string, apiKey: string, t: Ticket, until: number, out: Drops): Promise<void> {
  let last = 'no readable view';
  while (t.sagaId && Date.now() < until) {
    const view = await readView(api, apiKey, t.sagaId);
    if (view) last = `${view.status} at ${[...(view.steps ?? [])].reverse().find((s: Record<string, any>) => s.status !== 'SUCCEEDED')?.name ?? view.steps?.at(-1)?.name ?? 'its start'}`;
    if (view && view.status !== 'RUNNING') {
      out.missed.push(`${t.sagaId}: ${last} before its charge`);
      return;
    }
    if (view?.steps?.some((s: Record<string, any>) => s.name === 'placeCharge' && s.status === 'SUCCEEDED')) {
      const answers = await Promise.all([1, 2].map(() => cancel(api, apiKey, t.sagaId!, 'dropping the class')));
      // No answer, or 503 with Retry-After (Temporal restarting) for both: neither was delivered; send both again.
      if (answers.some((r) => !r) || answers.every((r) => r!.status === 503 && r!.headers.get('retry-after'))) {
        await pause(1_000);
        continue;
      }
      out.sent += 1;
      const statuses = answers.map((r) => r!.status);
      // A 503 beside an answer is a copy not delivered (the client would send it again); the others decide.
      const delivered = statuses.filter((s, i) => !(s === 503 && answers[i]!.headers.get('retry-after')));
      // Both refused is right when the add/drop period closed first (on a busy machine it can close between
      // the read above and the drop): the registration then stands, COMPLETED with its enrollment. Or when
      // it was already being undone (a step after the charge failed): it ends COMPENSATED, as the drop asked.
      const allRefused = delivered.every((s) => s === 409);
      const ended = allRefused ? await endedAs(api, apiKey, t.sagaId, until) : null;
      const bothRefused = allRefused && !['COMPLETED', 'COMPENSATED'].includes(ended ?? '');
      if (!delivered.every((s) => s < 300 || s === 409) || bothRefused) out.odd.push(`${t.sagaId}: ${statuses.join(',')}${bothRefused ? ` and it ended ${ended ?? 'not at all'}` : ''}`);
      return;
    }
    await pause(250);
  }
  out.missed.push(`${t.sagaId ?? 'a registration with no saga'}: still ${last} when the drain time was up`);
}

/** How the saga ended, read until `until` (null if it had not ended by then). */
async function endedAs(api: () => string, apiKey: string, sagaId: string, until: number): Promise<string | null> {
  while (Date.now() < until + 30_000) {
    const view = await readView(api, apiKey, sagaId);
    if (view && view.status !== 'RUNNING' && view.status !== 'COMPENSATING') return view.status as string;
    await pause(250);
  }
  return null;
}
