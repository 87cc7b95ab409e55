/**
 * The audit trail every saga writes (Patches.auditTrail): its start, each operator action as the saga
 * accepts it, and its final status; the transfers write more through the same trail (transfer-audit.ts).
 * Entries go out one after another in the order they happened, each under a key derived from the saga
 * and the entry's name (never the attempt), so a retried write stores nothing twice.
 *
 * A write is settled like a step after the pivot (forward-rounds.ts): an entry cannot be taken back, so it
 * is retried until the store has it. Once it has failed for longer than `auditStuckAfterMs` (5 minutes;
 * `stuckAfterAttempts` before Patches.auditStuckAfterTime) the write shows in the view as the STUCK step
 * `appendAudit#<entry>`, alerted once and open to an operator, and its rounds go on, so it ends by itself
 * when the store answers again. A time bound, not attempts: an outage of the store shorter than it leaves
 * no STUCK saga and pages nobody. A write that never got stuck stays out of the view.
 */
import { CancellationScope, patched, proxyActivities, proxyLocalActivities, workflowInfo, type LocalActivityOptions } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Reported } from '../activities/attempts';
import type { AuditActivities, AuditEntryInput } from '../domain/audit';
import type { OperatorAction } from '../domain/operator';
import { DEFAULT_AUDIT_STUCK_AFTER_MS, SearchAttribute, type SagaError, type SagaStatus, type StepView } from '../domain/saga';
import { activityOptions } from './activity-options';
import { settleForward } from './forward-rounds';
import { Patches } from './patches';
import type { SagaContext } from './saga-context';
import { labelOf } from './steps';

const { appendAudit } = proxyActivities<Reported<AuditActivities>>(activityOptions.afterPivot);
/**
 * The final status's first tries in the worker (Patches.auditLocalFirst): short, so a slow store holds the
 * saga's workflow task for three seconds at most (a busy worker's queue included) before the write goes on
 * as an ordinary activity.
 */
const AUDIT_LOCAL: LocalActivityOptions = { startToCloseTimeout: '1 second', scheduleToCloseTimeout: '3 seconds', retry: { initialInterval: '50 milliseconds', backoffCoefficient: 2, maximumAttempts: 2 } };
const { appendAudit: appendAuditHere } = proxyLocalActivities<Reported<AuditActivities>>(AUDIT_LOCAL);
const clientKey = defineSearchAttributeKey(SearchAttribute.client, SearchAttributeType.KEYWORD);

export type AuditActor = AuditEntryInput['actor'];

export class SagaTrail {
  private tail: Promise<void> = Promise.resolve();
  private actions = 0;
  /** A write is STUCK past a time bound, not past the attempts bound (Patches.auditStuckAfterTime). */
  private readonly stuckAfterMs: number | undefined;
  /** The final status first tried in the worker itself, then as an activity (Patches.auditLocalFirst). */
  private readonly localFirst: boolean;

  constructor(
    private readonly ctx: SagaContext,
    /** False for a saga started before every saga had a trail: it writes only what its own code writes. */
    readonly enabled: boolean,
  ) {
    const timed = enabled && patched(Patches.auditStuckAfterTime);
    this.stuckAfterMs = timed ? (ctx.options.tuning.auditStuckAfterMs ?? DEFAULT_AUDIT_STUCK_AFTER_MS) : undefined;
    this.localFirst = timed && patched(Patches.auditLocalFirst);
  }

  /** Queues one entry behind the ones before it; resolves once the store holds it. `localFirst`: see `final`. */
  write(kind: string, name: string, data: Record<string, unknown>, actor?: AuditActor, localFirst = false): Promise<void> {
    const entry: AuditEntryInput = { sagaId: this.ctx.id, sagaType: this.ctx.options.type, kind, key: this.keyOf(name), data, ...(actor ? { actor } : {}) };
    const written = this.tail.then(() => (this.enabled ? this.settle(name, entry, localFirst) : this.once(name, entry)));
    // A legacy write refused for good fails its own caller, not every entry after it.
    this.tail = written.catch(() => undefined);
    return written;
  }

  /** Who asked: the client the saga was started for, from its own search attribute (none in workflow tests). */
  started(): Promise<void> {
    const client = workflowInfo().typedSearchAttributes.get(clientKey);
    return this.write('status', 'status:started', { status: 'RUNNING' }, client ? { client } : undefined);
  }

  /** Written when the saga accepts the action, not when it is carried out: an action is in the trail even if its step never settles. */
  operatorAction({ action, step, operator, reason }: OperatorAction): void {
    this.actions += 1;
    void this.write('operator-action', `operator-action:${this.actions}`, { action, step, reason, at: new Date().toISOString() }, { operator });
  }

  /**
   * After every entry queued before it, so the final status is the chain's last word. It alone is tried in
   * the worker first: it is awaited with nothing else in flight, while a local write beside other calls (the
   * start, beside a trip's local quotes) may resolve in another order when a worker replays the history,
   * and the saga would stand still on a non-determinism error (test/workflow/audit-every-saga).
   */
  async final(status: SagaStatus, error: SagaError | null): Promise<void> {
    await this.write('status', 'status:final', { status, error }, undefined, this.localFirst);
  }

  private keyOf(name: string): string {
    return this.ctx.caller.keyOf(labelOf('appendAudit', name));
  }

  /** A saga started before the trail: one activity retried until stored, as the transfer always wrote. */
  private async once(name: string, entry: AuditEntryInput): Promise<void> {
    const options = { ...activityOptions.afterPivot, activityId: `audit:${name}`, summary: `Audit ${entry.kind} (${name})` };
    await CancellationScope.nonCancellable(() => appendAudit.executeWithOptions(options, [entry]));
  }

  private async settle(name: string, entry: AuditEntryInput, localFirst: boolean): Promise<void> {
    const { ctx } = this;
    const step: StepView = { name: labelOf('appendAudit', name), status: 'RUNNING', attempts: 0, startedAt: new Date().toISOString(), finishedAt: null, error: null, compensation: null };
    const summary = `Audit ${entry.kind} (${name})`;
    const outcome = await CancellationScope.nonCancellable(() =>
      settleForward(
        {
          step,
          pivot: false,
          local: localFirst,
          run: (options, local, _try, round = 0) =>
            local ? appendAuditHere.executeWithOptions({ ...options, summary }, [entry]) : appendAudit.executeWithOptions({ ...options, activityId: round > 0 ? `audit:${name}:round${round}` : `audit:${name}`, summary }, [entry]),
          lookUp: null,
          applied: () => false,
          ...(this.stuckAfterMs === undefined ? {} : { stuckAfterMs: this.stuckAfterMs }),
        },
        { ...ctx.forwardContext(), localOptions: AUDIT_LOCAL },
      ),
    );
    if (!ctx.record.view.steps.includes(step)) return;
    const note = outcome.kind === 'resolved' ? `resolved by ${outcome.action.operator}: the entry was not written` : null;
    ctx.record.end(step, 'SUCCEEDED', outcome.attempts, note);
  }
}
