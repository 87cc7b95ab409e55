import { pause, readView, type Ticket } from './load';

export interface PivotCancels {
  /** Answers to cancels sent once the capture was in flight or done, by HTTP status. */
  byStatus: Record<number, number>;
  /** Sagas whose cancel was accepted although their pivot had been sent. */
  accepted: string[];
}

export function newPivotCancels(): PivotCancels {
  return { byStatus: {}, accepted: [] };
}

/**
 * A client that changes its mind late: it watches its order until the capture (the pivot) appears in the
 * view, then asks to cancel. The answer must be 409: the pivot is a point of no return once sent.
 */
export async function cancelDuringPivot(api: () => string, apiKey: string, t: Ticket, until: number, out: PivotCancels): Promise<void> {
  while (t.sagaId && Date.now() < until) {
    const view = await readView(api, apiKey, t.sagaId);
    if (view && view.status !== 'RUNNING') return;
    if (view?.steps?.some((s: Record<string, any>) => s.name === 'capturePayment')) {
      const res = await fetch(`${api()}/v1/sagas/${t.sagaId}/cancel`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'changed my mind during the capture' }),
        signal: AbortSignal.timeout(10_000),
      }).catch(() => null);
      if (!res) continue;
      out.byStatus[res.status] = (out.byStatus[res.status] ?? 0) + 1;
      if (res.status === 200 || res.status === 202) out.accepted.push(t.sagaId);
      if (res.status < 500) return;
    }
    await pause(100);
  }
}
