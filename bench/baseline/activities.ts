import { randomUUID } from 'node:crypto';

/**
 * Plain fetch calls to the same simulated backends. The backends insist on an Idempotency-Key, so each
 * call sends a fresh one (no idempotency across retries); a later call names a record by that key.
 */
export function createBaselineActivities(backendsUrl: string, credentials: (backend: string) => Promise<Record<string, string>> = async () => ({})) {
  async function postWithKey(path: string, body: unknown, key: string): Promise<any> {
    const res = await fetch(`${backendsUrl}${path}`, {
      method: 'POST',
      // The backends trust sagaway's tokens only: the baseline presents them as sagaway's worker does.
      headers: { 'content-type': 'application/json', 'idempotency-key': key, ...(await credentials(path.split('/')[1]!)) },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return res.json();
  }
  const post = (path: string, body: unknown) => postWithKey(path, body, randomUUID());
  return {
    async price(currency: string, items: unknown[]): Promise<number> {
      return (await post('/pricing/quotes', { currency, items })).subtotalMinor;
    },
    async reserve(items: unknown[]): Promise<string> {
      const key = randomUUID();
      await postWithKey('/inventory/reservations', { items }, key);
      return key;
    },
    async quoteShipping(currency: string, address: unknown): Promise<number> {
      return (await post('/shipping/quotes', { currency, address, units: 1 })).amountMinor;
    },
    async authorize(amountMinor: number, currency: string, paymentToken: string): Promise<string> {
      const key = randomUUID();
      await postWithKey('/payments/authorizations', { amountMinor, currency, paymentToken }, key);
      return key;
    },
    async createShipment(address: unknown, items: unknown[]): Promise<string> {
      return (await post('/shipping/shipments', { address, items })).shipmentId;
    },
    async capture(authorizationId: string): Promise<void> {
      await post('/payments/captures', { reference: authorizationId });
    },
    async commit(reservationId: string): Promise<void> {
      await post('/inventory/reservations/commit', { reference: reservationId });
    },
    async notify(to: string): Promise<void> {
      await post('/notifications/messages', { to, template: 'order-confirmed', data: {} });
    },
  };
}

export type BaselineActivities = ReturnType<typeof createBaselineActivities>;
