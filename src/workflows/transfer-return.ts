/**
 * A transfer's return: the beneficiary's bank sent the money back (pacs.004), so the customer is credited.
 *
 *   creditReturn ... PIVOT: the nostro gives back what came back, the customer's account is credited at the
 *                    transfer's locked rate (balanced per currency); retried until the core system answers
 *   notifyTransfer . the customer hears why the money came back
 *
 * A pacs.004 that came while the transfer was still posting (`transferPending`) first waits for it:
 *
 *   awaitTransfer .. until the transfer ends; credited only if it COMPLETED (its posting is what put the
 *                    money on the nostro). Ended otherwise: STUCK for an operator, who looks again (retry)
 *                    or settles it by hand (resolve: the return ends with nothing credited). No cancel.
 *
 * Forward only: there is nothing to undo in giving a customer their money back. The audit trail keeps the
 * pacs.004 received (its SHA-256), the posting, the notification and the final status.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Reported } from '../activities/attempts';
import type { TransferActivities } from '../activities/transfer-activities';
import type { TransferWaitActivities } from '../activities/transfer-wait';
import type { AuditActivities } from '../domain/audit';
import { FailureType } from '../domain/failures';
import { fromMinor } from '../domain/iso';
import type { SagaView } from '../domain/saga';
import { creditBack, describeReason, maskIban, returnLines, type Amount, type TransferReturnInput } from '../domain/transfer';
import { MessageTypes } from '../domain/message-types';
import { activityOptions } from './activity-options';
import { Saga } from './saga';
import { declareSteps } from './steps';
import { SagaAudit } from './transfer-audit';

type ReturnActivities = TransferActivities & Pick<AuditActivities, 'appendAudit'>;
type ReturnSaga = Saga<ReturnActivities, typeof returnSteps>;

/** One attempt long-polls for a minute (transfer-wait.ts) and heartbeats; attempts go on for as long as the transfer runs. */
const { awaitTransferEnd } = proxyActivities<Reported<TransferWaitActivities>>({
  startToCloseTimeout: '90 seconds',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

export const returnSteps = declareSteps<ReturnActivities>()({
  creditReturn: { probe: 'lookupPosting', appliedWhen: ['POSTED'], summary: () => 'Credit the customer with what came back' },
  notifyTransfer: {},
});

export interface TransferReturnResult {
  transferId: string;
  uetr: string;
  credited: Amount;
  reason: string;
  postingId: string | null;
}

export async function transferReturn(input: TransferReturnInput): Promise<SagaView<TransferReturnResult>> {
  const saga: ReturnSaga = new Saga({ type: 'transfer-return', tuning: input.tuning, ...activityOptions }, returnSteps);
  const audit = new SagaAudit(saga.trail);
  const credited = creditBack(input.returned, input.debitCurrency, input.rateE6);
  const reason = describeReason(input.reason);
  saga.annotate({ transferId: input.transferId, uetr: input.uetr, returned: input.returned, credited, reason });
  // Whenever it came: a cancelled return would leave the money on the nostro, credited to nobody.
  saga.refuseCancels('the money came back to us: a return is credited, not cancelled');
  const view = await saga.run(async () => {
    await audit.write('message-received', 'message-received:pacs.004', {
      type: MessageTypes.pacs004, sha256: input.messageSha256, msgId: input.returnMsgId, transferId: input.transferId, uetr: input.uetr, returned: input.returned, reason: input.reason,
    });
    if (input.transferPending) await awaitTransfer(saga, input.transferId);
    const lines = returnLines(input.customerIban, input.returned, credited);
    const posting = await saga.pivot('creditReturn', { transferReference: input.uetr, lines });
    await audit.posted(posting?.postingId ?? null, lines);
    const note = await saga.step('notifyTransfer', {
      to: maskIban(input.customerIban),
      template: 'transfer-returned',
      data: { uetr: input.uetr, credited: `${fromMinor(credited.minor, credited.currency)} ${credited.currency}`, reason },
    });
    await audit.notified('transfer-returned', note?.messageId ?? null);
    return { transferId: input.transferId, uetr: input.uetr, credited, reason, postingId: posting?.postingId ?? null };
  });
  await audit.final(view);
  return view;
}

async function awaitTransfer(saga: ReturnSaga, transferId: string): Promise<void> {
  saga.annotate({ awaiting: { for: 'transfer', transferId } });
  try {
    await saga.track('awaitTransfer', async () => {
      for (;;) {
        const { value: end } = await awaitTransferEnd({ transferId });
        if (end.status === 'COMPLETED') return;
        const ended = `the transfer ended ${end.status}${end.error ? ` (${end.error})` : ''}`;
        const decision = await saga.awaitOperator('awaitTransfer', `${ended}, not COMPLETED: nothing is credited until an operator decides`);
        if (decision.action === 'resolve') saga.reject(FailureType.TransferNotCompleted, `${ended}; ${decision.operator} settled the return by hand: ${decision.reason}`);
      }
    });
  } finally {
    saga.annotate({ awaiting: null });
  }
}
