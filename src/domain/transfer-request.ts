import { z } from 'zod';
import { BIC_PATTERN, ibanProblem, toMinor, TransferCurrencies } from './iso';

/** How long, at most and by default, two compliance officers have to review a potential sanctions match. */
export const REVIEW_SECONDS = { default: 86_400, max: 7 * 86_400 } as const;

const Iban = z
  .string()
  .trim()
  .overwrite((v) => v.replace(/\s+/g, '').toUpperCase())
  .superRefine((iban, ctx) => {
    const problem = ibanProblem(iban);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
const Country = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code such as DE');
const Currency = z.enum(TransferCurrencies, { message: `an ISO 4217 currency sagaway transfers: ${TransferCurrencies.join(', ')}` });
/** ISO 20022 Max35Text / Max140Text with the characters the networks carry (no control characters). */
const text = (max: number) => z.string().trim().min(1).max(max).regex(/^[^\p{Cc}]*$/u, 'no control characters');

export const TransferRequestSchema = z
  .object({
    debtor: z.object({ iban: Iban, currency: Currency }),
    beneficiary: z
      .object({
        name: text(140),
        iban: Iban.optional(),
        accountNumber: z.string().regex(/^[A-Z0-9]{1,34}$/, 'an account number is 1 to 34 letters or digits').optional(),
        bic: z.string().trim().toUpperCase().regex(BIC_PATTERN, 'a BIC is 8 or 11 characters: bank (4 letters), country (2), location (2), branch (3, optional)'),
        country: Country,
        address: z.object({ line: text(70), city: text(35), postalCode: text(16).optional() }),
        currency: Currency,
      })
      .refine((b) => (b.iban === undefined) !== (b.accountNumber === undefined), { message: 'give either an IBAN or an account number', path: ['iban'] }),
    amount: z.object({ value: z.string(), currency: Currency }),
    /** `sent`: the amount leaves the debtor's account (before charges); `received`: what the beneficiary gets. */
    amountIs: z.enum(['sent', 'received']).default('sent'),
    /** ISO 20022 ChargeBearer: the debtor pays all charges, the creditor does, or they share them. */
    chargeBearer: z.enum(['DEBT', 'CRED', 'SHAR']).default('SHAR'),
    remittanceInformation: text(140).optional(),
    endToEndId: text(35).optional(),
    /** How long a potential sanctions match waits for its two reviews before the transfer ends. */
    reviewSeconds: z.number().int().min(1).max(REVIEW_SECONDS.max).default(REVIEW_SECONDS.default),
  })
  .superRefine((req, ctx) => {
    const expected = req.amountIs === 'sent' ? req.debtor.currency : req.beneficiary.currency;
    if (req.amount.currency !== expected) {
      const whose = req.amountIs === 'sent' ? "the debtor account's currency" : "the beneficiary's currency";
      ctx.addIssue({ code: 'custom', path: ['amount', 'currency'], message: `an amount ${req.amountIs} is in ${whose}, ${expected}` });
    }
    const minor = toMinor(req.amount.value, req.amount.currency);
    if ('problem' in minor) ctx.addIssue({ code: 'custom', path: ['amount', 'value'], message: minor.problem });
    if (req.beneficiary.iban && req.beneficiary.iban.slice(0, 2) !== req.beneficiary.country) {
      ctx.addIssue({ code: 'custom', path: ['beneficiary', 'country'], message: `the beneficiary's IBAN is of ${req.beneficiary.iban.slice(0, 2)}, not ${req.beneficiary.country}` });
    }
    if (req.beneficiary.bic.slice(4, 6) !== req.beneficiary.country) {
      ctx.addIssue({ code: 'custom', path: ['beneficiary', 'bic'], message: `the BIC's country is ${req.beneficiary.bic.slice(4, 6)}, not ${req.beneficiary.country}` });
    }
  });
export type TransferRequest = z.infer<typeof TransferRequestSchema>;

/** A compliance officer's review of a potential match (an operator action, with its reason). */
export const ComplianceReviewSchema = z.object({
  decision: z.enum(['approve', 'refuse']),
  reason: z.string().trim().min(1, 'a reason is required').max(500),
});
export type ComplianceReview = z.infer<typeof ComplianceReviewSchema>;
