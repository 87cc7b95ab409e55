import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { failuresByLabel, histogram, runPool, untilQuiet, watchProcesses, type LatencySummary, type ProcessUse } from './metrics';
import { ORDER_MODES, type BenchStack, type OrderMode } from './stack';

export interface ScenarioResult extends LatencySummary {
  name: string;
  concurrency: number;
  perSec: number;
  eventsPerSaga: number | null;
  workflowTasksPerSaga: number | null;
  workerRssMb: number;
  processes: Record<string, ProcessUse>;
  /** Tasks that failed (a saga that did not end, a refused call): left out of the latencies. */
  failed?: number;
  /** The baseline row it took turns with (same workload, same run, same worker): only then a vsBaseline. */
  interleavedWith?: string;
  note?: string;
}

const address = { name: 'Bench', line1: '1 Load St', city: 'Berlin', postalCode: '10115', country: 'DE' };

export function orderBody(declined: boolean) {
  return { customerId: 'bench', currency: 'EUR', items: [{ sku: 'book-001', quantity: 1 }], paymentToken: declined ? 'tok_declined' : 'tok_visa', shippingAddress: address };
}

/**
 * One call as a careful client makes it: a 503 or 429 (load shed, rate limited) is retried after its
 * Retry-After with the same Idempotency-Key, a few times at most; the retries count in the latency.
 */
export async function api(stack: BenchStack, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const key = randomUUID();
  for (let attempt = 1; ; attempt += 1) {
    const res = await fetch(stack.apiUrl + path, {
      method,
      headers: { authorization: `Bearer ${stack.apiKey}`, ...(body ? { 'content-type': 'application/json', 'idempotency-key': key } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = (await res.json()) as Record<string, any>;
    if ((res.status === 503 || res.status === 429) && attempt < 10) {
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1_000));
      continue;
    }
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
}

/** History events and workflow tasks per saga, from a few sampled runs. */
export async function historyCost(client: Client, ids: string[]): Promise<{ events: number; tasks: number } | null> {
  const sample = ids.slice(0, 5);
  if (sample.length === 0) return null;
  let events = 0;
  let tasks = 0;
  for (const id of sample) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    events += history.events?.length ?? 0;
    tasks += (history.events ?? []).filter((e) => String(e.eventType) === '6' || String(e.eventType) === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED').length;
  }
  return { events: +(events / sample.length).toFixed(1), tasks: +(tasks / sample.length).toFixed(1) };
}

export interface Measured {
  ids: string[];
  latency: ReturnType<typeof histogram>;
}

type Once = (i: number, m: Measured) => Promise<void>;

/**
 * One scenario's measurements, possibly gathered in several phases, so two contenders can take turns
 * (A B B A) and neither is always the one running on a server that has already seen more work.
 */
export class Scenario {
  private readonly m: Measured = { ids: [], latency: histogram() };
  private done = 0;
  private failed = 0;
  private seconds = 0;
  private readonly use: Record<string, ProcessUse> = {};

  constructor(
    private readonly stack: BenchStack,
    readonly name: string,
    private readonly concurrency: number,
    private readonly maxSeconds: number,
    private readonly once: Once,
    private readonly client: Client = stack.client,
  ) {}

  async phase(count: number): Promise<void> {
    await untilQuiet(this.stack.pids);
    const watch = watchProcesses(this.stack.pids);
    const started = Date.now();
    const failedBefore = failuresByLabel.get(this.name) ?? 0;
    this.done += await runPool(this.name, count, this.concurrency, started + this.maxSeconds * 1_000, (i) => this.once(this.done + i, this.m));
    this.failed += (failuresByLabel.get(this.name) ?? 0) - failedBefore;
    this.seconds += (Date.now() - started) / 1000;
    for (const [proc, use] of Object.entries(watch.stop())) {
      const sofar = this.use[proc] ?? { cpuSeconds: 0, peakRssMb: 0 };
      this.use[proc] = { cpuSeconds: +(sofar.cpuSeconds + use.cpuSeconds).toFixed(2), peakRssMb: Math.max(sofar.peakRssMb, use.peakRssMb) };
    }
  }

  async result(): Promise<ScenarioResult> {
    const cost = await historyCost(this.client, this.m.ids);
    const worker = this.name.startsWith('baseline') ? 'baselineWorker' : 'worker';
    return {
      name: this.name,
      concurrency: this.concurrency,
      ...this.m.latency.summary(),
      count: this.done,
      perSec: +(this.done / this.seconds).toFixed(1),
      eventsPerSaga: cost?.events ?? null,
      workflowTasksPerSaga: cost?.tasks ?? null,
      workerRssMb: this.use[worker]?.peakRssMb ?? 0,
      processes: this.use,
      failed: this.failed,
    };
  }
}

/** Runs one measured load and turns it into a result row. */
export async function measure(stack: BenchStack, name: string, concurrency: number, count: number, maxSeconds: number, once: Once, client?: Client): Promise<ScenarioResult> {
  const scenario = new Scenario(stack, name, concurrency, maxSeconds, once, client);
  await scenario.phase(count);
  return scenario.result();
}

export function orderThroughApi(stack: BenchStack, concurrency: number, declinedShare: number, maxSeconds: number, mode?: OrderMode): Scenario {
  const name = `${declinedShare > 0 ? 'order-declined-half' : 'order'}${mode ? `-${mode}` : ''}-c${concurrency}`;
  // A mode's orders go through that mode's API, and its CPU is what the row shows as the API's.
  const through = mode ? { ...stack, apiUrl: stack.modeApis[mode]!.url, pids: { ...stack.pids, api: stack.modeApis[mode]!.pid } } : stack;
  return new Scenario(through, name, concurrency, maxSeconds, async (i, m) => {
    const t0 = performance.now();
    const view = await api(through, 'POST', '/v1/orders', orderBody(declinedShare > 0 && i % 2 === 1), { prefer: 'wait=60' });
    if (view.status !== 'COMPLETED' && view.status !== 'COMPENSATED') throw new Error(`order ${view.id} ended ${view.status}`);
    m.latency.record(performance.now() - t0);
    m.ids.push(view.id);
  });
}

export function baseline(stack: BenchStack, concurrency: number, maxSeconds: number): Scenario {
  return new Scenario(stack, `baseline-c${concurrency}`, concurrency, maxSeconds, async (_i, m) => {
    const t0 = performance.now();
    const workflowId = `baseline-${randomUUID()}`;
    await stack.plainClient.workflow.execute('baselineOrder', {
      taskQueue: 'baseline',
      workflowId,
      args: [{ currency: 'EUR', items: [{ sku: 'book-001', quantity: 1 }], paymentToken: 'tok_visa', address }],
    });
    m.latency.record(performance.now() - t0);
    m.ids.push(workflowId);
  }, stack.plainClient);
}

/**
 * The hand-written baseline and sagaway's orders at one concurrency, in ABBA turns (baseline, order,
 * order, baseline) so that a machine warming up or slowing down weighs on both alike.
 */
export async function baselineAgainstOrders(stack: BenchStack, concurrency: number, count: number, maxSeconds: number): Promise<[ScenarioResult, ScenarioResult]> {
  const base = baseline(stack, concurrency, maxSeconds);
  const order = orderThroughApi(stack, concurrency, 0, maxSeconds);
  const half = Math.ceil(count / 2);
  await base.phase(half);
  await order.phase(half);
  await order.phase(count - half);
  await base.phase(count - half);
  return [await base.result(), { ...(await order.result()), interleavedWith: `baseline-c${concurrency}` }];
}

/**
 * The baseline and each order mode at one concurrency, taking turns the same way (baseline, each mode,
 * each mode in reverse, baseline), every mode on the same worker and server.
 */
export async function baselineAgainstModes(stack: BenchStack, concurrency: number, count: number, maxSeconds: number): Promise<ScenarioResult[]> {
  const base = baseline(stack, concurrency, maxSeconds);
  const modes = (Object.keys(ORDER_MODES) as OrderMode[]).map((mode) => orderThroughApi(stack, concurrency, 0, maxSeconds, mode));
  const half = Math.ceil(count / 2);
  await base.phase(half);
  for (const mode of modes) await mode.phase(half);
  for (const mode of [...modes].reverse()) await mode.phase(count - half);
  await base.phase(count - half);
  const rows = await Promise.all(modes.map((m) => m.result()));
  return [await base.result(), ...rows.map((row) => ({ ...row, interleavedWith: `baseline-c${concurrency}` }))];
}
