import { Client, Connection } from '@temporalio/client';
import { dataConverterFrom } from '../src/codec';
import { DEV_CODEC_KEYS } from '../src/config';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, startRedis } from '../src/dev/cluster-stores';
import { launchStack } from '../src/dev/stack';
import { DEV_SERVER_DYNAMIC_CONFIG, freePort } from '../src/dev/temporal-server';
import { MACHINE, postgresUnder } from './metrics';

export interface BenchStack {
  apiUrl: string;
  backendsUrl: string;
  apiKey: string;
  temporalAddress: string;
  /** The task queue sagaway's worker polls (an API built in the bench process must start sagas there). */
  taskQueue: string;
  /** sagaway's client (with the payload codec) and the baseline's plain one. */
  client: Client;
  plainClient: Client;
  pids: Record<string, number | null>;
  /** With `orderModes`: each order mode's API (all on the same worker), by mode. */
  modeApis: Partial<Record<OrderMode, { url: string; pid: number | null }>>;
  /** Which Temporal it runs on: the embedded dev server, or the PostgreSQL cluster (`--cluster`). */
  server: 'dev' | 'cluster';
  /** Starts a second sagaway worker (the scaling row). */
  addWorker(): Promise<void>;
  /** Stops sagaway's worker (sagas started meanwhile wait in the task queue), and starts it again. */
  pauseWorker(): Promise<void>;
  resumeWorker(): Promise<void>;
  stop(): Promise<void>;
}

export interface BenchStackOptions {
  eagerActivities: boolean;
  server?: 'dev' | 'cluster';
  /** Runs Debian's redis-server for SAGAWAY_REDIS_URL: shared limits, and the saga view store. */
  redis?: boolean;
  /** Runs Debian's PostgreSQL for SAGAWAY_AUDIT_DATABASE_URL, as production does, instead of the embedded PGlite store in the worker. */
  auditPostgres?: boolean;
  /** Starts one API per order mode (ORDER_MODES), so the modes are measured side by side in one run. */
  orderModes?: boolean;
}

/**
 * How the order saga runs its steps, as an API decides for the sagas it starts (the worker runs each
 * saga as its input says): the holds and the capture as activities (the default), every hold local, or
 * the capture and every hold but the last local. The local modes are for this measurement: production
 * refuses them (see bench/README.md, "Every step local").
 */
export const ORDER_MODES = {
  'holds-remote': { SAGAWAY_LOCAL_HOLDS: 'false', SAGAWAY_LOCAL_PIVOT: 'false' },
  'holds-local': { SAGAWAY_LOCAL_HOLDS: 'true', SAGAWAY_LOCAL_PIVOT: 'false' },
  'local-pivot': { SAGAWAY_LOCAL_HOLDS: 'false', SAGAWAY_LOCAL_PIVOT: 'true' },
} as const;
export type OrderMode = keyof typeof ORDER_MODES;
const MODE_PARTS: Record<OrderMode, 'api' | 'api-2' | 'api-3'> = { 'holds-remote': 'api', 'holds-local': 'api-2', 'local-pivot': 'api-3' };

/**
 * Everything the benchmark measures, each as its own process on 127.0.0.1 so CPU and memory can be read
 * per process: the dev server in memory, the backends, sagaway's worker and API, and the baseline worker.
 */
export async function startBenchStack(options: BenchStackOptions = { eagerActivities: true }): Promise<BenchStack> {
  const redisDir = options.redis ? mkdtempSync(join(tmpdir(), 'sagaway-bench-redis-')) : null;
  const redis = redisDir ? await startRedis({ port: await freePort(), dir: redisDir, logFile: join(redisDir, 'redis.log'), log: (line) => process.stdout.write(`${line}\n`) }) : null;
  const auditDir = options.auditPostgres ? mkdtempSync(join(tmpdir(), 'sagaway-bench-audit-')) : null;
  if (auditDir) chmodSync(auditDir, 0o755);
  const auditPort = auditDir ? await freePort() : 0;
  const audit = auditDir
    ? await startPostgres({ dataDir: join(auditDir, 'postgres'), port: auditPort, user: 'audit', password: 'audit-bench', logFile: join(auditDir, 'postgres.log'), log: (line) => process.stdout.write(`${line}\n`) })
    : null;
  const modePorts = options.orderModes ? { 'api-2': await freePort(), 'api-3': await freePort() } : null;
  const launched = launchStack({
    label: 'bench',
    start: ['backends', 'worker', 'api', 'baseline-worker', ...(modePorts ? (['api-2', 'api-3'] as const) : [])],
    partEnv: modePorts
      ? {
          api: ORDER_MODES['holds-remote'],
          'api-2': { ...ORDER_MODES['holds-local'], SAGAWAY_API_PORT: String(modePorts['api-2']) },
          'api-3': { ...ORDER_MODES['local-pivot'], SAGAWAY_API_PORT: String(modePorts['api-3']) },
        }
      : undefined,
    standby: ['worker-2'],
    cluster: options.server === 'cluster',
    dynamicConfig: options.eagerActivities ? undefined : DEV_SERVER_DYNAMIC_CONFIG.filter((v) => !v.includes('EagerExecution')),
    env: {
      SAGAWAY_RATE_LIMIT_PER_MINUTE: '1000000',
      SAGAWAY_BIKE_SENSOR_TIMEOUT_SECONDS: '3600',
      ...(redis ? { SAGAWAY_REDIS_URL: redis.url } : {}),
      ...(audit ? { SAGAWAY_AUDIT_DATABASE_URL: `postgres://audit:audit-bench@127.0.0.1:${auditPort}/sagaway_audit` } : {}),
    },
  });
  launched.catch(() => Promise.all([redis?.stop(), audit?.stop()]));
  const stack = await launched;
  // One page of an allocator's history (ledger pages it read back, about 150 KB each) may pass gRPC's default 4 MB.
  const connection = await Connection.connect({ address: stack.temporalAddress, channelArgs: { 'grpc.max_receive_message_length': 64 * 1024 * 1024 } });
  const client = new Client({ connection, dataConverter: dataConverterFrom(process.env.SAGAWAY_CODEC_KEYS ?? DEV_CODEC_KEYS) });
  const plainClient = new Client({ connection });
  const pid = (name: 'worker' | 'api' | 'api-2' | 'api-3' | 'baseline-worker' | 'backends') => stack.parts[name]?.pid ?? null;
  // The backends and the bench itself share the machine too: their CPU and the machine's are read as well.
  const pids: Record<string, number | null> = { worker: pid('worker'), api: pid('api'), temporal: stack.temporalPid(), baselineWorker: pid('baseline-worker'), backends: pid('backends'), bench: process.pid, machine: MACHINE };
  // On the cluster, Temporal's database does part of its work: read with its connections' processes.
  if (options.server === 'cluster') pids.postgres = postgresUnder(stack.dataDir);
  // The audit store's CPU is the workers' cost: counted in their column (report.ts).
  if (auditDir) pids.auditPostgres = postgresUnder(auditDir);
  const modeApis: BenchStack['modeApis'] = {};
  if (modePorts) {
    for (const [mode, part] of Object.entries(MODE_PARTS) as Array<[OrderMode, 'api' | 'api-2' | 'api-3']>) {
      const url = part === 'api' ? stack.apiUrl : `http://127.0.0.1:${modePorts[part]}`;
      await untilReady(url);
      modeApis[mode] = { url, pid: pid(part) };
    }
  }
  return {
    apiUrl: stack.apiUrl,
    backendsUrl: stack.backendsUrl,
    apiKey: stack.apiKey,
    temporalAddress: stack.temporalAddress,
    taskQueue: stack.taskQueue,
    client,
    plainClient,
    pids,
    modeApis,
    server: options.server ?? 'dev',
    async pauseWorker() {
      await stack.parts.worker!.stop();
    },
    async resumeWorker() {
      stack.parts.worker!.start();
      pids.worker = stack.parts.worker!.pid;
      await untilPollers(client, stack.taskQueue, 1);
    },
    async addWorker() {
      stack.parts['worker-2']!.start();
      pids.worker2 = stack.parts['worker-2']!.pid;
      await untilPollers(client, stack.taskQueue, 2);
    },
    async stop() {
      await connection.close();
      await stack.stop();
      await redis?.stop();
      await audit?.stop();
    },
  };
}

async function untilReady(apiUrl: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ready = await fetch(`${apiUrl}/readyz`).then((r) => r.ok, () => false);
    if (ready) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the API at ${apiUrl} is not ready after 60 s`);
}

/** Waits until `count` workers poll the task queue for workflow tasks (a new one is then sent work). */
async function untilPollers(client: Client, taskQueue: string, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const { pollers } = await client.workflowService.describeTaskQueue({ namespace: client.options.namespace, taskQueue: { name: taskQueue }, taskQueueType: 1 });
    if (new Set((pollers ?? []).map((p) => p.identity)).size >= count) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`fewer than ${count} workers poll ${taskQueue} after 60 s`);
}
