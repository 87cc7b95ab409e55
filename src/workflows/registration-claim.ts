/**
 * Registration claim: one small workflow per student and section (id `claim-<sectionId>-<studentId>`),
 * so two registrations sent together cannot both start. The API claims it by update-with-start with the
 * id conflict policy USE_EXISTING: concurrent claims meet in one run, whose update handler decides one at
 * a time. It holds the live registration's saga id until the window closes, then ends; a holder that has
 * ended is replaced only by a claim that names it (the API saw it end first).
 */
import { allHandlersFinished, condition, defineUpdate, setHandler } from '@temporalio/workflow';
import { AllocatorMessages, type ClaimHolder, type ClaimRequest } from '../domain/allocation';

export const claimUpdate = defineUpdate<ClaimHolder, [ClaimRequest]>(AllocatorMessages.claimUpdate);

export async function registrationClaim(input: { until: string }): Promise<void> {
  let holder: ClaimHolder | null = null;
  setHandler(claimUpdate, (request) => {
    if (!holder || holder.sagaId === request.sagaId || holder.sagaId === request.replacing) {
      holder = holder?.sagaId === request.sagaId ? holder : { sagaId: request.sagaId, clientId: request.clientId, since: Date.now() };
    }
    return holder;
  });
  await condition(() => false, Math.max(Date.parse(input.until) - Date.now(), 1));
  await condition(allHandlersFinished);
}
