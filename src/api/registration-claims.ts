import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { ClaimHolder } from '../domain/allocation';
import { HttpProblem } from './problems';
import { unavailableAs503 } from './temporal-unavailable';

/** A claim whose saga is not there yet is taken to be starting for this long. */
const START_GRACE_MS = 60_000;
const ATTEMPTS = 4;

/**
 * One live registration per student and section. The claim is a small workflow whose id is derived from
 * what must be unique (`claim-<sectionId>-<studentId>`), started with the id conflict policy FAIL: of the
 * requests sent together (to any API instance) Temporal lets exactly one start it, with no worker in the
 * way. The others read the holder from the run's memo. A claim whose saga has ended is terminated (that
 * run only, so two replacing it at once cannot both win) and started afresh.
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
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      if (await this.start(claimId, until, claimant)) return { ...claimant, since: Date.now() };
      const held = await this.holder(claimId);
      if (!held) continue;
      if (held.holder.sagaId === claimant.sagaId || (await this.holds(held.holder))) return held.holder;
      await this.end(claimId, held.runId);
    }
    throw new HttpProblem(503, 'claim-contended', 'Registration busy', 'the registration is being claimed by other requests right now; retry shortly', {}, { 'retry-after': '1' });
  }

  private async start(claimId: string, until: string, claimant: { sagaId: string; clientId: string }): Promise<boolean> {
    try {
      await unavailableAs503(() =>
        this.client.workflow.start('registrationClaim', {
          workflowId: claimId,
          taskQueue: this.taskQueue,
          args: [{ until }],
          memo: { sagaId: claimant.sagaId, clientId: claimant.clientId },
          workflowIdConflictPolicy: 'FAIL',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          staticSummary: `Live registration ${claimant.sagaId}`,
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
      throw err;
    }
  }

  /** The running claim's holder, or null if it ended meanwhile. */
  private async holder(claimId: string): Promise<{ holder: ClaimHolder; runId: string } | null> {
    try {
      const description = await unavailableAs503(() => this.client.workflow.getHandle(claimId).describe());
      if (description.status.name !== 'RUNNING') return null;
      const memo = description.memo as { sagaId: string; clientId: string };
      return { holder: { sagaId: memo.sagaId, clientId: memo.clientId, since: description.startTime.getTime() }, runId: description.runId };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }

  /** Whether a claim's saga still holds it: it runs, or it was claimed a moment ago and is still starting. */
  private async holds(holder: ClaimHolder): Promise<boolean> {
    const running = await this.running(holder.sagaId);
    return running ?? Date.now() - holder.since < START_GRACE_MS;
  }

  private async end(claimId: string, runId: string): Promise<void> {
    try {
      await unavailableAs503(() => this.client.workflow.getHandle(claimId, runId).terminate('its registration has ended; a new one claims the place'));
    } catch (err) {
      // Someone else ended it first: the next attempt finds out who holds it now.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
}
