import assert from 'node:assert/strict';
import { call, waitForView } from './http';

export const LOCAL_HOUSEHOLD_3 = { documentNumber: 'D1234567', issuingRegion: 'City', dateOfBirth: '1980-04-02' };
export const VISITOR = { documentNumber: 'V5550001', issuingRegion: 'Elsewhere', dateOfBirth: '1991-11-30' };
export const REJECTED = { documentNumber: 'D0000000', issuingRegion: 'City', dateOfBirth: '1970-01-01' };

/** A kiosk with room for a whole test file (the demo's kiosk-central has 10 bikes). */
export async function addKiosk(backendsUrl: string, kioskId: string, bikes: number): Promise<void> {
  const res = await fetch(`${backendsUrl}/storage/_admin/kiosks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kioskId, bikes }),
  });
  assert.equal(res.status, 201, await res.text());
}

export function bikeBody(overrides: Record<string, unknown> = {}) {
  return { kioskId: 'kiosk-test', bikes: 1, credentials: LOCAL_HOUSEHOLD_3, ...overrides };
}

/** Plays the kiosk's door sensor: once bike n is on its way, reports it in its bay. */
export async function senseBike(apiUrl: string, sagaId: string, n: number): Promise<void> {
  const view = await waitForView(apiUrl, sagaId, (v) => v.bikes?.[n - 1]?.status === 'ON_ITS_WAY' || v.status !== 'RUNNING');
  const bike = view.bikes?.[n - 1];
  assert.ok(bike, `bike ${n} never got on its way: ${JSON.stringify(view)}`);
  // Sent again a few times, as the kiosk's client does: a 503 (Temporal slow to take the update on a loaded
  // machine), and a 422 that can come when the published view shows the bike on its way a moment before the
  // saga takes its sensor (a known gap, issue 21's closing note).
  let answer = await call(apiUrl, 'POST', `/v1/sagas/${sagaId}/signals/bike-sensed`, { body: { bikeId: bike.bikeId } });
  for (let again = 0; again < 5 && (answer.status === 503 || answer.body?.code === 'UnknownBike'); again += 1) {
    await new Promise((r) => setTimeout(r, 1_000));
    answer = await call(apiUrl, 'POST', `/v1/sagas/${sagaId}/signals/bike-sensed`, { body: { bikeId: bike.bikeId } });
  }
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
}
