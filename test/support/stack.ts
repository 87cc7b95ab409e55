import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type Worker, type WorkflowBundle } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/api/app';
import { sagaDepsFrom } from '../../src/api/deps';
import { SagaGateway } from '../../src/api/saga-gateway';
import { buildBackends, type Backends } from '../../src/backends/app';
import { dataConverterFrom } from '../../src/codec';
import { loadConfig, type Config } from '../../src/config';
import { resolveTemporalCli } from '../../src/dev/temporal-cli';
import { freePort, startDevServer, type RunningDevServer } from '../../src/dev/temporal-server';
import { DEFAULT_TUNING, type SagaTuning } from '../../src/domain/saga';
import { createWorker, installRuntimeLogger } from '../../src/worker';

export const API_KEY = 'test-client-key-0001';
export const OTHER_API_KEY = 'other-client-key-0002';
export const OPERATOR_KEY = 'test-operator-key-0003';

export interface Stack {
  config: Config;
  temporal: RunningDevServer;
  client: Client;
  backends: Backends;
  backendsUrl: string;
  api: FastifyInstance;
  apiUrl: string;
  worker: Worker;
  workerDone: Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  env?: Record<string, string>;
  tuning?: Partial<SagaTuning>;
}

let bundle: Promise<WorkflowBundle> | null = null;

/** The workflows bundled once per test process. */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows'), logger: quietBundlerLogger });
  return bundle;
}

const quietBundlerLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

/**
 * The whole of sagaway for one test file, for real: a Temporal dev server (in memory, free ports), the
 * simulated backends over HTTP, a worker, and the API listening on 127.0.0.1.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const logger = pino({ level: process.env.SAGAWAY_TEST_LOG ?? 'silent' });
  installRuntimeLogger(logger);
  const cli = await resolveTemporalCli();
  const temporal = await startDevServer({ cli, port: await freePort(), uiPort: null, dbFile: null });
  const backends = await buildBackends({ journalPath: null });
  const backendsUrl = await backends.app.listen({ host: '127.0.0.1', port: 0 });
  const config = loadConfig({
    SAGAWAY_ENV: 'development',
    SAGAWAY_BACKENDS_ADMIN: 'true',
    SAGAWAY_BACKENDS_URL: backendsUrl,
    SAGAWAY_API_KEYS: `test:${API_KEY},other:${OTHER_API_KEY}`,
    SAGAWAY_OPERATOR_KEYS: `ops:${OPERATOR_KEY}`,
    SAGAWAY_TASK_QUEUE: 'sagaway-test',
    SAGAWAY_HTTP_TIMEOUT_MS: '2000',
    ...options.env,
  });
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: 'default', dataConverter: dataConverterFrom(config.codecKeys) });
  await waitForNamespace(client);
  const { worker, close: closeActivities } = await createWorker({
    config,
    connection: nativeConnection,
    namespace: 'default',
    logger,
    workflowBundle: await workflowBundle(),
  });
  const workerDone = worker.run();
  const tuning = { ...DEFAULT_TUNING, compensationBackoffMs: { initial: 100, max: 1_000 }, ...options.tuning };
  const api = await buildApp({
    gateway: new SagaGateway(client, config.taskQueue),
    apiKeys: config.api.keys,
    operatorKeys: config.api.operatorKeys,
    ...sagaDepsFrom(config, tuning),
  });
  const apiUrl = await api.listen({ host: '127.0.0.1', port: 0 });
  return {
    config,
    temporal,
    client,
    backends,
    backendsUrl,
    api,
    apiUrl,
    worker,
    workerDone,
    async stop() {
      await api.close();
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerDone.catch(() => undefined);
      await closeActivities();
      await nativeConnection.close();
      await connection.close();
      await backends.app.close();
      await temporal.stop();
    },
  };
}

async function waitForNamespace(client: Client): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await client.workflowService.describeNamespace({ namespace: 'default' });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
