/**
 * Personal data in the audit is masked by field name before it is hashed and stored (README, "Security"):
 * account numbers keep their country and last four characters, people's names their initials, addresses
 * their country, free text (remittance information) becomes its SHA-256. What the regulator needs stays:
 * amounts, currencies, BICs, countries, references, reason codes, operators' names, and everything under
 * `screeningHit` (the screened party as the sanctions list matched it, which a review is judged against) and
 * `travelRule` (the payer's and payee's names and accounts the EU Transfer of Funds Regulation has a bank
 * keep with each transfer).
 */
import { sha256 } from './chain';

const KEPT_WHOLE = new Set(['screeningHit', 'travelRule']);

type Masker = (value: unknown) => unknown;

const rules: Array<{ field: RegExp; mask: Masker }> = [
  { field: /(iban|accountnumber|account)$/i, mask: (v) => (typeof v === 'string' ? maskAccount(v) : v) },
  { field: /(^|[a-z])name$/i, mask: (v) => (typeof v === 'string' ? initials(v) : v) },
  { field: /address$/i, mask: (v) => (v !== null && typeof v === 'object' && 'country' in v ? { country: (v as { country: unknown }).country } : '***') },
  { field: /(remittance|remittanceinformation|email|phone)$/i, mask: (v) => (typeof v === 'string' ? `sha256:${sha256(v)}` : v) },
];

/** A copy of `data` with personal fields masked, at any depth. */
export function maskPersonalData(data: Record<string, unknown>): Record<string, unknown> {
  return maskObject(data);
}

function maskValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskValue);
  if (value !== null && typeof value === 'object') return maskObject(value as Record<string, unknown>);
  return value;
}

function maskObject(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(object).map(([field, value]) => {
      if (KEPT_WHOLE.has(field)) return [field, value];
      const rule = rules.find((r) => r.field.test(field));
      return [field, rule ? rule.mask(value) : maskValue(value)];
    }),
  );
}

/** `DE89370400440532013000` -> `DE**************3000`; an already masked value stays as it is. */
export function maskAccount(account: string): string {
  const compact = account.replace(/\s+/g, '');
  if (compact.length <= 6) return '*'.repeat(compact.length);
  return `${compact.slice(0, 2)}${'*'.repeat(compact.length - 6)}${compact.slice(-4)}`;
}

/** `Jane Q. Doe` -> `J. Q. D.` */
export function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .map((part) => `${[...part][0]!.toUpperCase()}.`)
    .join(' ');
}
