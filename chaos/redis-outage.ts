import type { FaultContext } from './plan';
import { apiFetch, pause } from './load';

/** Reads made during the outage, at most: enough to meet sagas both in the store and only on their worker. */
const READS_WHILE_DOWN = 8;
/** How long every saga's view has, once Redis is back, to be readable again. */
const READABLE_AGAIN_MS = 60_000;

/**
 * Redis goes away (SIGKILL) while the API and the workers use it, and comes back empty on the same port.
 * What sagaway documents (src/api/shared-state.ts, src/api/saga-gateway.ts): Redis down does not make the
 * API unready, rate limits fail open, and a read whose view store does not answer asks the saga's worker.
 * So meanwhile /readyz stays 200 and says Redis is unreachable, and reads answer 200 (never a 500, never
 * a hang); once it is back, every saga's view reads 200 again.
 */
export async function redisAwayAndBack(ctx: FaultContext, downMs: number): Promise<void> {
  // What is measured is Redis, not a Temporal still coming back from the step before.
  await untilReady(ctx, 60_000);
  if (!(await ctx.redis.kill())) return;
  ctx.count('redis SIGKILL');
  // /readyz serves one answer for a second (src/api/routes/health.ts): the next one is asked after the kill.
  await pause(1_500);
  const started = Date.now();
  await probeWhileRedisDown(ctx);
  await pause(Math.max(0, downMs - (Date.now() - started)));
  await ctx.redis.restart();
  ctx.count('redis restarted');
  await probeReadableAgain(ctx);
}

async function untilReady(ctx: FaultContext, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await apiFetch('probe', `${ctx.stack.apiUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
    if (res?.status === 200) return;
    await pause(250);
  }
}

async function probeWhileRedisDown(ctx: FaultContext): Promise<void> {
  const { apiUrl } = ctx.stack;
  const ready = await apiFetch('probe', `${apiUrl}/readyz`);
  const body = ready ? ((await ready.json().catch(() => ({}))) as { sharedState?: { reachable?: boolean } }) : {};
  ctx.probes.push({
    name: '/readyz stays ready and says Redis is unreachable while Redis is down',
    ok: ready?.status === 200 && body.sharedState?.reachable === false,
    detail: `${ready?.status ?? 'no answer'} reachable=${body.sharedState?.reachable}`,
  });
  const ids = ctx.sagaIds().slice(-READS_WHILE_DOWN);
  const answers = await Promise.all(ids.map((id) => readStatus(ctx, id)));
  const wrong = answers.map((status, i) => [ids[i], status] as const).filter(([, status]) => status !== 200);
  ctx.probes.push({
    name: 'a saga read while Redis is down answers 200 within 10 s (its worker is asked)',
    ok: ids.length > 0 && wrong.length === 0,
    cases: ids.length,
    detail: wrong.length === 0 ? `${ids.length} reads, all 200` : wrong.slice(0, 5).map(([id, s]) => `${id}: ${s}`).join('; '),
  });
}

/** Every saga started so far reads 200 again; each is asked until it does, within the bound. */
async function probeReadableAgain(ctx: FaultContext): Promise<void> {
  const ids = ctx.sagaIds();
  const deadline = Date.now() + READABLE_AGAIN_MS;
  let open = ids;
  let last = new Map<string, number | string>();
  while (open.length > 0 && Date.now() < deadline) {
    const answers = await inBatches(open, 8, (id) => readStatus(ctx, id));
    last = new Map(open.map((id, i) => [id, answers[i]!]));
    open = open.filter((id) => last.get(id) !== 200);
    if (open.length > 0) await pause(1_000);
  }
  ctx.probes.push({
    name: "every saga's view is readable (200) again after Redis came back",
    ok: ids.length > 0 && open.length === 0,
    cases: ids.length,
    detail: open.length === 0 ? `${ids.length} of ${ids.length}` : open.slice(0, 5).map((id) => `${id}: ${last.get(id)}`).join('; '),
  });
}

async function readStatus(ctx: FaultContext, sagaId: string): Promise<number | string> {
  const res = await apiFetch('read', `${ctx.stack.apiUrl}/v1/sagas/${sagaId}`, { headers: { authorization: `Bearer ${ctx.stack.apiKey}` } });
  if (!res) return 'no answer within 10 s';
  await res.arrayBuffer().catch(() => undefined);
  return res.status;
}

async function inBatches<T, R>(items: T[], size: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(run))));
  return out;
}
