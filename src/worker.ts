import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Client } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import { NativeConnection, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createActivities } from './activities';
import { openAuditStore, signPeriodically } from './audit';
import { backendAuthorizer, clientIdInterceptor, FederationSigner, federationJwksPath } from './activities/federation';
import type { Authorizer } from './activities/http-client';
import { OAuthClient } from './activities/oauth-client';
import { dataConverterFrom } from './codec';
import { auditConfigFrom, exitOnConfigError, loadConfigOrExit, type AuditConfig, type BackendName, type Config } from './config';
import { createLogger, temporalLoggerFrom } from './logger';
import { observabilitySettings, type ObservabilitySettings } from './observability/settings';
import { workerTracing } from './observability/temporal-tracing';
import { setupTracing, type Tracing } from './observability/tracing';
import { temporalSettings, waitFor } from './temporal';
import { FileSagaViewStore, viewFolder } from './views/file-view-store';
import { bundleOutOfProcess } from './workflow-bundle';
import { RedisSagaViewStore, sagaViewSinks, type SagaViewStore } from './views/saga-view-store';

export interface WorkerDeps {
  config: Config;
  connection: NativeConnection;
  namespace: string;
  logger: Logger;
  /** A prebuilt bundle (tests, SAGAWAY_WORKFLOW_BUNDLE); the worker bundles src/workflows itself when absent. */
  workflowBundle?: WorkflowBundle;
  /** Alert webhook and the like; read from the environment when absent. */
  observability?: ObservabilitySettings;
  /** Traces workflow tasks and activities when given (see src/observability/tracing.ts). */
  tracing?: Tracing | null;
  /** The audit store's settings; read from the environment when absent. */
  audit?: AuditConfig;
}

/** A worker for every sagaway workflow and activity, with the activities built from the config. */
export async function createWorker({ config, connection, namespace, logger, workflowBundle, observability = observabilitySettings(), tracing = null, audit: auditConfig = auditConfigFrom() }: WorkerDeps) {
  const dataConverter = dataConverterFrom(config.codecKeys, config.security.codecAcceptPlaintext);
  const temporal = { client: new Client({ connection, namespace, dataConverter }), taskQueue: config.taskQueue };
  const audit = openAuditStore(auditConfig);
  const stopSigning = signPeriodically(audit, auditConfig.signEveryMs, (err) => logger.warn({ err: err.message }, 'signing the audit chain failed; trying again later'));
  const { activities, close } = createActivities({ urls: config.backends.urls, timeoutMs: config.backends.timeoutMs, temporal, authorize: authorizersFrom(config), alertWebhook: observability.alertWebhook, audit });
  const traced = workerTracing(tracing);
  const views = viewStoreFrom(config.shared.redisUrl, config.dataDir);
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue: config.taskQueue,
    // Held sagas (a bike at the door, a registration waiting for its allocation) cost memory while cached.
    maxCachedWorkflows: config.cachedWorkflows,
    workflowBundle: workflowBundle ?? (await bundleWorkflows(config, logger, tracing !== null)),
    activities,
    dataConverter,
    // The saga's client id travels in each activity's headers (the bundle carries the workflow side), for the federation tokens' subject.
    interceptors: { activity: [clientIdInterceptor, ...traced.activity] },
    sinks: { ...traced.sinks, ...sagaViewSinks(views.store, logger) },
    // Signals go to whoever drains the worker: an operator's SIGTERM finishes in-flight tasks first.
    shutdownGraceTime: '10 seconds',
  });
  logger.info({ taskQueue: config.taskQueue, namespace, viewStore: config.shared.redisUrl ? 'redis' : 'files' }, 'worker ready');
  return {
    worker,
    close: async () => {
      await close();
      await views.close();
      await stopSigning();
      await audit.signHeadIfAppended().catch(() => null);
      await audit.close();
    },
  };
}

/** The worker publishes each saga's view for the API (see src/views/): to Redis with SAGAWAY_REDIS_URL, else the data folder. */
function viewStoreFrom(redisUrl: string | null, dataDir: string): { store: SagaViewStore; close: () => Promise<void> } {
  if (!redisUrl) return { store: new FileSagaViewStore(viewFolder(dataDir)), close: async () => undefined };
  // A slow or absent Redis must not hold the worker: a write fails after half a second and is logged.
  const redis = new Redis(redisUrl, { commandTimeout: 500, maxRetriesPerRequest: 1, retryStrategy: (attempt) => Math.min(attempt * 200, 2_000) });
  redis.on('error', () => undefined);
  return { store: new RedisSagaViewStore(redis), close: async () => void (await redis.quit().catch(() => redis.disconnect())) };
}

/** Each backend's credentials: a federation token per call, and OAuth client credentials for payments. */
export function authorizersFrom(config: Config): (backend: BackendName) => Authorizer {
  const signer = new FederationSigner(config.security.federationKeys);
  const { id, secret } = config.security.paymentsClient;
  const oauth = new OAuthClient({ tokenUrl: `${config.backends.urls.payments}/oauth/token`, clientId: id, clientSecret: secret, timeoutMs: config.backends.timeoutMs });
  return (backend) => backendAuthorizer(signer, backend, backend === 'payments' ? oauth : undefined);
}

/**
 * Publishes sagaway's public federation keys where the backends read them (unless they read a URL),
 * written whole then renamed, so a backend never reads half a file.
 */
export async function publishJwks(config: Config): Promise<void> {
  if (config.security.federationJwksUrl) return;
  const path = federationJwksPath(config.dataDir);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.tmp`, JSON.stringify(await new FederationSigner(config.security.federationKeys).jwks()));
  await rename(`${path}.tmp`, path);
}

/**
 * The workflows as a bundle: read from SAGAWAY_WORKFLOW_BUNDLE (which must include the tracing
 * interceptors when tracing is on), or built now (a few seconds).
 */
async function bundleWorkflows(config: Config, logger: Logger, traced: boolean): Promise<WorkflowBundle> {
  if (config.workflowBundlePath) return { code: readFileSync(config.workflowBundlePath, 'utf8') };
  const started = Date.now();
  const { code, report } = await bundleOutOfProcess(traced);
  if (report.trim()) bundlerLoggerFrom(logger).info(report.trim());
  logger.info({ ms: Date.now() - started, bytes: code.length }, 'workflows bundled');
  return { code };
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
  const audit = exitOnConfigError(auditConfigFrom);
  const logger = createLogger('worker', config.logLevel);
  const observability = observabilitySettings();
  installRuntimeLogger(logger, observability.workerMetricsAddress);
  const tracing = setupTracing('sagaway-worker', { otlpEndpoint: observability.otlpEndpoint });
  const settings = temporalSettings();
  // A worker that loses Temporal for good stops; it then reconnects and runs again, until SIGTERM.
  for (;;) {
    const connection = await waitFor(`Temporal at ${settings.address}`, () => NativeConnection.connect(settings.connectionOptions), logger);
    await publishJwks(config);
    const { worker, close } = await createWorker({ config, connection, namespace: settings.namespace, logger, observability, tracing, audit });
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
