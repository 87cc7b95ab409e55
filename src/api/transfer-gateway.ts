import { ActivityNotFoundError, WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { sha256 } from '../audit/chain';
import { FailureType } from '../domain/failures';
import { TERMINAL_STATUSES, type SagaTuning, type SagaView } from '../domain/saga';
import { describeReason, TransferMessages, type ReviewRequest, type TransferReturnInput } from '../domain/transfer';
import type { PaymentReturn, StatusReport } from '../domain/transfer-messages';
import { TemporalUnavailable } from './problems';
import type { CommandOutcome, SagaGateway } from './saga-gateway';
import { unavailableAs503 } from './temporal-unavailable';
import { keys } from './visibility';

/** The step the network's report completes: the engine runs it as the activity of that id. */
const SUBMISSION = 'submitPayment';

export type ReportOutcome =
  | { kind: 'unknown' }
  | { kind: 'applied' }
  /** Already settled (a duplicate, or a report after the status request found it): nothing changes. */
  | { kind: 'settled' }
  /** The saga is not waiting for it yet (between attempts): the network delivers it again. */
  | { kind: 'not-yet' };

/**
 * What the payment network's callbacks ask of Temporal: the transfer a report is about (by the pacs.008's
 * MsgId, which is the saga id, and its UETR), the completion of the submission that waits for the report,
 * and the start of the return saga.
 */
export class TransferGateway {
  constructor(
    private readonly client: Client,
    private readonly sagas: SagaGateway,
    private readonly tuning: SagaTuning,
  ) {}

  /**
   * The transfer `msgId` names, if its UETR is `uetr`; with its owner. `unreadable`: it ended without a
   * final view of its own (terminated), so there is nothing to compare the UETR with, and nothing to build
   * a return from; only the signed network knows its message id.
   */
  async transfer(msgId: string, uetr: string): Promise<{ view: SagaView; owner: string; description: WorkflowExecutionDescription; unreadable: boolean } | null> {
    const description = await this.describe(msgId);
    const owner = description?.typedSearchAttributes.get(keys.client);
    if (!description) return null;
    if (!owner || description.typedSearchAttributes.get(keys.type) !== 'transfer') return null;
    const view = await this.sagas.view(msgId, owner, 3_000);
    if (!view) return null;
    // The view can lag Temporal's record: a running transfer read from visibility alone (a busy worker),
    // or a closed one still shown as its last published view. Asked again (503): a 404 would end the
    // network's deliveries.
    const running = description.status.name === 'RUNNING';
    if (running ? view.details.uetr === undefined : !TERMINAL_STATUSES.has(view.status)) throw new TemporalUnavailable(`the transfer ${msgId} cannot be read right now`);
    if (view.details.uetr === undefined) return { view, owner, description, unreadable: true };
    if (view.details.uetr !== uetr) return null;
    return { view, owner, description, unreadable: false };
  }

  /** A compliance officer's review of any client's transfer (an operator action, with its reason). */
  async review(sagaId: string, request: ReviewRequest): Promise<CommandOutcome> {
    const description = await this.describe(sagaId);
    const owner = description?.typedSearchAttributes.get(keys.client);
    if (!description || !owner || description.typedSearchAttributes.get(keys.type) !== 'transfer') return { kind: 'not-found' };
    return this.sagas.update(sagaId, owner, TransferMessages.complianceReview, request);
  }

  private async describe(sagaId: string): Promise<WorkflowExecutionDescription | null> {
    try {
      return await unavailableAs503(() => this.client.workflow.getHandle(sagaId).describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }

  /** Completes (ACSC) or fails (RJCT) the submission waiting for this report; `sha256` is the report's, for the audit. */
  async settle(sagaId: string, description: WorkflowExecutionDescription, report: StatusReport, sha256: string): Promise<ReportOutcome> {
    const pending = (description.raw.pendingActivities ?? []).find((a) => a.activityId === SUBMISSION);
    if (!pending) return description.status.name === 'RUNNING' && !submitted(await this.sagas.view(sagaId, description.typedSearchAttributes.get(keys.client) ?? '')) ? { kind: 'not-yet' } : { kind: 'settled' };
    const attempt = pending.attempt ?? 1;
    const id = { workflowId: sagaId, activityId: SUBMISSION };
    try {
      if (report.status === 'ACSC') {
        await unavailableAs503(() => this.client.activity.complete(id, { value: { status: 'ACSC', reportMsgId: report.msgId, via: 'report', sha256 }, attempt }));
      } else {
        const reason = report.reason ?? 'NARR';
        const failure = ApplicationFailure.create({ message: `the payment network rejected the payment: ${describeReason(reason)}`, type: FailureType.NetworkRejected, nonRetryable: true, details: [{ attempt, details: [{ reason, sha256 }] }] });
        await unavailableAs503(() => this.client.activity.fail(id, failure));
      }
      return { kind: 'applied' };
    } catch (err) {
      // Its attempt ended meanwhile (timed out; the next one asks the network) or it is between attempts.
      if (err instanceof ActivityNotFoundError) return { kind: 'not-yet' };
      throw err;
    }
  }

  /**
   * Starts the return saga linked to the transfer; `messageSha256` is the pacs.004's. A transfer has one
   * return: the same pacs.004 again answers its saga, another one (another MsgId, amount or reason) is
   * answered with the saga that holds the first, never merged into it. A transfer the network settled that
   * is not COMPLETED yet (still posting) is waited for by the return itself, so the pacs.004 is kept from
   * the moment it is accepted.
   */
  async startReturn(transfer: SagaView, owner: string, returned: PaymentReturn, messageSha256: string): Promise<ReturnOutcome> {
    const d = transfer.details as { uetr: string; amounts: { debit: { currency: string }; rate: string | null } };
    const result = transfer.result as { debited: { currency: string } } | null;
    const input: TransferReturnInput = {
      transferId: transfer.id,
      uetr: d.uetr,
      customerIban: String((transfer.details.debtorIban as string | undefined) ?? ''),
      returned: returned.returned,
      reason: returned.reason,
      returnMsgId: returned.msgId,
      messageSha256,
      rateE6: d.amounts.rate === null ? null : Math.round(Number(d.amounts.rate) * 1e6),
      debitCurrency: result?.debited.currency ?? d.amounts.debit.currency,
      tuning: this.tuning,
      ...(transfer.status === 'COMPLETED' ? {} : { transferPending: true }),
    };
    const outcome = await this.sagas.start({
      type: 'transfer-return',
      workflow: 'transferReturn',
      input,
      sagaId: returnSagaId(transfer.id),
      clientId: owner,
      requestHash: returnRequestHash(returned),
      summary: `Return of ${d.uetr}: ${describeReason(returned.reason)}`,
    });
    if (outcome.kind !== 'conflict') return { kind: 'taken', view: outcome.view };
    // A return taken before the hash said what the message says was answered for any pacs.004 of its
    // transfer: its own message sent again (a 202 lost in a deploy) must not be refused now.
    const legacy = await this.sagas.existing(outcome.sagaId, owner, `return:${d.uetr}`);
    return legacy?.kind === 'existing' ? { kind: 'taken', view: legacy.view } : { kind: 'other-return', sagaId: outcome.sagaId };
  }
}

export type ReturnOutcome =
  | { kind: 'taken'; view: SagaView }
  /** The transfer's return saga was started for another pacs.004. */
  | { kind: 'other-return'; sagaId: string };

export const returnSagaId = (transferId: string) => `${transferId}-return`;

/**
 * What tells one pacs.004 from another: what it says, not its bytes. A network that sends a message again
 * may build it anew (another CreDtTm, as the simulated network does after a restart); the same MsgId
 * with another amount or reason is another message.
 */
export function returnRequestHash(r: PaymentReturn): string {
  return `return:${r.uetr}:${sha256(JSON.stringify([r.msgId, r.originalMsgId, r.uetr, r.returned.minor, r.returned.currency, r.reason]))}`;
}

/**
 * Whether a pacs.004 can be taken for this transfer now: once it is COMPLETED, or past its submission with
 * the network's ACSC. Never once it ended COMPENSATED without an ACSC: the network refused the payment, or
 * it was never sent, so no money left and none can come back.
 */
export function returnable(transfer: SagaView): 'yes' | 'not-yet' | 'never' {
  if (transfer.status === 'COMPLETED' || (transfer.details.network as { status?: string } | undefined)?.status === 'ACSC') return 'yes';
  // FAILED: nobody knows whether the money left, and a return says it did. Taken, the return waits for an
  // operator (it credits only a COMPLETED transfer); a 503 would have the network deliver it for ever.
  if (transfer.status === 'FAILED') return 'yes';
  return transfer.status === 'COMPENSATED' ? 'never' : 'not-yet';
}

function submitted(view: SagaView | null): boolean {
  return view?.steps.some((s) => s.name === SUBMISSION && s.status !== 'RUNNING') ?? true;
}
