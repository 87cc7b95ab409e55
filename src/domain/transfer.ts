import { CURRENCY_EXPONENTS, toMinor } from './iso';
import type { SagaTuning } from './saga';
import type { TransferRequest } from './transfer-request';

/** An amount in a currency's own minor unit (yen for JPY, fils for KWD, cents for EUR). */
export interface Amount {
  minor: number;
  currency: string;
}

export interface TransferInput {
  transfer: TransferRequest;
  tuning: SagaTuning;
  /** Who asked, for the audit: the client and its key's fingerprint (never the key). */
  requestedBy: { clientId: string; keyId: string };
}

/** A message as the audit keeps it: its ISO 20022 type and the SHA-256 of its bytes. */
export interface MessageDigest {
  type: string;
  sha256: string;
}

/** A pacs.028 status request and the network's answer to it, as the audit keeps them. */
export interface StatusRequestRecord {
  msgId: string;
  sha256: string;
  answerSha256: string;
}

/** What the network's final report said (completed by the callback route, or found by a status request). */
export interface NetworkSettlement {
  status: 'ACSC';
  reportMsgId: string;
  via: 'report' | 'status-request';
  /** The SHA-256 of the pacs.002 as it was received; null when a saga started before it was passed. */
  sha256?: string | null;
  statusRequest?: StatusRequestRecord;
}

export interface Screening {
  screeningId: string;
  result: 'CLEAR' | 'POTENTIAL_MATCH';
  matches: Array<{ party: 'debtor' | 'beneficiary'; score: number; listEntry: string; name: string }>;
}

export interface Review {
  operator: string;
  decision: 'approve' | 'refuse';
  reason: string;
  at: string;
}

/** A rate locked for the transfer: units of the credit currency per unit of the debit currency, 6 decimals. */
export interface LockedPair {
  quoteId: string;
  sell: string;
  buy: string;
  rateE6: number;
}

/** What the transfer moves, all in minor units: the debit (principal and fee) and what the beneficiary's bank is sent. */
export interface Settlement {
  debit: Amount;
  principal: Amount;
  fee: Amount;
  credit: Amount;
  rateE6: number | null;
}

/** One line of a double-entry posting: positive credits the account, negative debits it. */
export interface PostingLine {
  account: string;
  minor: number;
  currency: string;
}

/** Our fee per transfer, in the debit currency's minor unit. */
export const TRANSFER_FEES: Record<string, number> = { EUR: 500, USD: 500, GBP: 400, CHF: 500, JPY: 800, KWD: 1_500 };

/** Reason codes of pacs.002 rejections and pacs.004 returns, as the network sends them. */
export const NETWORK_REASONS: Record<string, string> = {
  AC01: 'incorrect account number',
  AC04: 'closed account number',
  AC06: 'blocked account',
  AM05: 'duplicate payment',
  MD07: 'beneficiary deceased',
  RR04: 'regulatory reason',
};

export function describeReason(code: string): string {
  return `${code} ${NETWORK_REASONS[code] ?? 'reason not listed'}`;
}

/** `value` (an amount the request validated) in minor units. */
export function requestedMinor(req: TransferRequest): number {
  const minor = toMinor(req.amount.value, req.amount.currency);
  if ('problem' in minor) throw new TypeError(minor.problem);
  return minor.minor;
}

/**
 * What is debited and what is sent, exactly: integer arithmetic on minor units (BigInt for the rate).
 * An amount sent is converted rounding down; an amount to arrive costs the debit rounded up, so the
 * beneficiary never gets less than asked and the bank never gives away a fraction.
 */
export function settle(req: TransferRequest, pair: LockedPair | null): Settlement {
  const debitCcy = req.debtor.currency;
  const creditCcy = req.beneficiary.currency;
  const requested = requestedMinor(req);
  const rateE6 = pair ? pair.rateE6 : 1_000_000;
  const toCredit = (debitMinor: number) => convert(debitMinor, debitCcy, creditCcy, rateE6);
  const principal = req.amountIs === 'sent' ? requested : costOf(requested, debitCcy, creditCcy, rateE6);
  const fee = TRANSFER_FEES[debitCcy] ?? 0;
  const sent = req.amountIs === 'sent' ? toCredit(principal) : requested;
  // CRED: the creditor bears our fee, taken from what is sent; DEBT and SHAR: the debtor pays it on top.
  const credited = req.chargeBearer === 'CRED' ? sent - toCredit(fee) : sent;
  return {
    debit: { minor: req.chargeBearer === 'CRED' ? principal : principal + fee, currency: debitCcy },
    principal: { minor: principal, currency: debitCcy },
    fee: { minor: fee, currency: debitCcy },
    credit: { minor: credited, currency: creditCcy },
    rateE6: pair ? rateE6 : null,
  };
}

const scaleOf = (currency: string) => 10n ** BigInt(CURRENCY_EXPONENTS[currency] ?? 2);

/** `minor` of `from` in minor units of `to` at `rateE6` (units of `to` per unit of `from`), rounded down. */
export function convert(minor: number, from: string, to: string, rateE6: number): number {
  return Number((BigInt(minor) * BigInt(rateE6) * scaleOf(to)) / (scaleOf(from) * 1_000_000n));
}

/** What `creditMinor` of `to` costs in minor units of `from`, rounded up. */
export function costOf(creditMinor: number, from: string, to: string, rateE6: number): number {
  const numerator = BigInt(creditMinor) * scaleOf(from) * 1_000_000n;
  const denominator = BigInt(rateE6) * scaleOf(to);
  return Number((numerator + denominator - 1n) / denominator);
}

/**
 * The posting that turns the hold into money moved: the customer debited, our fee booked, the nostro at the
 * beneficiary's correspondent credited; across currencies through the FX position, so each currency nets to zero.
 */
export function postingLines(customerIban: string, s: Settlement): PostingLine[] {
  const net = s.debit.minor - s.fee.minor;
  const lines: PostingLine[] = [
    { account: customerIban, minor: -s.debit.minor, currency: s.debit.currency },
    { account: `FEES-${s.fee.currency}`, minor: s.fee.minor, currency: s.fee.currency },
  ];
  if (s.debit.currency === s.credit.currency) return [...lines, { account: `NOSTRO-${s.credit.currency}`, minor: net, currency: s.credit.currency }];
  return [
    ...lines,
    { account: `FXPOS-${s.debit.currency}`, minor: net, currency: s.debit.currency },
    { account: `FXPOS-${s.credit.currency}`, minor: -s.credit.minor, currency: s.credit.currency },
    { account: `NOSTRO-${s.credit.currency}`, minor: s.credit.minor, currency: s.credit.currency },
  ];
}

/** The reversal a return books: the nostro gives back what came back, the customer is credited in the account's currency. */
export function returnLines(customerIban: string, returned: Amount, customerCredit: Amount): PostingLine[] {
  const lines: PostingLine[] = [{ account: `NOSTRO-${returned.currency}`, minor: -returned.minor, currency: returned.currency }];
  if (returned.currency !== customerCredit.currency) {
    lines.push(
      { account: `FXPOS-${returned.currency}`, minor: returned.minor, currency: returned.currency },
      { account: `FXPOS-${customerCredit.currency}`, minor: -customerCredit.minor, currency: customerCredit.currency },
    );
  }
  return [...lines, { account: customerIban, minor: customerCredit.minor, currency: customerCredit.currency }];
}

/** What came back, in the account's currency at the transfer's locked rate, rounded down. */
export function creditBack(returned: Amount, accountCurrency: string, rateE6: number | null): Amount {
  if (rateE6 === null || returned.currency === accountCurrency) return { minor: returned.minor, currency: accountCurrency };
  const numerator = BigInt(returned.minor) * scaleOf(accountCurrency) * 1_000_000n;
  return { minor: Number(numerator / (BigInt(rateE6) * scaleOf(returned.currency))), currency: accountCurrency };
}

/** What the transfer ends with, for the client and the notification. */
export interface TransferResult {
  uetr: string;
  debited: Amount;
  fee: Amount;
  arrives: Amount;
  rate: string | null;
  /** Null when an operator resolved the posting by hand (it was made outside sagaway). */
  postingId: string | null;
}

/** A network's status report (pacs.002) or return (pacs.004), as the API hands it to the saga. */
export interface NetworkReport {
  msgId: string;
  uetr: string;
  status: 'ACSC' | 'RJCT' | 'ACTC' | 'PDNG';
  reason: string | null;
}

export interface TransferReturnInput {
  transferId: string;
  uetr: string;
  customerIban: string;
  /** What came back (pacs.004 returned amount), in the currency it was sent. */
  returned: Amount;
  reason: string;
  returnMsgId: string;
  /** The SHA-256 of the pacs.004 as the callback route received it. */
  messageSha256: string;
  /** The transfer's locked rate, to credit the customer in the account's currency. */
  rateE6: number | null;
  debitCurrency: string;
  tuning: SagaTuning;
  /**
   * The pacs.004 came while the transfer was still posting (settled by the network, not yet COMPLETED): the
   * return waits for the transfer to end first. Absent in returns started before this existed.
   */
  transferPending?: boolean;
}

/** How a transfer ended, as a return that waited for it sees it: its view's status, or how its workflow closed. */
export interface TransferEnd {
  status: 'COMPLETED' | 'COMPENSATED' | 'FAILED' | 'RUNNING' | 'COMPENSATING' | 'TERMINATED' | 'TIMED_OUT' | 'CANCELLED' | 'NOT_FOUND';
  error: string | null;
}

export function formatRate(rateE6: number | null): string | null {
  return rateE6 === null ? null : (rateE6 / 1e6).toFixed(6);
}

/** The update two compliance officers review a potential match with (each an operator action with a reason). */
export const TransferMessages = { complianceReview: 'complianceReview' } as const;

export interface ReviewRequest {
  operator: string;
  decision: 'approve' | 'refuse';
  reason: string;
}

export interface ReviewState {
  reviews: Review[];
  decision: 'APPROVED' | 'REFUSED' | null;
}

/** An IBAN as views and notifications show it: country, check digits and the last four. */
export function maskIban(iban: string): string {
  return `${iban.slice(0, 4)}${'*'.repeat(Math.max(0, iban.length - 8))}${iban.slice(-4)}`;
}
