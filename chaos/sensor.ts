import type { Ticket } from './load';
import { pause, readView } from './load';

/**
 * Plays the kiosks' door sensors during the campaign: every bike that is on its way to a rider whose
 * ticket says so is reported in its bay, retrying through API restarts.
 */
export function runSensors(api: () => string, apiKey: string, tickets: Ticket[], until: () => boolean): Promise<void> {
  const sensed = new Set<string>();
  return (async () => {
    while (!until()) {
      for (const t of tickets) {
        if (t.kind !== 'bike-checkout' || !t.sense || !t.sagaId || sensed.has(t.sagaId)) continue;
        const view = await readView(api, apiKey, t.sagaId);
        if (!view || view.status !== 'RUNNING') {
          if (view) sensed.add(t.sagaId);
          continue;
        }
        for (const bike of view.bikes ?? []) {
          if (bike.status !== 'ON_ITS_WAY') continue;
          const res = await fetch(`${api()}/v1/sagas/${t.sagaId}/signals/bike-sensed`, {
            method: 'POST',
            headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ bikeId: bike.bikeId }),
            signal: AbortSignal.timeout(10_000),
          }).catch(() => null);
          if (res?.status === 200) sensed.add(t.sagaId);
        }
      }
      await pause(500);
    }
  })();
}
