import { randomUUID } from 'node:crypto';
import { ServiceError, type WorkflowHandle } from '@temporalio/client';
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

/**
 * Runs a workflow update, sent again under the same update id when Temporal answers that the workflow task
 * carrying it failed (FAILED_PRECONDITION, "unexpected workflow task failure": the task raced an activity's
 * answer, say). That update was not taken; the same id makes a resend harmless if it was. Seen as a 500 on
 * a cancel in CI, and in a test's operator action.
 */
export async function executeUpdateOnce<T>(handle: Pick<WorkflowHandle, 'executeUpdate'>, name: string, arg: unknown, updateId = randomUUID()): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await handle.executeUpdate<T, [unknown]>(name, { args: [arg], updateId });
    } catch (err) {
      if (attempt >= UPDATE_TRIES || !isTaskFailureUnderUpdate(err)) throw err;
    }
  }
}

function isTaskFailureUnderUpdate(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === 9 && /unexpected workflow task failure/i.test(e.message)) return true;
  }
  return false;
}
