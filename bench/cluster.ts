/**
 * `npm run bench -- --cluster`: the order and baseline rows on the embedded dev server and on the
 * PostgreSQL cluster (`npm run cluster`'s pieces), side by side in one run; a scaling row (one sagaway
 * worker, then two); and the API's own overhead: `POST /v1/orders` answered 202 against
 * `client.workflow.start` of the same workflow with the same options, one at a time (p50).
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { requestHash } from '../src/api/idempotency';
import { keys } from '../src/api/visibility';
import { DEFAULT_TUNING } from '../src/domain/saga';
import { markdown, temporalCpu, toResults, type BenchResults } from './report';
import { api, baseline, baselineAgainstOrders, measure, orderBody, orderThroughApi, Scenario, type ScenarioResult } from './scenarios';
import { startBenchStack, type BenchStack } from './stack';

export interface ClusterPlan {
  levels: Array<{ concurrency: number; count: number }>;
  overheadCount: number;
  maxSeconds: number;
}

export const CLUSTER_FULL: ClusterPlan = { levels: [{ concurrency: 1, count: 30 }, { concurrency: 32, count: 300 }], overheadCount: 100, maxSeconds: 240 };
export const CLUSTER_QUICK: ClusterPlan = { levels: [{ concurrency: 1, count: 4 }, { concurrency: 8, count: 16 }], overheadCount: 10, maxSeconds: 60 };

export async function benchBothServers(plan: ClusterPlan): Promise<Record<'dev' | 'cluster', BenchResults>> {
  const results = {} as Record<'dev' | 'cluster', BenchResults>;
  for (const server of ['dev', 'cluster'] as const) {
    process.stdout.write(`bench: on the ${server === 'dev' ? 'embedded dev server' : 'PostgreSQL cluster'}\n`);
    // The audit store on PostgreSQL on both sides, as production has it: two workers on one PGlite folder
    // hand it back and forth, each turn a new engine (measured: the two-worker row at 2.1 orders a second).
    const stack = await startBenchStack({ eagerActivities: true, server, auditPostgres: true });
    try {
      results[server] = toResults(await rowsOn(stack, plan), false);
    } finally {
      await stack.stop();
    }
  }
  return results;
}

async function rowsOn(stack: BenchStack, plan: ClusterPlan): Promise<ScenarioResult[]> {
  await orderThroughApi(stack, 1, 0, 120).phase(3);
  await baseline(stack, 1, 120).phase(3);
  const rows: ScenarioResult[] = [];
  for (const { concurrency, count } of plan.levels) {
    process.stdout.write(`bench: concurrency ${concurrency}\n`);
    rows.push(...(await baselineAgainstOrders(stack, concurrency, count, plan.maxSeconds)));
  }
  rows.push(...(await apiOverhead(stack, plan)), ...(await apiOverhead(stack, plan, true)));
  const top = plan.levels[plan.levels.length - 1]!;
  process.stdout.write(`bench: a second worker, concurrency ${top.concurrency}\n`);
  await stack.addWorker();
  const two = await measure(stack, `order-c${top.concurrency}`, top.concurrency, top.count, plan.maxSeconds, async (_i, m) => {
    const t0 = performance.now();
    const view = await api(stack, 'POST', '/v1/orders', orderBody(false), { prefer: 'wait=60' });
    m.latency.record(performance.now() - t0);
    m.ids.push(view.id);
  });
  rows.push({ ...two, name: `order-c${top.concurrency}-2-workers`, note: 'two sagaway workers', interleavedWith: undefined });
  return rows;
}

/**
 * The 202 path through the API, and the same start made directly with the client, one at a time. They
 * take turns in rounds of ten, and each round waits for its sagas to end, so neither contender always
 * follows the other's load. The API is called twice per turn: with a keep-alive `node:http` agent, which
 * costs the client little, so the difference to the direct start is the API's own; and with `fetch`
 * (undici), whose own cost on the client's side shows as well. The note gives the differences of the
 * medians to a tenth of a millisecond. With `workerPaused`, sagaway's worker is stopped while they run
 * (the sagas wait in the task queue, and run once it is back): on 2 cores the sagas just started would
 * otherwise run beside the next starts, and the extra process the API is weighs more than its code.
 */
export async function apiOverhead(stack: BenchStack, plan: Pick<ClusterPlan, 'overheadCount' | 'maxSeconds'>, workerPaused = false): Promise<ScenarioResult[]> {
  process.stdout.write(`bench: the API's own overhead${workerPaused ? ', the worker stopped' : ''}\n`);
  const suffix = workerPaused ? '-no-worker' : '';
  const started: string[] = [];
  const raw = { http: [] as number[], fetch: [] as number[], direct: [] as number[] };
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const viaApi = new Scenario(stack, `api-start-202-c1${suffix}`, 1, plan.maxSeconds, async (_i, m) => {
    const t0 = performance.now();
    const view = await postKeepAlive(stack, agent, '/v1/orders', orderBody(false));
    const ms = performance.now() - t0;
    m.latency.record(ms);
    raw.http.push(ms);
    started.push(view.id);
  });
  const viaFetch = new Scenario(stack, `api-start-202-fetch-c1${suffix}`, 1, plan.maxSeconds, async (_i, m) => {
    const t0 = performance.now();
    const view = await api(stack, 'POST', '/v1/orders', orderBody(false));
    const ms = performance.now() - t0;
    m.latency.record(ms);
    raw.fetch.push(ms);
    started.push(view.id);
  });
  const direct = new Scenario(stack, `client-start-c1${suffix}`, 1, plan.maxSeconds, async (_i, m) => {
    const order = orderBody(false);
    const t0 = performance.now();
    const handle = await stack.client.workflow.start('orderCheckout', {
      taskQueue: 'bench',
      workflowId: `saga-direct-${randomUUID()}`,
      args: [{ order, deadlineMs: 300_000, localSteps: true, tuning: DEFAULT_TUNING }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      memo: { requestHash: requestHash('order', order) },
      staticSummary: 'Order for bench',
      typedSearchAttributes: [
        { key: keys.type, value: 'order' },
        { key: keys.status, value: 'RUNNING' },
        { key: keys.client, value: 'bench' },
      ],
    });
    const ms = performance.now() - t0;
    m.latency.record(ms);
    raw.direct.push(ms);
    started.push(handle.workflowId);
  });
  const settle = () => Promise.all(started.splice(0).map((id) => stack.client.workflow.getHandle(id).result().catch(() => undefined)));
  if (workerPaused) await stack.pauseWorker();
  try {
    for (let done = 0; done < plan.overheadCount; done += 10) {
      const turn = done % 20 === 0 ? [viaApi, viaFetch, direct] : [direct, viaFetch, viaApi];
      for (const contender of turn) {
        await contender.phase(Math.min(10, plan.overheadCount - done));
        if (!workerPaused) await settle();
      }
    }
  } finally {
    agent.destroy();
    if (workerPaused) await stack.resumeWorker();
  }
  // Whatever was started ends before the next row runs.
  await settle();
  const overhead = (xs: number[]) => (median(xs) - median(raw.direct)).toFixed(1);
  const [a, f, b] = [await viaApi.result(), await viaFetch.result(), await direct.result()];
  process.stdout.write(`  API overhead p50${workerPaused ? ' (worker stopped)' : ''}: ${overhead(raw.http)} ms with a keep-alive node:http client, ${overhead(raw.fetch)} ms with fetch\n`);
  return [a, f, { ...b, note: `API overhead p50 ${overhead(raw.http)} ms (node:http keep-alive client), ${overhead(raw.fetch)} ms (fetch)${workerPaused ? ', worker stopped' : ''}` }];
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((x, y) => x - y);
  return sorted.length === 0 ? 0 : sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** One POST on a kept-alive connection, as a client with a connection pool makes it; 202 or an error. */
function postKeepAlive(stack: BenchStack, agent: Agent, path: string, body: unknown): Promise<{ id: string }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${stack.apiUrl}${path}`,
      {
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'idempotency-key': randomUUID() },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 202) reject(new Error(`POST ${path}: ${res.statusCode} ${text}`));
          else resolve(JSON.parse(text) as { id: string });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** One row per scenario: the dev server's numbers beside the cluster's. */
export function sideBySide(results: Record<'dev' | 'cluster', BenchResults>): string {
  const lines = [
    `Machine: ${results.dev.machine}; ${results.dev.date}`,
    '',
    '| scenario | conc. | sagas/s dev | sagas/s cluster | p50 ms dev | p50 ms cluster | p95 ms dev | p95 ms cluster | vs baseline dev | vs baseline cluster | CPU s Temporal (+PostgreSQL) dev / cluster |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const dev of results.dev.scenarios) {
    const c = results.cluster.scenarios.find((s) => s.name === dev.name);
    const cell = (v: number | null | undefined) => (v === null || v === undefined ? '-' : String(v));
    lines.push(
      `| ${dev.name} | ${dev.concurrency} | ${dev.perSec} | ${cell(c?.perSec)} | ${dev.p50Ms} | ${cell(c?.p50Ms)} | ${dev.p95Ms} | ${cell(c?.p95Ms)} | ${cell(dev.vsBaseline)} | ${cell(c?.vsBaseline)} | ${temporalCpu(dev.cpuSeconds)} / ${cell(c ? temporalCpu(c.cpuSeconds) : undefined)} |`,
    );
  }
  return [lines.join('\n'), '', '### Dev server', '', markdown(results.dev), '', '### Cluster', '', markdown(results.cluster)].join('\n');
}
