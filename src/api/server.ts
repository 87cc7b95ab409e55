import { Client, Connection } from '@temporalio/client';
import { dataConverterFrom } from '../codec';
import { openAuditStore } from '../audit';
import { admissionLimitsFrom, apiLimitsFrom, auditConfigFrom, exitOnConfigError, loadConfigOrExit, metricsExposureFrom, transferSettingsFrom } from '../config';
import { DEFAULT_TUNING } from '../domain/saga';
import { createLogger } from '../logger';
import { serveMetrics } from '../observability/api-metrics';
import { observabilitySettings } from '../observability/settings';
import { clientTracing } from '../observability/temporal-tracing';
import { setupTracing } from '../observability/tracing';
import { temporalSettings } from '../temporal';
import { Admission, temporalCounter } from './admission';
import { buildApp } from './app';
import { sagaDepsFrom } from './deps';
import { OpsGateway } from './ops-gateway';
import { PageTokens } from './page-token';
import { SagaGateway } from './saga-gateway';
import { TransferGateway } from './transfer-gateway';
import { FileSagaViewStore, viewFolder } from '../views/file-view-store';
import { RedisSagaViewStore } from '../views/saga-view-store';

/**
 * The API process. It listens at once, whether Temporal is up or not: a lazy connection reconnects by
 * itself, and until it does /readyz says why and saga routes answer 503 with Retry-After.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger('api', config.logLevel);
  const settings = temporalSettings();
  const connection = Connection.lazy(settings.connectionOptions);
  const observability = observabilitySettings();
  const tracing = setupTracing('sagaway-api', { otlpEndpoint: observability.otlpEndpoint });
  const client = new Client({ connection, namespace: settings.namespace, dataConverter: dataConverterFrom(config.codecKeys, config.security.codecAcceptPlaintext), ...clientTracing(tracing) });
  // Page tokens are sealed with their own secret, shared by every API instance so any of them accepts them.
  const deps = sagaDepsFrom(config, {
    ...DEFAULT_TUNING,
    stuckAfterAttempts: config.sagas.stuckAfterAttempts,
    auditStuckAfterMs: config.sagas.auditStuckAfterMs,
    compensationBackoffMs: config.sagas.compensationBackoffMs ?? DEFAULT_TUNING.compensationBackoffMs,
    ...(config.sagas.stepRetryInitialMs === null ? {} : { stepRetryInitialMs: config.sagas.stepRetryInitialMs }),
  });
  // Running sagas are read from the views their workers publish (src/views/): Redis, else the data folder.
  const views = deps.shared?.redis ? new RedisSagaViewStore(deps.shared.redis) : new FileSagaViewStore(viewFolder(config.dataDir));
  const auditConfig = exitOnConfigError(() => auditConfigFrom());
  const audit = openAuditStore(auditConfig);
  const gateway = new SagaGateway(client, config.taskQueue, new PageTokens(Buffer.from(config.security.pageTokenSecret)), { ...apiLimitsFrom(), redis: deps.shared?.redis ?? null }, views, logger);
  const metrics = metricsExposureFrom();
  const app = await buildApp({
    gateway,
    metrics: metrics.port === null ? { kind: 'public', key: metrics.key } : { kind: 'separate' },
    ops: new OpsGateway(client, gateway, config.sagas.stuckAfterAttempts),
    events: { ...observability.events, redis: deps.shared?.redis ?? null },
    transfers: { gateway: new TransferGateway(client, gateway, deps.sagas.tuning), networkSecret: transferSettingsFrom().networkSecret },
    tracing: tracing !== null,
    apiKeys: config.api.keys,
    operatorKeys: config.api.operatorKeys,
    audit: { reader: audit, auditorKeys: auditConfig.auditorKeys },
    admission: new Admission(temporalCounter(client), admissionLimitsFrom()),
    logger,
    ...deps,
  });
  await app.listen({ host: config.api.host, port: config.api.port });
  const metricsServer = metrics.port === null ? null : await serveMetrics(metrics.host, metrics.port);
  logger.info({ temporal: settings.address, namespace: settings.namespace }, 'api ready');

  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'draining: no new connections, finishing requests in flight');
    await app.close();
    await audit.close();
    metricsServer?.close();
    await connection.close();
    await tracing?.shutdown();
    process.exit(0);
  };
  process.on('SIGTERM', () => void close('SIGTERM'));
  process.on('SIGINT', () => void close('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`api: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
