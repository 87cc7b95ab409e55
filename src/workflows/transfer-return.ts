/**
 * A transfer's return: the beneficiary's bank sent the money back (pacs.004), so the customer is credited.
 *
 *   creditReturn ... PIVOT: the nostro gives back what came back, the customer's account is credited at the
 *                    transfer's locked rate (balanced per currency); retried until the core system answers
 *   notifyTransfer . the customer hears why the money came back
 *
 * Forward only: there is nothing to undo in giving a customer their money back. The audit trail keeps the
 * pacs.004 received (its SHA-256), the posting, the notification and the final status.
 */
import type { TransferActivities } from '../activities/transfer-activities';
import type { AuditActivities } from '../domain/audit';
import { fromMinor } from '../domain/iso';
import type { SagaView } from '../domain/saga';
import { creditBack, describeReason, maskIban, returnLines, type Amount, type TransferReturnInput } from '../domain/transfer';
import { MessageTypes } from '../domain/transfer-messages';
import { activityOptions } from './activity-options';
import { Saga } from './saga';
import { declareSteps } from './steps';
import { SagaAudit } from './transfer-audit';

type ReturnActivities = TransferActivities & Pick<AuditActivities, 'appendAudit'>;

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
  const saga: Saga<ReturnActivities, typeof returnSteps> = new Saga({ type: 'transfer-return', tuning: input.tuning, ...activityOptions }, returnSteps);
  const audit = new SagaAudit(saga.trail);
  const credited = creditBack(input.returned, input.debitCurrency, input.rateE6);
  const reason = describeReason(input.reason);
  saga.annotate({ transferId: input.transferId, uetr: input.uetr, returned: input.returned, credited, reason });
  const view = await saga.run(async () => {
    await audit.write('message-received', 'message-received:pacs.004', {
      type: MessageTypes.pacs004, sha256: input.messageSha256, msgId: input.returnMsgId, transferId: input.transferId, uetr: input.uetr, returned: input.returned, reason: input.reason,
    });
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
