/**
 * The audit trail of the transfer sagas (README, "Audit trail"), written through the engine's trail
 * (saga-trail.ts): each entry under a key derived from the saga and the entry's stable name (never the
 * attempt), so a retried write, a replay or a restarted worker stores it once. Writes run outside the
 * saga's cancellable scope and are retried until stored: a cancel never leaves an entry unknown, and
 * nothing is skipped. Since Patches.auditTrail the engine writes the start, the operator actions and the
 * final status of every saga, and a write the store does not take shows as a STUCK step.
 */
import { ActivityFailure, ApplicationFailure, proxyLocalActivities } from '@temporalio/workflow';
import type { Reported } from '../activities/attempts';
import type { RejectionEvidence, TransferActivities } from '../activities/transfer-activities';
import { FailureType } from '../domain/failures';
import type { SagaView } from '../domain/saga';
import { formatRate, type LockedPair, type MessageDigest, type NetworkSettlement, type PostingLine, type Review, type Screening } from '../domain/transfer';
import { MessageTypes } from '../domain/message-types';
import { activityOptions } from './activity-options';
import type { AuditActor, SagaTrail } from './saga-trail';

const { digestPayment } = proxyLocalActivities<Reported<Pick<TransferActivities, 'digestPayment'>>>(activityOptions.local.afterPivot);

/** Writes one transfer's entries into its saga's trail. */
export class SagaAudit {
  constructor(private readonly trail: SagaTrail) {}

  write(kind: string, name: string, data: Record<string, unknown>, actor?: AuditActor): Promise<void> {
    return this.trail.write(kind, name, data, actor);
  }

  /** Whether the engine writes the start, the operator actions and the final status (Patches.auditTrail). */
  get byEngine(): boolean {
    return this.trail.enabled;
  }

  screened(s: Screening): Promise<void> {
    const matches = s.matches.map((m) => ({ party: m.party, score: m.score, screeningHit: { listEntry: m.listEntry, name: m.name } }));
    return this.write('screened', 'screened', { screeningId: s.screeningId, result: s.result, matches });
  }

  /** A review as its officer gave it, written as the transfer accepts it (a first approval is in the trail while the second is awaited). */
  review(r: Review): void {
    void this.write('reviewed', `reviewed:${r.operator}`, { step: 'awaitComplianceReview', decision: r.decision, reason: r.reason, at: r.at }, { operator: r.operator });
  }

  /** What the four eyes decided; before the engine's trail, each review was written only now. */
  async reviewed(reviews: Review[], outcome: 'APPROVED' | 'REFUSED' | 'TIMED_OUT' | 'CANCELLED'): Promise<void> {
    if (!this.byEngine) for (const r of reviews) await this.write('reviewed', `reviewed:${r.operator}`, { decision: r.decision, reason: r.reason, at: r.at }, { operator: r.operator });
    await this.write('status', 'status:complianceReview', { step: 'awaitComplianceReview', status: outcome });
  }

  rate(pair: LockedPair): Promise<void> {
    return this.write('rate', 'rate', { quoteId: pair.quoteId, sell: pair.sell, buy: pair.buy, rate: formatRate(pair.rateE6) });
  }

  step(step: string, status: string, data: Record<string, unknown> = {}): Promise<void> {
    return this.write('status', `status:${step}`, { step, status, ...data });
  }

  posted(postingId: string | null, lines: PostingLine[]): Promise<void> {
    return this.write('posted', 'posted', { postingId, lines });
  }

  notified(template: string, messageId: string | null): Promise<void> {
    return this.write('message-sent', 'message-sent:notification', { type: 'notification', template, messageId });
  }

  /** The saga's end, as its view says it, for a transfer started before the engine wrote every saga's end. */
  async final(view: SagaView): Promise<void> {
    if (!this.byEngine) await this.write('status', 'status:final', { status: view.status, error: view.error });
  }
}

/** The pacs.008's digest, computed where the XML is built (the activity) from the workflow's creation time. */
export async function pacs008Digest(input: Parameters<TransferActivities['digestPayment']>[0]): Promise<MessageDigest> {
  return (await digestPayment(input)).value;
}

/** The sent pacs.008 and the network's settled report (by its callback, by a status request, or by look-up). */
export async function auditSettled(audit: SagaAudit, sent: MessageDigest, msgId: string, settlement: NetworkSettlement | undefined): Promise<void> {
  await audit.write('message-sent', 'message-sent:pacs.008', { ...sent, msgId });
  await audit.write('message-received', 'message-received:pacs.002', {
    type: MessageTypes.pacs002,
    sha256: settlement?.sha256 ?? null,
    status: 'ACSC',
    reason: null,
    reportMsgId: settlement?.reportMsgId ?? null,
    via: settlement?.via ?? 'status-request',
    ...(settlement?.statusRequest ? { statusRequest: { type: MessageTypes.pacs028, ...settlement.statusRequest } } : {}),
  });
}

/** The sent pacs.008 and the network's RJCT, when `err` is that rejection; anything else wrote nothing. */
export async function auditRejected(audit: SagaAudit, sent: MessageDigest, msgId: string, err: unknown): Promise<void> {
  const failure = err instanceof ActivityFailure ? err.cause : err;
  if (!(failure instanceof ApplicationFailure) || failure.type !== FailureType.NetworkRejected) return;
  const evidence = evidenceOf(failure.details);
  await audit.write('message-sent', 'message-sent:pacs.008', { ...sent, msgId });
  await audit.write('message-received', 'message-received:pacs.002', {
    type: MessageTypes.pacs002,
    sha256: evidence.sha256 ?? null,
    status: 'RJCT',
    reason: evidence.reason ?? null,
    ...(evidence.statusRequest ? { statusRequest: { type: MessageTypes.pacs028, ...evidence.statusRequest } } : {}),
  });
}

/** The rejection's details, wherever they sit: `[{ attempt, details: [evidence] }]` from the engine's wrapper, or `[evidence]`. */
function evidenceOf(details: readonly unknown[] | undefined | null): Partial<RejectionEvidence> & { reason?: string | null } {
  const first = details?.[0] as { details?: unknown[]; reason?: string } | undefined;
  const inner = Array.isArray(first?.details) ? (first.details[0] as Record<string, unknown> | undefined) : first;
  return (inner ?? {}) as Partial<RejectionEvidence> & { reason?: string | null };
}
