/**
 * Cross-border transfer: money from a customer's account to a beneficiary abroad, identified everywhere by
 * its UETR.
 *
 *   screenParties ........... sanctions screening of both parties (compliance)
 *   awaitComplianceReview ... only for a potential match: two different officers approve in time, or the
 *                             transfer ends with nothing done (one refusal, or the deadline)
 *   quotePair, lockPair ..... only when the currencies differ; undo releasePair
 *   holdFunds ............... undo releaseHold (core banking, SOAP 1.1)
 *   submitPayment ........... PIVOT: the pacs.008; the network's signed pacs.002 completes it (ACSC), or
 *                             refuses it (RJCT: no money moved, the hold and the rate are released and the
 *                             transfer ends COMPENSATED with the reason); a report that never comes is
 *                             asked for (pacs.028) by the next attempt
 *   postTransfer ............ the hold becomes a balanced posting: customer debit, fee, nostro credit
 *   notifyTransfer
 *
 * Each of these leaves an entry in the audit trail (transfer-audit.ts): who asked and what, the screening,
 * each review, the rate, the hold and every undo, the messages sent and received with their SHA-256, the
 * posting, the notification and the final status.
 *
 * A pacs.004 that comes back later starts transferReturn, a saga of its own linked to this one.
 */
import { ApplicationFailure, condition, defineUpdate, setHandler, uuid4 } from '@temporalio/workflow';
import type { TransferActivities } from '../activities/transfer-activities';
import type { AuditActivities } from '../domain/audit';
import { FailureType } from '../domain/failures';
import { fromMinor } from '../domain/iso';
import type { SagaView } from '../domain/saga';
import {
  formatRate,
  maskIban,
  postingLines,
  settle,
  TransferMessages,
  type LockedPair,
  type Review,
  type ReviewRequest,
  type ReviewState,
  type Screening,
  type TransferInput,
  type TransferResult,
} from '../domain/transfer';
import type { Pacs008 } from '../domain/transfer-messages';
import type { TransferRequest } from '../domain/transfer-request';
import { activityOptions } from './activity-options';
import { Saga } from './saga';
import { declareSteps } from './steps';
import { auditRejected, auditSettled, pacs008Digest, SagaAudit } from './transfer-audit';

/** The transfer's activities and the audit's, whose entries take their keys from the engine. */
export type TransferSagaActivities = TransferActivities & Pick<AuditActivities, 'appendAudit'>;

/** The payer's name as the screening and the pacs.008 carry it: the core system gives sagaway none. */
const DEBTOR_NAME = 'Account holder';

export const complianceReviewUpdate = defineUpdate<ReviewState, [ReviewRequest]>(TransferMessages.complianceReview);

export const transferSteps = declareSteps<TransferSagaActivities>()({
  screenParties: { probe: 'lookupScreening', summary: () => 'Screen both parties against the sanctions lists' },
  quotePair: { local: true, summary: ({ sell, buy }) => `Quote ${sell} to ${buy}` },
  lockPair: { undo: 'releasePair', probe: 'lookupPair', undone: ['RELEASED'], summary: ({ sell, buy }) => `Lock the ${sell}/${buy} rate` },
  holdFunds: { undo: 'releaseHold', probe: 'lookupHold', undone: ['RELEASED'], summary: ({ minor, currency }) => `Hold ${fromMinor(minor, currency)} ${currency}` },
  submitPayment: { probe: 'requestStatus', appliedWhen: ['ACSC'], refusedWhen: ['RJCT'] },
  postTransfer: { probe: 'lookupPosting', appliedWhen: ['POSTED'], summary: () => 'Post the transfer (double entry)' },
  notifyTransfer: {},
});
type TransferSaga = Saga<TransferSagaActivities, typeof transferSteps>;

export async function crossBorderTransfer(input: TransferInput): Promise<SagaView<TransferResult>> {
  const { transfer } = input;
  const saga: TransferSaga = new Saga({ type: 'transfer', tuning: input.tuning, ...activityOptions }, transferSteps);
  const audit = new SagaAudit(saga.trail);
  const uetr = uuid4();
  saga.annotate({ uetr, debtorIban: transfer.debtor.iban, beneficiaryAccount: maskIban(transfer.beneficiary.iban ?? transfer.beneficiary.accountNumber!), returnSagaId: null });
  const review = awaitComplianceReview(saga, transfer.reviewSeconds, audit);
  const released: string[] = [];
  // Written as each undo succeeds, before the engine's final status (before the trail, after the saga ended).
  const release = (undo: string) => (audit.byEngine ? void audit.step(undo, 'RELEASED') : released.push(undo));
  const view = await saga.run(async () => {
    const requested = { request: transfer, uetr, endToEndId: transfer.endToEndId ?? 'NOTPROVIDED', travelRule: travelRuleOf(transfer) };
    await audit.write('requested', 'requested', requested, { client: input.requestedBy.clientId, keyId: input.requestedBy.keyId });
    const screening = await saga.step('screenParties', {
      parties: [
        { role: 'debtor', name: DEBTOR_NAME, country: transfer.debtor.iban.slice(0, 2) },
        { role: 'beneficiary', name: transfer.beneficiary.name, country: transfer.beneficiary.country },
      ],
    });
    saga.annotate({ screening: { result: screening.result, matches: screening.matches } });
    await audit.screened(screening);
    if (screening.result === 'POTENTIAL_MATCH') await review.decide(screening);

    const pair = transfer.debtor.currency === transfer.beneficiary.currency ? null : await lockRate(saga, transfer, () => release('releasePair'));
    if (pair) await audit.rate(pair);
    const s = settle(transfer, pair);
    const amounts = { debit: s.debit, fee: s.fee, arrives: s.credit, rate: formatRate(s.rateE6) };
    saga.annotate({ amounts });
    const hold = await saga.step('holdFunds', { iban: transfer.debtor.iban, minor: s.debit.minor, currency: s.debit.currency }, { onCompensated: () => release('releaseHold') });
    await audit.step('holdFunds', 'HELD', { holdId: hold?.holdId ?? null, amount: s.debit });

    const submission = { reference: uetr, payment: paymentOf(saga.id, uetr, transfer, s.credit), createdAt: new Date().toISOString() };
    const sent = await pacs008Digest(submission);
    const settlement = await saga.pivot('submitPayment', submission, { summary: `Send the pacs.008 ${uetr}` }).catch(async (err: unknown) => {
      await auditRejected(audit, sent, saga.id, err);
      throw err;
    });
    saga.annotate({ network: { status: 'ACSC', via: settlement?.via ?? 'status-request' } });
    await auditSettled(audit, sent, saga.id, settlement);

    const lines = postingLines(transfer.debtor.iban, s);
    const posting = await saga.step('postTransfer', { holdReference: saga.referenceOf('holdFunds').reference, lines });
    await audit.posted(posting?.postingId ?? null, lines);
    const result: TransferResult = { uetr, debited: s.debit, fee: s.fee, arrives: s.credit, rate: amounts.rate, postingId: posting?.postingId ?? null };
    const note = await saga.step('notifyTransfer', {
      to: maskIban(transfer.debtor.iban),
      template: 'transfer-settled',
      data: { uetr, arrives: `${fromMinor(s.credit.minor, s.credit.currency)} ${s.credit.currency}`, fee: `${fromMinor(s.fee.minor, s.fee.currency)} ${s.fee.currency}`, rate: amounts.rate },
    });
    await audit.notified('transfer-settled', note?.messageId ?? null);
    return result;
  });
  for (const undo of released) await audit.step(undo, 'RELEASED');
  await audit.final(view);
  return view;
}

async function lockRate(saga: TransferSaga, transfer: TransferRequest, onCompensated: () => void): Promise<LockedPair> {
  const quote = await saga.step('quotePair', { sell: transfer.debtor.currency, buy: transfer.beneficiary.currency });
  return saga.step('lockPair', { quoteId: quote.quoteId, sell: quote.sell, buy: quote.buy }, { onCompensated });
}

/**
 * What the EU Transfer of Funds Regulation (2023/1113, Art. 4 and 16) has the payer's bank keep with the
 * transfer: the payer's and the payee's names and accounts, and the payee's bank. Kept whole in the audit
 * (README, "Audit trail"), as the pacs.008 carries them.
 */
function travelRuleOf(t: TransferRequest) {
  return {
    payer: { name: DEBTOR_NAME, account: t.debtor.iban },
    payee: { name: t.beneficiary.name, account: t.beneficiary.iban ?? t.beneficiary.accountNumber ?? null, agent: t.beneficiary.bic, country: t.beneficiary.country },
  };
}

function paymentOf(msgId: string, uetr: string, t: TransferRequest, credit: { minor: number; currency: string }): Pacs008 {
  return {
    msgId,
    uetr,
    endToEndId: t.endToEndId ?? 'NOTPROVIDED',
    amount: credit,
    chargeBearer: t.chargeBearer,
    debtor: { name: DEBTOR_NAME, iban: t.debtor.iban },
    creditor: { name: t.beneficiary.name, iban: t.beneficiary.iban, accountNumber: t.beneficiary.accountNumber, bic: t.beneficiary.bic, country: t.beneficiary.country, addressLine: t.beneficiary.address.line },
    remittance: t.remittanceInformation,
  };
}

/**
 * Four eyes on a potential match: the complianceReview update is answered only while the transfer waits
 * for it; the same officer twice, or a review when none is asked, is refused (409 at the API).
 */
function awaitComplianceReview(saga: TransferSaga, seconds: number, audit: SagaAudit) {
  let awaiting = false;
  const reviews: Review[] = [];
  let decision: ReviewState['decision'] = null;
  setHandler(
    complianceReviewUpdate,
    (request) => {
      const review: Review = { ...request, at: new Date().toISOString() };
      reviews.push(review);
      if (audit.byEngine) audit.review(review);
      if (request.decision === 'refuse') decision = 'REFUSED';
      else if (new Set(reviews.filter((r) => r.decision === 'approve').map((r) => r.operator)).size >= 2) decision = 'APPROVED';
      saga.annotate({ reviews: [...reviews] });
      return { reviews: [...reviews], decision };
    },
    {
      validator: (request: ReviewRequest) => {
        if (!awaiting || decision !== null) throw ApplicationFailure.nonRetryable('the transfer is not waiting for a compliance review', FailureType.NotAwaitingReview);
        if (!request?.operator) throw ApplicationFailure.nonRetryable('a review names its operator', FailureType.NotAwaitingReview);
        if (reviews.some((r) => r.operator === request.operator)) {
          throw ApplicationFailure.nonRetryable(`${request.operator} already reviewed this transfer; a second officer must decide`, FailureType.AlreadyReviewed);
        }
      },
    },
  );

  return {
    async decide(screening: Screening): Promise<void> {
      await saga.track('awaitComplianceReview', async () => {
        awaiting = true;
        saga.annotate({ awaiting: { for: 'complianceReview', until: new Date(Date.now() + seconds * 1_000).toISOString(), approvalsNeeded: 2, matches: screening.matches } });
        let outcome: 'APPROVED' | 'REFUSED' | 'TIMED_OUT' | 'CANCELLED' = 'CANCELLED';
        try {
          const answered = await condition(() => decision !== null, seconds * 1_000);
          outcome = answered ? decision! : 'TIMED_OUT';
        } finally {
          // Closed before the audit is written: a review arriving meanwhile would not be in it.
          awaiting = false;
          saga.annotate({ awaiting: null, complianceReview: outcome });
          await audit.reviewed([...reviews], outcome);
        }
        if (outcome === 'TIMED_OUT') saga.reject(FailureType.ComplianceReviewTimeout, `no two approvals within ${seconds} s of the potential match`);
        if (outcome === 'REFUSED') {
          const refusal = reviews.find((r) => r.decision === 'refuse')!;
          saga.reject(FailureType.ComplianceRefused, `refused by ${refusal.operator}: ${refusal.reason}`);
        }
      });
    },
  };
}
