import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { dataConverterFrom } from '../src/codec';
import { DEV_CODEC_KEYS } from '../src/config';
import { freeClusterPorts, startCluster } from '../src/dev/cluster';
import { Part, type PartName } from '../src/dev/part';
import { resolveTemporalCli } from '../src/dev/temporal-cli';
import { DEV_SERVER_DYNAMIC_CONFIG, freePort, startDevServer, waitForPort, type RunningDevServer } from '../src/dev/temporal-server';

export interface BenchStack {
  apiUrl: string;
  backendsUrl: string;
  apiKey: string;
  /** sagaway's client (with the payload codec) and the baseline's plain one. */
  client: Client;
  plainClient: Client;
  pids: Record<string, number | null>;
  /** Which Temporal it runs on: the embedded dev server, or the PostgreSQL cluster (`--cluster`). */
  server: 'dev' | 'cluster';
  /** Starts a second sagaway worker (the scaling row). */
  addWorker(): Promise<void>;
  stop(): Promise<void>;
}

export interface BenchStackOptions {
  eagerActivities: boolean;
  server?: 'dev' | 'cluster';
}

interface BenchTemporal {
  address: string;
  pid: number | null;
  stop(): Promise<void>;
}

/** The dev server in memory, or the cluster on PostgreSQL in the bench's data folder (no UI, no Redis). */
async function startTemporal(options: BenchStackOptions, dataDir: string): Promise<BenchTemporal> {
  if (options.server === 'cluster') {
    const cluster = await startCluster({ dataDir, ports: await freeClusterPorts(false), namespace: 'default', log: (line) => process.stdout.write(`${line}\n`) });
    return { address: cluster.address, pid: cluster.temporal.child.pid ?? null, stop: cluster.stop };
  }
  const dynamicConfig = options.eagerActivities ? undefined : DEV_SERVER_DYNAMIC_CONFIG.filter((v) => !v.includes('EagerExecution'));
  const dev: RunningDevServer = await startDevServer({ cli: await resolveTemporalCli(), port: await freePort(), uiPort: null, dbFile: null, dynamicConfig });
  return { address: dev.address, pid: dev.child.pid ?? null, stop: dev.stop };
}

/**
 * Everything the benchmark measures, each as its own process on 127.0.0.1 so CPU and memory can be read
 * per process: the dev server in memory, the backends, sagaway's worker and API, and the baseline worker.
 */
export async function startBenchStack(options: BenchStackOptions = { eagerActivities: true }): Promise<BenchStack> {
  const ports = { backends: await freePort(), api: await freePort() };
  const dataDir = mkdtempSync(join(tmpdir(), 'sagaway-bench-'));
  chmodSync(dataDir, 0o755);
  const apiKey = randomBytes(16).toString('hex');
  const temporal = await startTemporal(options, dataDir);
  const backendsUrl = `http://127.0.0.1:${ports.backends}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: temporal.address,
    SAGAWAY_DATA_DIR: dataDir,
    SAGAWAY_BACKENDS_PORT: String(ports.backends),
    SAGAWAY_API_PORT: String(ports.api),
    SAGAWAY_ENV: 'development',
    SAGAWAY_BACKENDS_ADMIN: 'true',
    SAGAWAY_API_KEYS: `bench:${apiKey}`,
    SAGAWAY_TASK_QUEUE: 'bench',
    SAGAWAY_LOG_LEVEL: 'warn',
    SAGAWAY_RATE_LIMIT_PER_MINUTE: '1000000',
    SAGAWAY_BIKE_SENSOR_TIMEOUT_SECONDS: '3600',
    BASELINE_BACKENDS_URL: backendsUrl,
  };
  const parts = Object.fromEntries((['backends', 'worker', 'worker-2', 'api', 'baseline-worker'] as PartName[]).map((n) => [n, new Part(n, env, dataDir)])) as Record<string, Part>;
  parts.backends!.start();
  await waitForPort('127.0.0.1', ports.backends, 30_000);
  for (const name of ['worker', 'api', 'baseline-worker']) parts[name]!.start();
  await waitForPort('127.0.0.1', ports.api, 60_000);
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, dataConverter: dataConverterFrom(process.env.SAGAWAY_CODEC_KEYS ?? DEV_CODEC_KEYS) });
  const plainClient = new Client({ connection });
  const pids: Record<string, number | null> = { worker: parts.worker!.pid, api: parts.api!.pid, temporal: temporal.pid, baselineWorker: parts['baseline-worker']!.pid };
  return {
    apiUrl: `http://127.0.0.1:${ports.api}`,
    backendsUrl,
    apiKey,
    client,
    plainClient,
    pids,
    server: options.server ?? 'dev',
    async addWorker() {
      parts['worker-2']!.start();
      pids.worker2 = parts['worker-2']!.pid;
      await untilPollers(client, 'bench', 2);
    },
    async stop() {
      await connection.close();
      await Promise.all(Object.values(parts).map((p) => p.stop()));
      for (const p of Object.values(parts)) p.close();
      await temporal.stop();
    },
  };
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
