/**
 * `npm run cluster`: sagaway on a real Temporal cluster on this machine, without Docker, the way it is
 * deployed: PostgreSQL, the Temporal server and its UI, Redis, then the backends, two workers and two API
 * instances, each its own process, every sagaway part reaching Temporal through Temporal's environment
 * configuration (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE) and sharing limits through SAGAWAY_REDIS_URL.
 * `--temporal-only` brings up the cluster alone. Ctrl-C stops everything, in reverse order.
 */
import { join } from 'node:path';
import { DEV_API_KEYS, loadConfigOrExit } from '../../src/config';
import { defaultClusterPorts, startCluster, type RunningCluster } from '../../src/dev/cluster';
import { waitForPort } from '../../src/dev/temporal-server';
import { Supervisor } from '../../src/dev/supervisor';
import { temporalSettings } from '../../src/temporal';

// Like `npm start`: a demo on this machine with the development defaults, unless told otherwise.
process.env.SAGAWAY_ENV ??= 'development';
process.env.SAGAWAY_BACKENDS_ADMIN ??= 'true';

const count = (name: string, fallback: number) => Math.max(1, Math.min(8, Number(process.env[name] ?? fallback) || fallback));
let cluster: RunningCluster | null = null;
const parts = new Supervisor(async () => cluster?.stop());
const run = (name: string, entry: string, env: NodeJS.ProcessEnv) => parts.run(`[${name}] `, entry, env);
const stopAll = (code: number) => parts.stopAll(code);

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const temporalOnly = process.argv.includes('--temporal-only');
  const { address, namespace } = temporalSettings();
  const frontend = Number(address.split(':')[1] ?? 7233);
  const ports = { ...defaultClusterPorts(frontend, config.temporalUiPort), ...(process.env.SAGAWAY_REDIS_URL ? { redis: null } : {}) };
  if (process.env.SAGAWAY_CLUSTER_PG_PORT) ports.postgres = Number(process.env.SAGAWAY_CLUSTER_PG_PORT);
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  // A closed terminal: the parts are stopped as on Ctrl-C.
  process.on('SIGHUP', () => void stopAll(0));
  const dataDir = join(config.dataDir, 'cluster');
  process.stdout.write(`sagaway: starting a Temporal cluster on PostgreSQL in ${dataDir}\n`);
  cluster = await startCluster({
    dataDir,
    ports,
    namespace,
    codecEndpoint: `http://${config.api.host}:${config.api.port}/codec`,
    pg: { user: process.env.SAGAWAY_CLUSTER_PG_USER ?? 'temporal', password: process.env.SAGAWAY_CLUSTER_PG_PASSWORD ?? 'temporal' },
    log: (line) => process.stdout.write(`${line}\n`),
  });
  const redisUrl = process.env.SAGAWAY_REDIS_URL ?? cluster.redisUrl ?? '';
  const lines = [
    '',
    'The Temporal cluster is up',
    `  Temporal     ${cluster.address} (namespace ${namespace}), PostgreSQL on 127.0.0.1:${ports.postgres}`,
    `  Temporal UI  ${cluster.uiUrl}`,
    `  Redis        ${redisUrl}`,
    `  logs         ${cluster.logDir}`,
  ];
  const pg = { user: process.env.SAGAWAY_CLUSTER_PG_USER ?? 'temporal', password: process.env.SAGAWAY_CLUSTER_PG_PASSWORD ?? 'temporal' };
  const audit = process.env.SAGAWAY_AUDIT_DATABASE_URL ?? `postgres://${encodeURIComponent(pg.user)}:${encodeURIComponent(pg.password)}@127.0.0.1:${ports.postgres}/sagaway_audit`;
  if (!temporalOnly) lines.push(...(await startSagaway(config, cluster.address, namespace, redisUrl, audit)));
  else lines.push('', `Run sagaway's parts against it with TEMPORAL_ADDRESS=${cluster.address} SAGAWAY_REDIS_URL=${redisUrl}`);
  process.stdout.write(`${[...lines, 'Ctrl-C stops everything.', ''].join('\n')}\n`);
}

async function startSagaway(config: ReturnType<typeof loadConfigOrExit>, address: string, namespace: string, redisUrl: string, audit: string): Promise<string[]> {
  // The audit trail goes to the cluster's PostgreSQL (its own database), which every worker and API shares.
  const env = { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, SAGAWAY_REDIS_URL: redisUrl, SAGAWAY_AUDIT_DATABASE_URL: audit };
  run('backends', 'src/backends/server.ts', env);
  await waitForPort(config.backends.host, config.backends.port, 60_000);
  for (let i = 1; i <= count('SAGAWAY_CLUSTER_WORKERS', 2); i += 1) run(`worker-${i}`, 'src/worker.ts', env);
  const apis: string[] = [];
  for (let i = 0; i < count('SAGAWAY_CLUSTER_APIS', 2); i += 1) {
    const port = config.api.port + i;
    run(`api-${i + 1}`, 'src/api/server.ts', { ...env, SAGAWAY_API_PORT: String(port) });
    apis.push(`http://${config.api.host}:${port}`);
  }
  for (const api of apis) await waitForPort(config.api.host, Number(new URL(api).port), 120_000);
  const apiKey = process.env.SAGAWAY_API_KEYS ? '<one of SAGAWAY_API_KEYS>' : DEV_API_KEYS.split(':')[1];
  return [
    `  APIs         ${apis.join('  ')}   (put a load balancer in front; any instance serves any saga)`,
    `  backends     http://${config.backends.host}:${config.backends.port}`,
    `  API key      ${apiKey}`,
    '',
    `Try: curl -s ${apis[0]}/readyz`,
  ];
}

main().catch((err: unknown) => {
  process.stderr.write(`sagaway cluster: ${(err as Error).message}\n`);
  void stopAll(1);
});
