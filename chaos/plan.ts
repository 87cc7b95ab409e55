import type { LaunchedStack as Stack } from '../src/dev/stack';
import type { FaultLedger } from './faults';
import { apiFetch, pause, ticket, type Ticket } from './load';
import { sagaMix } from './mix';
import type { ChaosRedis } from './redis';
import { redisAwayAndBack } from './redis-outage';
import { inProgressAnswers, untilInProgressSeen } from './worker-logs';

export interface CampaignSize {
  /** Sagas of the mixed load (chaos/mix.ts), and cross-border transfers beside them (chaos/transfers.ts). */
  sagas: number;
  transfers: number;
  seconds: number;
  drainSeconds: number;
}

export interface Probe {
  name: string;
  ok: boolean;
  /** Cases the probe judged, when more than one. */
  cases?: number;
  detail: string;
}

export interface FaultContext {
  stack: Stack;
  probes: Probe[];
  /** The backend faults, counted when they fire. */
  ledger: FaultLedger;
  /** The Redis the API and the workers share. */
  redis: ChaosRedis;
  /** The sagas started so far. */
  sagaIds(): string[];
  /** The saga id a ticket's Idempotency-Key gives it, known before it starts (to aim a fault at it). */
  sagaIdOf(t: Ticket): string;
  /** Starts a saga of the step's own, judged with the load's. */
  launch(t: Ticket): void;
  /** Counts an event the campaign caused itself (a SIGKILL, a duplicate delivery). */
  count(kind: string): void;
}

export interface FaultStep {
  /** When it starts, as a share of the campaign's length. */
  at: number;
  kind: string;
  run(ctx: FaultContext): Promise<void>;
}

async function killAndRestart(ctx: FaultContext, part: 'worker' | 'api' | 'backends', downMs: number): Promise<void> {
  // The backends keep their faults in memory: read what fired before they go, arm them again after.
  if (part === 'backends') await ctx.ledger.beforeKill();
  await ctx.stack.parts[part]!.kill();
  ctx.count(`${part} SIGKILL`);
  await pause(downMs);
  await ctx.stack.parts[part]!.restart();
  // Faults posted before the restarted backends listen are lost (seen: every re-arm answered nothing).
  if (part === 'backends') await untilAnswers(`${ctx.stack.backendsUrl}/healthz`, 60_000, false);
  if (part === 'backends') await ctx.ledger.rearm();
  // As a deployment's readiness check would: the next fault waits until the restarted API answers again
  // (a cold start under load takes seconds), so the Temporal-down probes meet an API, not a dead port.
  if (part === 'api') await untilAnswers(`${ctx.stack.apiUrl}/healthz`, 60_000);
}

async function untilAnswers(url: string, timeoutMs: number, isApi = true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const ask = () => (isApi ? apiFetch('probe', url, { signal: AbortSignal.timeout(2_000) }) : fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => null));
  while (Date.now() < deadline) {
    if ((await ask())?.ok) return;
    await pause(250);
  }
}

/** While Temporal is down the API must answer 503 with Retry-After, and /readyz must say why. */
async function probeWhileTemporalDown(ctx: FaultContext): Promise<void> {
  const { apiUrl, apiKey } = ctx.stack;
  const ready = await apiFetch('probe', `${apiUrl}/readyz`);
  const readyBody = ready ? ((await ready.json().catch(() => ({}))) as { reason?: string }) : {};
  ctx.probes.push({ name: '/readyz says not ready, and why, while Temporal is down', ok: ready?.status === 503 && Boolean(readyBody.reason), detail: `${ready?.status} ${readyBody.reason ?? ''}`.slice(0, 120) });
  const start = await apiFetch('probe', `${apiUrl}/v1/sagas?pageSize=1`, { headers: { authorization: `Bearer ${apiKey}` }, signal: AbortSignal.timeout(15_000) });
  ctx.probes.push({ name: 'the API answers 503 with Retry-After while Temporal is down', ok: start?.status === 503 && Boolean(start.headers.get('retry-after')), detail: `${start?.status} retry-after=${start?.headers.get('retry-after')}` });
}

/** The kinds of event the campaign causes itself, each of which must happen at least once. */
export const PLANNED_EVENTS = [
  'worker SIGKILL',
  'api SIGKILL',
  'temporal SIGKILL',
  'backends SIGKILL',
  'worker-2 SIGKILL',
  'second worker started',
  'duplicate sensor update',
  'duplicate drop (cancel)',
  'redis SIGKILL',
  'redis restarted',
];

/**
 * Read from the workers' logs at the end (chaos/worker-logs.ts), not injected: the 409 "in progress" an
 * idempotency layer answers a retry while the first attempt with its key still runs (the `slow` fault).
 */
export const IN_PROGRESS_KIND = 'request in progress (409 to a retry, in the workers\' logs)';

/** Answers that are neither a success nor a refusal: a 2xx that cannot be read, after applying the call or without. */
async function answersInBetween(ledger: FaultLedger): Promise<void> {
  await ledger.inject('unreadable 2xx after applying (pivot)', 'payments', { op: 'capture', mode: 'malformed', rate: 0.15 });
  await ledger.inject('unreadable 2xx, not applied', 'storage', { op: 'reserve', mode: 'malformed', applied: false, rate: 0.2 });
}

/**
 * An authorization that runs 25 s whatever the caller does: the activity's attempt times out at 10 s and
 * its retries meet the call in flight. Aimed at a bike checkout the step starts itself: a bike has no
 * deadline (an order's, 20 s here, could end the step before its first retry) and asks for its fee at
 * once. Injected once the restarted worker had time to come back (a worker killed while the call runs
 * brings its retry too late to meet it), and the campaign's next fault waits (bounded) until a worker was
 * answered 409, so a backends restart does not wipe the call first.
 */
async function slowPastTheTimeout(ctx: FaultContext): Promise<void> {
  const t = sagaMix(SLOW_AUTHORIZATION_SLOT, ticket);
  await ctx.ledger.inject('slow past the activity timeout (retries answered in progress)', 'payments', { op: 'authorize', mode: 'slow', latencyMs: 25_000, count: 1, sagaId: ctx.sagaIdOf(t) });
  const logs = [ctx.stack.parts.worker!.logFile, ctx.stack.parts['worker-2']!.logFile];
  const before = inProgressAnswers(logs);
  ctx.launch(t);
  if ((await untilInProgressSeen(logs, 60_000, before)) === 0) process.stdout.write('chaos: no 409 "in progress" within 60 s of the slow authorization\n');
}

/** A visitor's bike checkout whose bike the sensor sees (chaos/mix.ts slot 6), far past the mix's numbers. */
const SLOW_AUTHORIZATION_SLOT = 100_006;

/**
 * The campaign: what breaks and when. Every step is bounded; the last one clears the injected faults.
 * Every backend fault kind here must fire at least once (the report fails a kind that never did).
 */
export function campaignPlan(size: CampaignSize): FaultStep[] {
  return [
    { at: 0.05, kind: 'backend faults', run: async ({ ledger }) => {
      await ledger.inject('5xx', 'payments', { op: 'authorize', mode: 'error', status: 503, rate: 0.25 });
      await ledger.inject('lost response', 'inventory', { op: 'reserve', mode: 'drop', rate: 0.25 });
      // Slower than the activity's 10 s start-to-close timeout: the retry arrives while the first call
      // still runs (the campaign's HTTP timeout is longer than the activity's, see chaos/run.ts).
      await ledger.inject('slower than the activity timeout', 'inventory', { op: 'reserve', mode: 'latency', latencyMs: 12_000, count: 2 });
      await ledger.inject('hang', 'shipping', { op: 'create', mode: 'hang', latencyMs: 4_000, rate: 0.15 });
      // A definite refusal after the authorization: the order compensates with a void to make.
      await ledger.inject('refused shipment (compensates an authorization)', 'shipping', { op: 'create', mode: 'error', status: 422, rate: 0.25 });
      await ledger.inject('latency spike', 'notifications', { op: 'send', mode: 'latency', latencyMs: 800, rate: 0.3 });
      await ledger.inject('5xx during compensation', 'payments', { op: 'void', mode: 'error', status: 500, rate: 0.3 });
      await ledger.inject('lost hotel hold answer', 'hotels', { op: 'hold', mode: 'drop', rate: 0.25 });
      await answersInBetween(ledger);
    } },
    { at: 0.06, kind: 'transfer faults', run: async ({ ledger }) => {
      // Screening is a transfer's first call, so this fires early; the rest are aimed at one transfer each
      // (chaos/transfers.ts), so they fire however slowly a loaded machine brings the transfers there.
      await ledger.inject('5xx on screening', 'compliance', { op: 'screen', mode: 'error', status: 503, rate: 0.2 });
    } },
    { at: 0.08, kind: 'pivot faults', run: async ({ ledger }) => {
      // The capture lands and its answer is lost; or it is slow, past the order's deadline and a cancel.
      await ledger.inject('lost pivot answer', 'payments', { op: 'capture', mode: 'drop', rate: 0.2 });
      await ledger.inject('pivot 5xx', 'payments', { op: 'capture', mode: 'error', status: 503, rate: 0.2 });
      await ledger.inject('slow pivot (deadline, cancel)', 'payments', { op: 'capture', mode: 'latency', latencyMs: 1_800, rate: 0.3 });
    } },
    { at: 0.12, kind: 'worker', run: (ctx) => killAndRestart(ctx, 'worker', 1_500) },
    { at: 0.2, kind: 'second worker', run: async (ctx) => {
      ctx.stack.parts['worker-2']!.start();
      ctx.count('second worker started');
    } },
    { at: 0.3, kind: 'api', run: (ctx) => killAndRestart(ctx, 'api', 1_000) },
    { at: 0.33, kind: 'slow authorizations', run: slowPastTheTimeout },
    { at: 0.4, kind: 'temporal', run: async (ctx) => {
      await ctx.stack.parts.temporal!.kill();
      ctx.count('temporal SIGKILL');
      await pause(1_000);
      await probeWhileTemporalDown(ctx);
      await pause(2_000);
      await ctx.stack.parts.temporal!.restart();
    } },
    { at: 0.48, kind: 'redis', run: (ctx) => redisAwayAndBack(ctx, 3_000) },
    { at: 0.55, kind: 'backends', run: (ctx) => killAndRestart(ctx, 'backends', Math.min(3_000, size.seconds * 100)) },
    { at: 0.62, kind: 'second worker', run: async (ctx) => {
      await ctx.stack.parts['worker-2']!.kill();
      ctx.count('worker-2 SIGKILL');
    } },
    { at: 0.7, kind: 'worker while compensating', run: async (ctx) => {
      await ctx.ledger.inject('5xx during compensation', 'payments', { op: 'void', mode: 'error', status: 500, rate: 0.5 });
      await killAndRestart(ctx, 'worker', 1_500);
    } },
    { at: 0.85, kind: 'clear', run: async (ctx) => {
      // The faults stay until each kind met a call (restarts on a loaded machine hold the sagas back), for
      // at most half the campaign's length again; a kind that never fired then fails the run.
      const unfired = await ctx.ledger.untilEveryKindFired(size.seconds * 1_000);
      if (unfired.length > 0) process.stdout.write(`chaos: cleared with kinds that never fired: ${unfired.join(', ')}\n`);
      await ctx.ledger.clear();
    } },
  ];
}
