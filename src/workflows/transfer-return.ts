/**
 * A transfer's return: the beneficiary's bank sent the money back (pacs.004), so the customer is credited.
 *
 *   creditReturn ... PIVOT: the nostro gives back what came back, the customer's account is credited at the
 *                    transfer's locked rate (balanced per currency); retried until the core system answers
 *   notifyTransfer . the customer hears why the money came back
 *
 * Forward only: there is nothing to undo in giving a customer their money back.
 */
import type { TransferActivities } from '../activities/transfer-activities';
import { fromMinor } from '../domain/iso';
import type { SagaView } from '../domain/saga';
import { creditBack, describeReason, maskIban, returnLines, type Amount, type TransferReturnInput } from '../domain/transfer';
import { activityOptions } from './activity-options';
import { Saga } from './saga';
import { declareSteps } from './steps';

export const returnSteps = declareSteps<TransferActivities>()({
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
  const saga: Saga<TransferActivities, typeof returnSteps> = new Saga({ type: 'transfer-return', tuning: input.tuning, ...activityOptions }, returnSteps);
  const credited = creditBack(input.returned, input.debitCurrency, input.rateE6);
  const reason = describeReason(input.reason);
  saga.annotate({ transferId: input.transferId, uetr: input.uetr, returned: input.returned, credited, reason });
  return saga.run(async () => {
    const posting = await saga.pivot('creditReturn', { transferReference: input.uetr, lines: returnLines(input.customerIban, input.returned, credited) });
    await saga.step('notifyTransfer', {
      to: maskIban(input.customerIban),
      template: 'transfer-returned',
      data: { uetr: input.uetr, credited: `${fromMinor(credited.minor, credited.currency)} ${credited.currency}`, reason },
    });
    return { transferId: input.transferId, uetr: input.uetr, credited, reason, postingId: posting?.postingId ?? null };
  });
}
