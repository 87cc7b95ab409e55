import { randomUUID } from 'node:crypto';
import { ApplicationFailure, CompleteAsyncError, Context } from '@temporalio/activity';
import { z } from 'zod';
import { FailureType } from '../domain/failures';
import type { Lookup, Reference } from '../domain/steps';
import { sha256 } from '../audit/chain';
import { describeReason, type LockedPair, type MessageDigest, type NetworkSettlement, type PostingLine, type Screening, type StatusRequestRecord } from '../domain/transfer';
import { MessageTypes, pacs008Xml, pacs028Xml, readPacs002, type Pacs008, type StatusReport } from '../domain/transfer-messages';
import type { CoreBankingClient } from './core-banking-client';
import { currentCall, lookUp, malformed, type BackendClient } from './http-client';

export interface TransferClients {
  compliance: BackendClient;
  fx: BackendClient;
  network: BackendClient;
  notifications: BackendClient;
  corebanking: CoreBankingClient;
}

/**
 * The submission: the pacs.008's fields, its creation time (the workflow's, so every resend and the audit's
 * digest are the same bytes), and the UETR as the reference the network and the look-up know it by.
 */
export type SubmitInput = Reference & { payment: Pacs008; createdAt: string };

const ScreeningSchema = z.object({
  screeningId: z.string(),
  result: z.enum(['CLEAR', 'POTENTIAL_MATCH']),
  matches: z.array(z.object({ party: z.enum(['debtor', 'beneficiary']), score: z.number(), listEntry: z.string(), name: z.string() })),
});
const QuoteSchema = z.object({ quoteId: z.string(), sell: z.string(), buy: z.string(), rateE6: z.number().int().positive() });
const LockSchema = z.object({ lockId: z.string(), status: z.literal('LOCKED'), rateE6: z.number().int().positive() });
const TransitionSchema = z.object({ status: z.string() });
const MessageSchema = z.object({ messageId: z.string() });

/**
 * The transfer's backends: compliance screening, the currency desk, the core banking system (SOAP), the
 * payment network (ISO 20022) and the customer's notification.
 */
export function createTransferActivities({ compliance, fx, network, notifications, corebanking }: TransferClients) {
  /**
   * pacs.028: where the payment with this UETR stands on the network; not found when it never arrived. A
   * settled answer is also the submission's result (`result`), with the request and answer the audit keeps.
   */
  async function requestStatus(input: Reference): Promise<Lookup & { report: StatusReport | null; statusRequest?: StatusRequestRecord }> {
    const msgId = `SR${randomUUID().replaceAll('-', '').slice(0, 30)}`;
    const xml = pacs028Xml({ msgId, originalMsgId: currentCall().sagaId, uetr: input.reference }, new Date().toISOString());
    // Each request is a message of its own (its MsgId), so its Idempotency-Key is its MsgId, not the step's.
    const call = { ...currentCall(), key: `status:${input.reference}:${randomUUID()}` };
    try {
      const res = await network.send('POST', '/pacs028', xml, 'application/xml', call);
      const report = readPacs002(res.text);
      if (!report || report.uetr !== input.reference) throw malformed('network', '/pacs028', 'not a pacs.002 for this UETR');
      const statusRequest = { msgId, sha256: sha256(xml), answerSha256: sha256(res.text) };
      const result: NetworkSettlement | undefined = report.status === 'ACSC' ? { status: 'ACSC', reportMsgId: report.msgId, via: 'status-request', sha256: statusRequest.answerSha256, statusRequest } : undefined;
      return { found: true, status: report.status, report, statusRequest, result };
    } catch (err) {
      if (err instanceof ApplicationFailure && (err.details?.[0] as { status?: number } | undefined)?.status === 404) return { found: false, status: null, report: null };
      throw err;
    }
  }

  return {
    async screenParties(input: { parties: Array<{ role: 'debtor' | 'beneficiary'; name: string; country: string }> }): Promise<Screening> {
      return compliance.postJson('/screenings', input, ScreeningSchema, currentCall());
    },
    async lookupScreening(input: Reference) {
      return lookUp(compliance, input);
    },

    async quotePair(input: { sell: string; buy: string }): Promise<Omit<LockedPair, 'quoteId'> & { quoteId: string }> {
      return fx.postJson('/pairs/quotes', input, QuoteSchema, currentCall());
    },
    async lockPair(input: { quoteId: string; sell: string; buy: string }): Promise<LockedPair> {
      const lock = await fx.postJson('/pairs/locks', { quoteId: input.quoteId }, LockSchema, currentCall());
      return { quoteId: input.quoteId, sell: input.sell, buy: input.buy, rateE6: lock.rateE6 };
    },
    async releasePair(input: Reference): Promise<void> {
      await fx.postJson('/pairs/locks/release', { reference: input.reference }, TransitionSchema, currentCall());
    },
    async lookupPair(input: Reference) {
      return lookUp(fx, input);
    },

    async holdFunds(input: { iban: string; minor: number; currency: string }): Promise<{ holdId: string }> {
      const answer = await corebanking.holdFunds(input.iban, input.minor, input.currency, currentCall());
      return { holdId: answer.HoldId };
    },
    async releaseHold(input: Reference): Promise<void> {
      await corebanking.releaseHold(input.reference, currentCall());
    },
    async lookupHold(input: Reference) {
      return lookUp(corebanking.lookups, input);
    },

    /**
     * Sends the pacs.008 (the pivot) and leaves the activity open: the network's signed pacs.002, taken by
     * the callback route, completes it (ACSC) or fails it (RJCT). An attempt that times out without a report
     * asks the network first (pacs.028), so a lost report is settled by the status request, and a payment
     * the network already holds is never sent twice.
     */
    async submitPayment(input: SubmitInput): Promise<NetworkSettlement> {
      if (Context.current().info.attempt > 1) {
        const known = await requestStatus({ reference: input.reference });
        if (known.status === 'ACSC') return known.result as NetworkSettlement;
        if (known.status === 'RJCT') throw networkRejection(known.report!.reason, { sha256: known.statusRequest!.answerSha256, statusRequest: known.statusRequest });
        if (known.found) throw new CompleteAsyncError();
      }
      const xml = pacs008Xml(input.payment, input.createdAt);
      // The UETR is the payment's key on the network: a resend after a lost answer is the same payment.
      await network.send('POST', '/pacs008', xml, 'application/xml', { ...currentCall(), key: input.reference });
      throw new CompleteAsyncError();
    },
    requestStatus,
    /** The pacs.008 the submission sends, as the audit keeps it: its type and the SHA-256 of its bytes. */
    async digestPayment(input: { payment: Pacs008; createdAt: string }): Promise<MessageDigest> {
      return { type: MessageTypes.pacs008, sha256: sha256(pacs008Xml(input.payment, input.createdAt)) };
    },

    async postTransfer(input: { holdReference: string; lines: PostingLine[] }): Promise<{ postingId: string }> {
      const answer = await corebanking.postTransfer(input.holdReference, input.lines, currentCall());
      return { postingId: answer.PostingId };
    },
    async creditReturn(input: { transferReference: string; lines: PostingLine[] }): Promise<{ postingId: string }> {
      const answer = await corebanking.creditReturn(input.transferReference, input.lines, currentCall());
      return { postingId: answer.PostingId };
    },
    async lookupPosting(input: Reference) {
      return lookUp(corebanking.lookups, input);
    },

    async notifyTransfer(input: { to: string; template: 'transfer-settled' | 'transfer-returned'; data: Record<string, unknown> }): Promise<{ messageId: string }> {
      return notifications.postJson('/messages', input, MessageSchema, currentCall());
    },
  };
}

/** What a rejection carries for the audit: the report's SHA-256, and the status request that found it. */
export interface RejectionEvidence {
  sha256: string | null;
  statusRequest?: StatusRequestRecord;
}

/** The network's RJCT, as the refusal that compensates the transfer (the reason code in its message). */
export function networkRejection(reason: string | null, evidence: RejectionEvidence = { sha256: null }): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`the payment network rejected the payment: ${describeReason(reason ?? 'NARR')}`, FailureType.NetworkRejected, { reason, ...evidence });
}

export type TransferActivities = ReturnType<typeof createTransferActivities>;
