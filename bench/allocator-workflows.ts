/** The workflows the allocator load runs on its own task queue: the allocator, and stand-ins for sagas. */
import { condition, defineQuery, setHandler } from '@temporalio/workflow';
import type { SeatDecision } from '../src/domain/allocation';
import { seatDecisionSignal } from '../src/workflows/messages';

export { seatAllocatorV2 } from '../src/workflows/seat-allocator';
export { allocatorLedger } from '../src/workflows/seat-allocator-ledger';

export const decisionsQuery = defineQuery<SeatDecision[]>('decisions');

/** Stands in for a registration saga: takes the allocator's decisions until a final one, and returns them. */
export async function decisionSink(): Promise<SeatDecision[]> {
  const got: SeatDecision[] = [];
  setHandler(seatDecisionSignal, (decision) => void got.push(decision));
  setHandler(decisionsQuery, () => got);
  await condition(() => got.some((d) => d.status !== 'WAITLISTED'));
  return got;
}
