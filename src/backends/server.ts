import { join } from 'node:path';
import { loadConfigOrExit, transferSettingsFrom } from '../config';
import { createLogger } from '../logger';
import { federationJwksPath } from '../activities/federation';
import { buildBackends } from './app';
import { fileKeySet, remoteKeySet } from './federation';

/** The simulated backends as one process; their records survive restarts in the data folder's journal. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger('backends', config.logLevel);
  const journalPath = join(config.dataDir, 'backends.jsonl');
  const federationKeys = config.security.federationJwksUrl ? remoteKeySet(config.security.federationJwksUrl) : fileKeySet(federationJwksPath(config.dataDir));
  const transfers = transferSettingsFrom();
  const network = { callbackUrl: transfers.callbackUrl, secret: transfers.networkSecret, settleMs: transfers.settleMs, returnMs: transfers.returnMs };
  const { app } = await buildBackends({ journalPath, logger, federationKeys, paymentsClient: config.security.paymentsClient, admin: config.security.backendsAdmin, network });
  await app.listen({ host: config.backends.host, port: config.backends.port });
  logger.info({ journalPath }, 'backends ready');
  const close = async () => {
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void close());
  process.on('SIGINT', () => void close());
}

main().catch((err: unknown) => {
  process.stderr.write(`backends: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
