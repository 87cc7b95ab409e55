import { WithStartWorkflowOperation, type Client, type Workflow } from '@temporalio/client';
import { AllocatorMessages, type ClaimHolder, type ClaimRequest } from '../domain/allocation';
import { unavailableAs503 } from './temporal-unavailable';

/** A claim whose saga is not there yet is taken to be starting for this long. */
const START_GRACE_MS = 60_000;

/**
 * One live registration per student and section. The claim is a small workflow whose id is derived from
 * what must be unique (`claim-<sectionId>-<studentId>`); it is claimed by update-with-start with the id
 * conflict policy USE_EXISTING, so requests sent together (to any API instance) meet in one run whose
 * update handler decides one at a time. A holder whose saga has ended is replaced by the next claim.
 */
export class RegistrationClaims {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    /** Whether a saga runs (true), has ended (false) or is not there (null). */
    private readonly running: (sagaId: string) => Promise<boolean | null>,
  ) {}

  /** Claims for `claimant.sagaId` until `until` (the window close); answers the holder: this saga, or the live one. */
  async claim(claimId: string, until: string, claimant: { sagaId: string; clientId: string }): Promise<ClaimHolder> {
    const holder = await this.claimOnce(claimId, until, { ...claimant, replacing: null });
    if (holder.sagaId === claimant.sagaId || (await this.holds(holder))) return holder;
    return this.claimOnce(claimId, until, { ...claimant, replacing: holder.sagaId });
  }

  private async claimOnce(claimId: string, until: string, request: ClaimRequest): Promise<ClaimHolder> {
    const startWorkflowOperation = new WithStartWorkflowOperation('registrationClaim', {
      workflowId: claimId,
      taskQueue: this.taskQueue,
      args: [{ until }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: `One live registration: ${claimId}`,
    });
    return unavailableAs503(() =>
      this.client.workflow.executeUpdateWithStart<Workflow, ClaimHolder, [ClaimRequest]>(AllocatorMessages.claimUpdate, { args: [request], startWorkflowOperation }),
    );
  }

  /** Whether a claim's saga still holds it: it runs, or it was claimed a moment ago and is still starting. */
  private async holds(holder: ClaimHolder): Promise<boolean> {
    const running = await this.running(holder.sagaId);
    return running ?? Date.now() - holder.since < START_GRACE_MS;
  }
}
