import { randomUUID } from 'node:crypto';
import { ServiceError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Logger } from 'pino';
import { TemporalUnavailable } from './problems';

const UNAVAILABLE_CODES = new Set([4, 14]);
const TEMPORAL_CALL_TIMEOUT_MS = 10_000;

/**
 * A Temporal that cannot be reached is a 503 with Retry-After for the client, never a 500 and never a
 * hang: a call that has not answered in time (a connection still being made, say) counts as unavailable.
 */
export async function unavailableAs503<T>(fn: () => Promise<T>, timeoutMs = TEMPORAL_CALL_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TemporalUnavailable(`no answer from Temporal within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([fn(), timeout]);
  } catch (err) {
    if (isUnavailable(err)) throw new TemporalUnavailable((err as Error).message);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function isUnavailable(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    if (e instanceof TemporalUnavailable) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && UNAVAILABLE_CODES.has(code)) return true;
    if (e instanceof ServiceError && /UNAVAILABLE|DEADLINE_EXCEEDED|connect/i.test(e.message)) return true;
  }
  return false;
}

/** Tries of an update whose workflow task failed under it (see `executeUpdateOnce`). */
const UPDATE_TRIES = 3;
/** How far back from a history's end a resend looks for the failed workflow task, and for how long. */
const TAIL_EVENTS = 20;
const DIAGNOSIS_TIMEOUT_MS = 2_000;

type UpdateHandle = Pick<WorkflowHandle, 'executeUpdate' | 'workflowId' | 'client'>;

/**
 * Runs a workflow update, sent again under the same update id when Temporal answers that the workflow task
 * carrying it failed (FAILED_PRECONDITION, "unexpected workflow task failure"). The server (1.29) answers that
 * only when it refuses a worker's completion of the task that carried the update, before the update was
 * accepted: UNHANDLED_COMMAND (the workflow completed while an event or message came in, an activity's answer
 * say), a bad command or message, a limit (respondworkflowtaskcompleted/api.go `Invoke`, which aborts the
 * registry with AbortReasonWorkflowTaskFailed); a task the worker fails or that times out keeps the update
 * for the next task. The update was not taken; the same id makes a resend harmless if it was. Each resend is
 * logged with the failed task's cause.
 */
export async function executeUpdateOnce<T>(handle: UpdateHandle, name: string, arg: unknown, options: { updateId?: string; logger?: Pick<Logger, 'warn'> | null } = {}): Promise<T> {
  const updateId = options.updateId ?? randomUUID();
  const { logger } = options;
  // The cause is read beside the resend, not before it: the request waits for the longer of the two.
  const warnings: Array<Promise<void>> = [];
  try {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await handle.executeUpdate<T, [unknown]>(name, { args: [arg], updateId });
      } catch (err) {
        if (attempt >= UPDATE_TRIES || !isTaskFailureUnderUpdate(err)) throw err;
        if (logger) warnings.push(lastTaskFailure(handle).then((taskFailure) => logger.warn({ sagaId: handle.workflowId, update: name, updateId, attempt, taskFailure }, 'update sent again: the workflow task carrying it failed')));
      }
    }
  } finally {
    await Promise.all(warnings);
  }
}

function isTaskFailureUnderUpdate(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === 9 && /unexpected workflow task failure/i.test(e.message)) return true;
  }
  return false;
}

/**
 * Why the workflow's last failed workflow task failed: the newest WorkflowTaskFailed (its cause and failure
 * message) or WorkflowTaskTimedOut among the last events of its history, read once. Never throws: what
 * cannot be told is said as the cause.
 */
async function lastTaskFailure({ client, workflowId }: Pick<WorkflowHandle, 'workflowId' | 'client'>): Promise<{ cause: string; message?: string }> {
  try {
    const { history } = await client.withDeadline(Date.now() + DIAGNOSIS_TIMEOUT_MS, () =>
      client.workflowService.getWorkflowExecutionHistoryReverse({ namespace: client.options.namespace, execution: { workflowId }, maximumPageSize: TAIL_EVENTS }),
    );
    for (const event of history?.events ?? []) {
      const failed = event.workflowTaskFailedEventAttributes;
      if (failed) return { cause: temporal.api.enums.v1.WorkflowTaskFailedCause[failed.cause ?? 0] ?? String(failed.cause), message: failed.failure?.message ?? undefined };
      const timedOut = event.workflowTaskTimedOutEventAttributes;
      if (timedOut) return { cause: `timed out (${temporal.api.enums.v1.TimeoutType[timedOut.timeoutType ?? 0] ?? timedOut.timeoutType})` };
    }
    return { cause: `none in the last ${TAIL_EVENTS} events` };
  } catch (err) {
    return { cause: `history unread: ${err instanceof Error ? err.message : String(err)}` };
  }
}
