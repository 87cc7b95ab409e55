/** The demo data set the simulated order backends start from (documented in the README). */
export const CATALOG: Record<string, { priceMinorEur: number; stock: number; name: string }> = {
  'book-001': { priceMinorEur: 1250, stock: 1_000_000, name: 'Paperback book' },
  'lamp-002': { priceMinorEur: 4000, stock: 1_000_000, name: 'Desk lamp' },
  'sold-out-003': { priceMinorEur: 999, stock: 0, name: 'Sold-out gadget' },
};

/** Units of each currency per euro. */
export const RATES: Record<string, number> = { EUR: 1, USD: 1.08, GBP: 0.85 };

export const SHIPPING_FLAT_MINOR_EUR = 500;

export const PAYMENT_TOKENS = { approved: 'tok_visa', declined: 'tok_declined' } as const;

export function convertFromEur(amountMinorEur: number, currency: string): number {
  const rate = RATES[currency];
  if (rate === undefined) throw new Error(`no rate for ${currency}`);
  return Math.round(amountMinorEur * rate);
}
