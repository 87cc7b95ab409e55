import { Client } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Logger } from 'pino';
import { createActivities } from './activities';
import { dataConverterFrom } from './codec';
import { loadConfigOrExit, type Config } from './config';
import { createLogger, temporalLoggerFrom } from './logger';
import { temporalSettings, waitFor } from './temporal';

export interface WorkerDeps {
  config: Config;
  connection: NativeConnection;
  namespace: string;
  logger: Logger;
  /** A prebuilt bundle (tests, SAGAWAY_WORKFLOW_BUNDLE); the worker bundles src/workflows itself when absent. */
  workflowBundle?: WorkflowBundle;
}

/** A worker for every sagaway workflow and activity, with the activities built from the config. */
export async function createWorker({ config, connection, namespace, logger, workflowBundle }: WorkerDeps) {
  const dataConverter = dataConverterFrom(config.codecKeys);
  const temporal = { client: new Client({ connection, namespace, dataConverter }), taskQueue: config.taskQueue };
  const { activities, close } = createActivities({ urls: config.backends.urls, timeoutMs: config.backends.timeoutMs, temporal });
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue: config.taskQueue,
    workflowBundle: workflowBundle ?? (await bundleWorkflows(config, logger)),
    activities,
    dataConverter,
    // Signals go to whoever drains the worker: an operator's SIGTERM finishes in-flight tasks first.
    shutdownGraceTime: '10 seconds',
  });
  logger.info({ taskQueue: config.taskQueue, namespace }, 'worker ready');
  return { worker, close };
}

/** The workflows as a bundle: read from SAGAWAY_WORKFLOW_BUNDLE, or built now (a few seconds). */
async function bundleWorkflows(config: Config, logger: Logger): Promise<WorkflowBundle> {
  if (config.workflowBundlePath) return { code: readFileSync(config.workflowBundlePath, 'utf8') };
  const started = Date.now();
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: bundlerLoggerFrom(logger) });
  logger.info({ ms: Date.now() - started, bytes: bundle.code.length }, 'workflows bundled');
  return bundle;
}

/**
 * Webpack's report is one long multi-line message: it goes to debug, one array entry per line, and
 * only when the bundle fails does it come out as an error.
 */
export function bundlerLoggerFrom(logger: Logger): TemporalLogger {
  const base = temporalLoggerFrom(logger);
  const report = (level: 'debug' | 'error') => (message: string, meta?: LogMetadata) =>
    message.includes('\n') ? logger[level]({ ...meta, webpack: message.split('\n').filter(Boolean) }, 'webpack report') : base[level](message, meta);
  return { ...base, info: report('debug'), error: report('error'), log: (level, message, meta) => (level === 'INFO' ? report('debug')(message, meta) : base.log(level, message, meta)) };
}

let runtimeInstalled = false;

/** Sends the SDK's own logs, workflow and activity logs included, through pino. Once per process. */
export function installRuntimeLogger(logger: Logger): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: temporalLoggerFrom(logger) });
  runtimeInstalled = true;
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger('worker', config.logLevel);
  installRuntimeLogger(logger);
  const settings = temporalSettings();
  // A worker that loses Temporal for good stops; it then reconnects and runs again, until SIGTERM.
  for (;;) {
    const connection = await waitFor(`Temporal at ${settings.address}`, () => NativeConnection.connect(settings.connectionOptions), logger);
    const { worker, close } = await createWorker({ config, connection, namespace: settings.namespace, logger });
    try {
      await worker.run();
      logger.info('worker drained and stopped');
      return;
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'worker stopped with an error; reconnecting');
    } finally {
      await close();
      await connection.close().catch(() => undefined);
    }
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`worker: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
