import { join } from 'node:path';
import { loadConfigOrExit } from '../config';
import { createLogger } from '../logger';
import { buildBackends } from './app';

/** The simulated backends as one process; their records survive restarts in the data folder's journal. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger('backends', config.logLevel);
  const journalPath = join(config.dataDir, 'backends.jsonl');
  const { app } = await buildBackends({ journalPath, logger });
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
