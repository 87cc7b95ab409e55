import { Client } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from './activities';
import { dataConverterFrom } from './codec';
import { loadConfigOrExit, type Config } from './config';
import { createLogger, temporalLoggerFrom } from './logger';
import { observabilitySettings, type ObservabilitySettings } from './observability/settings';
import { workerTracing } from './observability/temporal-tracing';
import { setupTracing, type Tracing } from './observability/tracing';
import { temporalSettings, waitFor } from './temporal';

export interface WorkerDeps {
  config: Config;
  connection: NativeConnection;
  namespace: string;
  logger: Logger;
  /** A prebuilt bundle (tests, benchmarks); the worker bundles src/workflows itself when absent. */
  workflowBundle?: WorkflowBundle;
  /** Alert webhook and the like; read from the environment when absent. */
  observability?: ObservabilitySettings;
  /** Traces workflow tasks and activities when given (see src/observability/tracing.ts). */
  tracing?: Tracing | null;
}

/** A worker for every sagaway workflow and activity, with the activities built from the config. */
export async function createWorker({ config, connection, namespace, logger, workflowBundle, observability = observabilitySettings(), tracing = null }: WorkerDeps) {
  const dataConverter = dataConverterFrom(config.codecKeys);
  const temporal = { client: new Client({ connection, namespace, dataConverter }), taskQueue: config.taskQueue };
  const { activities, close } = createActivities({ urls: config.backends.urls, timeoutMs: config.backends.timeoutMs, temporal, alertWebhook: observability.alertWebhook });
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue: config.taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('./workflows') }),
    activities,
    dataConverter,
    ...workerTracing(tracing, workflowBundle !== undefined),
    // Signals go to whoever drains the worker: an operator's SIGTERM finishes in-flight tasks first.
    shutdownGraceTime: '10 seconds',
  });
  logger.info({ taskQueue: config.taskQueue, namespace }, 'worker ready');
  return { worker, close };
}

let runtimeInstalled = false;

/**
 * Sends the SDK's own logs, workflow and activity logs included, through pino, and serves the runtime's
 * Prometheus metrics (Temporal's own and the sagas' from src/workflows/saga-metrics.ts) at
 * `metricsAddress` when given. Once per process.
 */
export function installRuntimeLogger(logger: Logger, metricsAddress: string | null = null): void {
  if (runtimeInstalled) return;
  const metrics = metricsAddress ? { metrics: { metricPrefix: 'temporal_', prometheus: { bindAddress: metricsAddress, countersTotalSuffix: true, unitSuffix: true } } } : {};
  Runtime.install({ logger: temporalLoggerFrom(logger), telemetryOptions: metrics });
  runtimeInstalled = true;
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger('worker', config.logLevel);
  const observability = observabilitySettings();
  installRuntimeLogger(logger, observability.workerMetricsAddress);
  const tracing = setupTracing('sagaway-worker', { otlpEndpoint: observability.otlpEndpoint });
  const settings = temporalSettings();
  // A worker that loses Temporal for good stops; it then reconnects and runs again, until SIGTERM.
  for (;;) {
    const connection = await waitFor(`Temporal at ${settings.address}`, () => NativeConnection.connect(settings.connectionOptions), logger);
    const { worker, close } = await createWorker({ config, connection, namespace: settings.namespace, logger, observability, tracing });
    try {
      await worker.run();
      logger.info('worker drained and stopped');
      await tracing?.shutdown();
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
