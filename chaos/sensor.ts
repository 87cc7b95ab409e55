import type { Ticket } from './load';
import { apiFetch, pause, readView } from './load';

/**
 * Plays the kiosks' door sensors during the campaign: every bike that is on its way to a rider whose
 * ticket says so is reported in its bay, retrying through API restarts. Each report is delivered twice
 * at once, as a sensor that resends on a slow answer does; `duplicates` counts those pairs.
 */
export function runSensors(api: () => string, apiKey: string, tickets: Ticket[], until: () => boolean, duplicates: { sent: number }): Promise<void> {
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
          const send = () =>
            apiFetch('sensor', `${api()}/v1/sagas/${t.sagaId}/signals/bike-sensed`, {
              method: 'POST',
              headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
              body: JSON.stringify({ bikeId: bike.bikeId }),
            });
          const answers = await Promise.all([send(), send()]);
          duplicates.sent += 1;
          if (answers.some((res) => res?.status === 200)) sensed.add(t.sagaId);
        }
      }
      await pause(500);
    }
  })();
}
