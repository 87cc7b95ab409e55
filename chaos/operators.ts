import { DEV_OPERATOR_KEYS } from '../src/config';
import type { LaunchedStack as Stack } from '../src/dev/stack';
import type { Invariant } from './invariants';
import { apiFetch, pause, readView } from './load';

type View = Record<string, any>;

/**
 * The campaign's last act, done as an operator would do it: once the faults are cleared, every saga that
 * waits for a person (a STUCK step) gets that step retried through the operator API, and is followed
 * until it ends. The counts say how many needed a person, and whether each ended after the retry.
 */
export async function retryStuckThroughOperators(stack: Stack, views: Map<string, View>, deadline: number): Promise<Invariant> {
  const operatorKey = (process.env.SAGAWAY_OPERATOR_KEYS ?? stack.env.SAGAWAY_OPERATOR_KEYS ?? DEV_OPERATOR_KEYS).split(',')[0]!.split(':').slice(1).join(':');
  const stuck = [...views.values()].filter((v) => v.steps?.some((s: View) => s.status === 'STUCK') && !['COMPLETED', 'COMPENSATED'].includes(v.status));
  const refused: string[] = [];
  for (const view of stuck) {
    for (const step of view.steps.filter((s: View) => s.status === 'STUCK')) {
      const res = await retryStep(stack.apiUrl, operatorKey, view.id, step.name, deadline);
      if (res?.status === 200) continue;
      // A 409 for a step that moved on by itself meanwhile (its undo went through) is no refusal.
      const now = await readView(() => stack.apiUrl, stack.apiKey, view.id);
      const still = now?.steps?.some((s: View) => s.name === step.name && s.status === 'STUCK');
      if (res?.status !== 409 || still) refused.push(`${view.id} ${step.name}: ${res?.status ?? 'no answer'}`);
    }
  }
  const open = new Set(stuck.map((v) => v.id as string));
  while (open.size > 0 && Date.now() < deadline) {
    for (const id of [...open]) {
      const view = await readView(() => stack.apiUrl, stack.apiKey, id);
      if (view) views.set(id, view);
      if (view && ['COMPLETED', 'COMPENSATED'].includes(view.status)) open.delete(id);
    }
    if (open.size > 0) await pause(1_000);
  }
  const unfinished = [...refused, ...[...open].map((id) => `${id}: still ${views.get(id)?.status}`)];
  return {
    name: "every stuck saga ended after an operator's retry through /v1/ops",
    cases: stuck.length,
    held: unfinished.length === 0 && stuck.length > 0,
    detail: stuck.length === 0 ? 'no case: no saga got stuck' : unfinished.slice(0, 5).join('; ') || 'ok',
  };
}

/**
 * One operator's retry of a step, sent again (as a person would) while the API answers 503 with
 * Retry-After: the saga's worker or Temporal is busy for now. Each 503 is said on stdout.
 */
async function retryStep(apiUrl: string, operatorKey: string, sagaId: string, step: string, deadline: number) {
  for (let tries = 1; ; tries += 1) {
    const res = await apiFetch('operator', `${apiUrl}/v1/ops/sagas/${sagaId}/steps/${encodeURIComponent(step)}/retry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operatorKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'chaos: the faults are cleared, try again' }),
      signal: AbortSignal.timeout(15_000),
    });
    const after = Number(res?.headers.get('retry-after') ?? NaN);
    if (res?.status !== 503 || !Number.isFinite(after) || tries >= OPERATOR_TRIES || Date.now() + after * 1_000 > deadline) return res;
    process.stdout.write(`chaos: the operator's retry of ${sagaId} ${step} was answered 503 (try ${tries}); again in ${after} s\n`);
    await pause(after * 1_000);
  }
}

/** How often the campaign's operator sends one retry that was answered 503. */
const OPERATOR_TRIES = 5;
