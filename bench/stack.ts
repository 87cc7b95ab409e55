import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { dataConverterFrom } from '../src/codec';
import { DEV_CODEC_KEYS } from '../src/config';
import { Part, type PartName } from '../src/dev/part';
import { resolveTemporalCli } from '../src/dev/temporal-cli';
import { DEV_SERVER_DYNAMIC_CONFIG, freePort, startDevServer, waitForPort, type RunningDevServer } from '../src/dev/temporal-server';

export interface BenchStack {
  apiUrl: string;
  backendsUrl: string;
  apiKey: string;
  temporalAddress: string;
  /** sagaway's client (with the payload codec) and the baseline's plain one. */
  client: Client;
  plainClient: Client;
  pids: Record<string, number | null>;
  stop(): Promise<void>;
}

/**
 * Everything the benchmark measures, each as its own process on 127.0.0.1 so CPU and memory can be read
 * per process: the dev server in memory, the backends, sagaway's worker and API, and the baseline worker.
 */
export async function startBenchStack(options: { eagerActivities: boolean } = { eagerActivities: true }): Promise<BenchStack> {
  const ports = { temporal: await freePort(), backends: await freePort(), api: await freePort() };
  const dataDir = mkdtempSync(join(tmpdir(), 'sagaway-bench-'));
  const apiKey = randomBytes(16).toString('hex');
  const dynamicConfig = options.eagerActivities ? undefined : DEV_SERVER_DYNAMIC_CONFIG.filter((v) => !v.includes('EagerExecution'));
  const temporal: RunningDevServer = await startDevServer({ cli: await resolveTemporalCli(), port: ports.temporal, uiPort: null, dbFile: null, dynamicConfig });
  const backendsUrl = `http://127.0.0.1:${ports.backends}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: temporal.address,
    SAGAWAY_DATA_DIR: dataDir,
    SAGAWAY_BACKENDS_PORT: String(ports.backends),
    SAGAWAY_API_PORT: String(ports.api),
    SAGAWAY_API_KEYS: `bench:${apiKey}`,
    SAGAWAY_TASK_QUEUE: 'bench',
    SAGAWAY_LOG_LEVEL: 'warn',
    SAGAWAY_RATE_LIMIT_PER_MINUTE: '1000000',
    SAGAWAY_BIKE_SENSOR_TIMEOUT_SECONDS: '3600',
    BASELINE_BACKENDS_URL: backendsUrl,
  };
  const parts = Object.fromEntries((['backends', 'worker', 'api', 'baseline-worker'] as PartName[]).map((n) => [n, new Part(n, env, dataDir)])) as Record<string, Part>;
  parts.backends!.start();
  await waitForPort('127.0.0.1', ports.backends, 30_000);
  for (const name of ['worker', 'api', 'baseline-worker']) parts[name]!.start();
  await waitForPort('127.0.0.1', ports.api, 60_000);
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, dataConverter: dataConverterFrom(process.env.SAGAWAY_CODEC_KEYS ?? DEV_CODEC_KEYS) });
  const plainClient = new Client({ connection });
  return {
    apiUrl: `http://127.0.0.1:${ports.api}`,
    backendsUrl,
    apiKey,
    temporalAddress: temporal.address,
    client,
    plainClient,
    pids: { worker: parts.worker!.pid, api: parts.api!.pid, temporal: temporal.child.pid ?? null, baselineWorker: parts['baseline-worker']!.pid },
    async stop() {
      await connection.close();
      await Promise.all(Object.values(parts).map((p) => p.stop()));
      for (const p of Object.values(parts)) p.close();
      await temporal.stop();
    },
  };
}
