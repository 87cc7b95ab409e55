import { existsSync, readFileSync } from 'node:fs';

/**
 * The 409 "request in progress" answers sagaway's activities got, as the workers logged them (each failed
 * attempt is logged with its error, src/activities/attempts.ts). The backends answer that 409 before any
 * fault is taken, so their fault lists cannot count it.
 */
export function inProgressAnswers(workerLogs: string[]): number {
  let seen = 0;
  for (const file of workerLogs) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.includes('step attempt failed') && line.includes('HTTP 409 RequestInProgress')) seen += 1;
    }
  }
  return seen;
}

/** Waits (bounded) until the workers logged a 409 "in progress" beyond the `before` they had; returns how many new ones. */
export async function untilInProgressSeen(workerLogs: string[], timeoutMs: number, before = 0): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = inProgressAnswers(workerLogs) - before;
    if (seen > 0 || Date.now() >= deadline) return seen;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
