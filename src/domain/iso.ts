/**
 * The ISO codes a cross-border transfer is checked against at the door: IBAN (ISO 13616, check digits
 * mod 97 and each country's length), BIC (ISO 9362) and currencies with their minor units (ISO 4217).
 */

/** IBAN length per country (the SWIFT IBAN registry), for the countries sagaway's demo banks reach. */
export const IBAN_LENGTHS: Record<string, number> = {
  AT: 20, BE: 16, CH: 21, CY: 28, CZ: 24, DE: 22, DK: 18, EE: 20, ES: 24, FI: 18, FR: 27, GB: 22, GR: 27,
  HR: 21, HU: 28, IE: 22, IT: 27, KW: 30, LI: 21, LT: 20, LU: 20, LV: 21, MT: 31, NL: 18, NO: 15, PL: 28,
  PT: 25, RO: 24, SA: 24, SE: 24, SI: 19, SK: 24, AE: 23, TR: 26,
};

/** Digits after the decimal point of each currency's minor unit (ISO 4217 exponent). */
export const CURRENCY_EXPONENTS: Record<string, number> = {
  EUR: 2, USD: 2, GBP: 2, CHF: 2, SEK: 2, NOK: 2, DKK: 2, PLN: 2, CZK: 2, JPY: 0, KRW: 0, KWD: 3, BHD: 3, JOD: 3, OMR: 3, TND: 3,
};
export const TransferCurrencies = Object.keys(CURRENCY_EXPONENTS) as [string, ...string[]];

/** Why an IBAN is not one, or null when it is. */
export function ibanProblem(raw: string): string | null {
  const iban = raw.replace(/\s+/g, '');
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$/.test(iban)) return 'an IBAN is two letters, two check digits and up to 30 letters or digits';
  const length = IBAN_LENGTHS[iban.slice(0, 2)];
  if (length === undefined) return `IBANs of country ${iban.slice(0, 2)} are not supported`;
  if (iban.length !== length) return `an IBAN of ${iban.slice(0, 2)} has ${length} characters, not ${iban.length}`;
  return mod97(iban.slice(4) + iban.slice(0, 4)) === 1 ? null : 'the IBAN check digits do not match (mod 97)';
}

/** The remainder of the IBAN's letters-as-numbers modulo 97, read piece by piece (no big integers). */
function mod97(rearranged: string): number {
  let remainder = 0;
  for (const ch of rearranged) {
    const value = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder;
}

/** A BIC: 4 letters (bank), 2 letters (country), 2 letters or digits (location), optionally 3 for the branch. */
export const BIC_PATTERN = /^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/;

/** The amount `value` (a decimal string) in minor units of `currency`, or why it cannot be. */
export function toMinor(value: string, currency: string): { minor: number } | { problem: string } {
  const exponent = CURRENCY_EXPONENTS[currency];
  if (exponent === undefined) return { problem: `currency ${currency} is not supported` };
  const match = /^(\d{1,15})(?:\.(\d+))?$/.exec(value);
  if (!match) return { problem: 'an amount is a decimal number such as 1250.00, with a point and no sign' };
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) {
    return { problem: exponent === 0 ? `${currency} has no minor unit: no decimals` : `${currency} has ${exponent} decimals at most` };
  }
  const minor = Number(match[1]!) * 10 ** exponent + Number(fraction.padEnd(exponent, '0') || '0');
  if (!Number.isSafeInteger(minor)) return { problem: 'the amount is too large' };
  return minor > 0 ? { minor } : { problem: 'the amount must be more than zero' };
}

/** Minor units as the decimal string ISO 20022 messages carry (`12.345` KWD, `162450` JPY). */
export function fromMinor(minor: number, currency: string): string {
  const exponent = CURRENCY_EXPONENTS[currency] ?? 2;
  const sign = minor < 0 ? '-' : '';
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  return exponent === 0 ? `${sign}${digits}` : `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}
