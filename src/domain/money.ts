/** Amounts travel as integer minor units (cents) with an ISO currency; only formatting makes decimals. */
export const Currencies = ['EUR', 'USD', 'GBP'] as const;
export type Currency = (typeof Currencies)[number];

export interface Money {
  amountMinor: number;
  currency: Currency;
}

export function formatMoney(money: Money): string {
  const sign = money.amountMinor < 0 ? '-' : '';
  const abs = Math.abs(money.amountMinor);
  const units = Math.floor(abs / 100);
  const cents = String(abs % 100).padStart(2, '0');
  return `${sign}${units}.${cents} ${money.currency}`;
}
