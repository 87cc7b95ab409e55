import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogEntry } from '@temporalio/worker';
import { reportAttempts } from '../../src/activities/attempts';
import { resolveTemporalCli } from '../../src/dev/temporal-cli';
import { freePort, startDevServer, type RunningDevServer } from '../../src/dev/temporal-server';
import { workflowBundle } from './workflow-bundle';

/** Log lines of every worker in this process, so a test can read what a step logged. */
export const logLines: LogEntry[] = [];
let runtimeInstalled = false;

type Fn = (input: never) => Promise<unknown>;

export interface EngineEnv {
  client: Client;
  /** Runs `body` with a worker that has these (mocked) activities, wrapped as the real worker wraps them. */
  withWorker<T>(activities: Record<string, Fn>, body: (taskQueue: string) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

/**
 * One Temporal dev server for a file of engine tests, workers with mocked activities. The time-skipping
 * test server is a separate download this machine cannot fetch, so waits are scaled down through the
 * saga's tuning instead.
 */
export async function startEngineEnv(): Promise<EngineEnv> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('INFO', (entry) => logLines.push(entry)) });
    runtimeInstalled = true;
  }
  const server: RunningDevServer = await startDevServer({ cli: await resolveTemporalCli(), port: await freePort(), uiPort: null, dbFile: null });
  const native = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const bundle = await workflowBundle();
  return {
    client,
    async withWorker(activities, body) {
      const taskQueue = `engine-${randomUUID()}`;
      const worker = await Worker.create({ connection: native, taskQueue, workflowBundle: bundle, activities: reportAttempts(activities) });
      return worker.runUntil(body(taskQueue));
    },
    async stop() {
      await native.close();
      await connection.close();
      await server.stop();
    },
  };
}
