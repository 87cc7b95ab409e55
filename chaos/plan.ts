import type { LaunchedStack as Stack } from '../src/dev/stack';
import { pause } from './load';

export interface CampaignSize {
  sagas: number;
  seconds: number;
  drainSeconds: number;
}

export interface Probe {
  name: string;
  ok: boolean;
  detail: string;
}

export interface FaultContext {
  stack: Stack;
  probes: Probe[];
  count(kind: string): void;
}

export interface FaultStep {
  /** When it starts, as a share of the campaign's length. */
  at: number;
  kind: string;
  run(ctx: FaultContext): Promise<void>;
}

async function inject(ctx: FaultContext, service: string, fault: Record<string, unknown>): Promise<void> {
  await fetch(`${ctx.stack.backendsUrl}/${service}/_admin/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  }).catch(() => undefined);
}

async function killAndRestart(ctx: FaultContext, part: 'worker' | 'api' | 'backends', downMs: number): Promise<void> {
  await ctx.stack.parts[part]!.kill();
  ctx.count(`${part} SIGKILL`);
  await pause(downMs);
  await ctx.stack.parts[part]!.restart();
  // As a deployment's readiness check would: the next fault waits until the restarted API answers again
  // (a cold start under load takes seconds), so the Temporal-down probes meet an API, not a dead port.
  if (part === 'api') await untilAnswers(`${ctx.stack.apiUrl}/healthz`, 60_000);
}

async function untilAnswers(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fetch(url, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false)) return;
    await pause(250);
  }
}

/** While Temporal is down the API must answer 503 with Retry-After, and /readyz must say why. */
async function probeWhileTemporalDown(ctx: FaultContext): Promise<void> {
  const { apiUrl, apiKey } = ctx.stack;
  const ready = await fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(10_000) }).catch(() => null);
  const readyBody = ready ? ((await ready.json().catch(() => ({}))) as { reason?: string }) : {};
  ctx.probes.push({ name: '/readyz says not ready, and why, while Temporal is down', ok: ready?.status === 503 && Boolean(readyBody.reason), detail: `${ready?.status} ${readyBody.reason ?? ''}`.slice(0, 120) });
  const start = await fetch(`${apiUrl}/v1/sagas?pageSize=1`, { headers: { authorization: `Bearer ${apiKey}` }, signal: AbortSignal.timeout(15_000) }).catch(() => null);
  ctx.probes.push({ name: 'the API answers 503 with Retry-After while Temporal is down', ok: start?.status === 503 && Boolean(start.headers.get('retry-after')), detail: `${start?.status} retry-after=${start?.headers.get('retry-after')}` });
}

/** The campaign: what breaks and when. Every step is bounded; the last one clears the injected faults. */
export function campaignPlan(size: CampaignSize): FaultStep[] {
  return [
    { at: 0.05, kind: 'backend faults', run: async (ctx) => {
      await inject(ctx, 'payments', { op: 'authorize', mode: 'error', status: 503, rate: 0.25 });
      await inject(ctx, 'inventory', { op: 'reserve', mode: 'drop', rate: 0.25 });
      await inject(ctx, 'shipping', { op: 'create', mode: 'hang', latencyMs: 4_000, rate: 0.15 });
      await inject(ctx, 'notifications', { op: 'send', mode: 'latency', latencyMs: 800, rate: 0.3 });
      await inject(ctx, 'payments', { op: 'void', mode: 'error', status: 500, rate: 0.3 });
      await inject(ctx, 'hotels', { op: 'hold', mode: 'drop', rate: 0.25 });
      for (const kind of ['5xx', 'lost response', 'hang', 'latency spike', '5xx during compensation']) ctx.count(kind);
    } },
    { at: 0.08, kind: 'pivot faults', run: async (ctx) => {
      // The capture lands and its answer is lost; or it is slow, past the order's deadline and a cancel.
      await inject(ctx, 'payments', { op: 'capture', mode: 'drop', rate: 0.2 });
      await inject(ctx, 'payments', { op: 'capture', mode: 'error', status: 503, rate: 0.2 });
      await inject(ctx, 'payments', { op: 'capture', mode: 'latency', latencyMs: 1_800, rate: 0.3 });
      // A void refused for good (as if captured elsewhere): the undo is STUCK at once, for an operator.
      await inject(ctx, 'payments', { op: 'void', mode: 'error', status: 409, rate: 0.05 });
      for (const kind of ['lost pivot answer', 'pivot 5xx', 'slow pivot (deadline, cancel)', 'refused undo']) ctx.count(kind);
    } },
    { at: 0.12, kind: 'worker', run: (ctx) => killAndRestart(ctx, 'worker', 1_500) },
    { at: 0.2, kind: 'second worker', run: async (ctx) => {
      ctx.stack.parts['worker-2']!.start();
      ctx.count('second worker started');
    } },
    { at: 0.3, kind: 'api', run: (ctx) => killAndRestart(ctx, 'api', 1_000) },
    { at: 0.4, kind: 'temporal', run: async (ctx) => {
      await ctx.stack.parts.temporal!.kill();
      ctx.count('temporal SIGKILL');
      await pause(1_000);
      await probeWhileTemporalDown(ctx);
      await pause(2_000);
      await ctx.stack.parts.temporal!.restart();
    } },
    { at: 0.55, kind: 'backends', run: (ctx) => killAndRestart(ctx, 'backends', Math.min(3_000, size.seconds * 100)) },
    { at: 0.62, kind: 'second worker', run: async (ctx) => {
      await ctx.stack.parts['worker-2']!.kill();
      ctx.count('worker-2 SIGKILL');
    } },
    { at: 0.7, kind: 'worker while compensating', run: async (ctx) => {
      await inject(ctx, 'payments', { op: 'void', mode: 'error', status: 500, rate: 0.5 });
      await killAndRestart(ctx, 'worker', 1_500);
    } },
    { at: 0.85, kind: 'clear', run: async (ctx) => {
      for (const service of ['pricing', 'inventory', 'payments', 'shipping', 'notifications', 'hotels']) {
        await fetch(`${ctx.stack.backendsUrl}/${service}/_admin/faults`, { method: 'DELETE' }).catch(() => undefined);
      }
    } },
  ];
}
