/**
 * `npm run temporal`: the embedded Temporal dev server with its SQLite database in the data folder, so
 * runs survive a restart, and the Temporal UI. It runs in the foreground until SIGINT/SIGTERM.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigOrExit } from '../config';
import { temporalSettings } from '../temporal';
import { resolveTemporalCli, TemporalCliMissing } from './temporal-cli';
import { startDevServer, type RunningDevServer } from './temporal-server';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const { address } = temporalSettings();
  const [host, portText] = address.split(':');
  const cli = await resolveTemporalCli();
  mkdirSync(config.dataDir, { recursive: true });
  const dbFile = join(config.dataDir, 'temporal.db');
  const codecEndpoint = `http://${config.api.host}:${config.api.port}/codec`;
  // Taken from the start: a stop asked while the server comes up stops it once it is up, never leaves it running.
  let server: RunningDevServer | null = null;
  let stopAsked = false;
  const stop = () => {
    stopAsked = true;
    if (server) void server.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  server = await startDevServer({ cli, ip: host, port: Number(portText ?? 7233), uiPort: config.temporalUiPort, dbFile, codecEndpoint, stdio: 'inherit' });
  if (stopAsked) return stop();
  process.stdout.write(`temporal dev server on ${server.address}, UI on http://${host}:${config.temporalUiPort}, database ${dbFile}\n`);
  server.child.once('exit', (code) => process.exit(code ?? 1));
}

main().catch((err: unknown) => {
  process.stderr.write(`temporal: ${err instanceof TemporalCliMissing ? err.message : (err as Error).stack}\n`);
  process.exit(1);
});
