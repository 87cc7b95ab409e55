/** The bike-rental demo data (documented in the README). */
export const KIOSKS: Record<string, Kiosk> = {
  'kiosk-central': { bikes: 10, bays: 4 },
  'kiosk-empty': { bikes: 0, bays: 2 },
};

/** The opt-in registry of locals; D0000000 is a document the ID service rejects as invalid. */
export const LOCALS: Record<string, { householdSize: number }> = {
  D1234567: { householdSize: 3 },
  D7654321: { householdSize: 1 },
};

export const INVALID_DOCUMENTS = new Set(['D0000000']);

export interface Kiosk {
  bikes: number;
  bays: number;
}

export function bikeIdsOf(kioskId: string, kiosk: Kiosk): string[] {
  const short = kioskId.replace(/^kiosk-/, '');
  return Array.from({ length: kiosk.bikes }, (_, i) => `${short}-${String(i + 1).padStart(2, '0')}`);
}
