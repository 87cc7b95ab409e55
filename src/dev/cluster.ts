import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { SearchAttribute } from '../domain/saga';
import { resolveClusterBinaries, type ClusterBinaries } from './cluster-binaries';
import { startPostgres, startRedis, untilExitOr, type RunningService } from './cluster-stores';
import { stopChild, waitForPort } from './temporal-server';

const ROOT = resolve(__dirname, '..', '..');
/** The server config (a template the server renders from the environment, read relative to --root) and sagaway's dynamic config. */
export const SERVER_CONFIG_DIR = join(ROOT, 'deploy', 'cluster', 'temporal');
const UI_CONFIG_DIR = join(ROOT, 'deploy', 'cluster', 'ui');
export const DYNAMIC_CONFIG = join(ROOT, 'deploy', 'dynamicconfig', 'sagaway.yaml');

export interface ClusterPorts {
  postgres: number;
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  /** null: no UI (tests, benchmarks). */
  ui: number | null;
  /** null: no Redis. */
  redis: number | null;
}

/** Temporal's usual ports around the frontend's; PostgreSQL and Redis off their defaults, to leave a system one be. */
export function defaultClusterPorts(frontend = 7233, ui: number | null = 8233): ClusterPorts {
  return {
    postgres: 55432,
    frontend,
    frontendHttp: frontend + 10,
    frontendMembership: frontend - 300,
    history: frontend + 1,
    historyMembership: frontend - 299,
    matching: frontend + 2,
    matchingMembership: frontend - 298,
    worker: frontend + 6,
    workerMembership: frontend - 294,
    ui,
    redis: 56379,
  };
}

/**
 * Free ports for a second cluster beside others (tests, benchmarks). Temporal keeps its ports in a
 * SMALLINT column of its membership table, so they come from below 32768, not the ephemeral range.
 */
export async function freeClusterPorts(withRedis: boolean): Promise<ClusterPorts> {
  const ports = {} as Record<keyof ClusterPorts, number | null>;
  const taken = new Set<number>();
  for (const key of Object.keys(defaultClusterPorts()) as Array<keyof ClusterPorts>) {
    let port = 0;
    while (port === 0 || taken.has(port)) port = await freePortBelow32768();
    taken.add(port);
    ports[key] = port;
  }
  return { ...(ports as unknown as ClusterPorts), ui: null, redis: withRedis ? ports.redis : null };
}

async function freePortBelow32768(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export interface ClusterOptions {
  /** Holds PostgreSQL's data (postgres/) and every service's log (logs/). */
  dataDir: string;
  ports: ClusterPorts;
  namespace: string;
  /** The UI's remote codec endpoint, so operators see payloads decoded. */
  codecEndpoint?: string;
  pg?: { user: string; password: string };
  historyShards?: number;
  log?: (line: string) => void;
}

export interface RunningCluster {
  address: string;
  namespace: string;
  uiUrl: string | null;
  redisUrl: string | null;
  logDir: string;
  temporal: RunningService;
  stop(): Promise<void>;
}

/**
 * A Temporal cluster on this machine, without Docker: PostgreSQL from Debian's package with Temporal's
 * schema set up by temporal-sql-tool, the Temporal server (all four services in one process) with
 * sagaway's dynamic config, the namespace and search attributes, the UI, and Redis for the API instances.
 */
export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const pg = options.pg ?? { user: 'temporal', password: 'temporal' };
  const binaries = await resolveClusterBinaries(log);
  const logDir = join(options.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const started: RunningService[] = [];
  const stop = async () => {
    for (const service of started.reverse()) await service.stop();
  };
  try {
    const postgres = await startPostgres({ dataDir: join(options.dataDir, 'postgres'), port: options.ports.postgres, ...pg, logFile: join(logDir, 'postgres.log'), log });
    started.push(postgres);
    setUpSchema(binaries, options.ports.postgres, pg);
    const server = await startTemporalServer(binaries, options, pg, join(logDir, 'temporal.log'));
    started.push(server);
    const address = `127.0.0.1:${options.ports.frontend}`;
    await registerNamespace(address, options.namespace);
    let uiUrl: string | null = null;
    if (options.ports.ui !== null) {
      started.push(await startUi(binaries, address, options, join(logDir, 'ui.log')));
      uiUrl = `http://127.0.0.1:${options.ports.ui}`;
    }
    let redisUrl: string | null = null;
    if (options.ports.redis !== null) {
      const redis = await startRedis({ port: options.ports.redis, dir: join(options.dataDir, 'redis'), logFile: join(logDir, 'redis.log'), log });
      started.push(redis);
      redisUrl = redis.url;
    }
    return { address, namespace: options.namespace, uiUrl, redisUrl, logDir, temporal: server, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Temporal's own schema tool: every versioned step up to the binary's schema; a database that is not
 * there yet (a first start, or one interrupted before its schema) is created and set up first.
 */
function setUpSchema(binaries: ClusterBinaries, port: number, pg: { user: string; password: string }): void {
  for (const [database, schema] of [['temporal', 'postgresql/v12/temporal'], ['temporal_visibility', 'postgresql/v12/visibility']] as const) {
    const env = { ...process.env, SQL_PLUGIN: 'postgres12', SQL_HOST: '127.0.0.1', SQL_PORT: String(port), SQL_USER: pg.user, SQL_PASSWORD: pg.password, SQL_DATABASE: database };
    const tool = (...args: string[]) => spawnSync(binaries.sqlTool, args, { env, encoding: 'utf8' });
    const update = () => tool('update-schema', '--schema-name', schema);
    let run = update();
    if (run.status !== 0 && /does not exist/.test(run.stderr + run.stdout)) {
      for (const step of [['create-database'], ['setup-schema', '--version', '0.0']]) {
        const done = tool(...step);
        if (done.status !== 0) throw new Error(`temporal-sql-tool ${step.join(' ')} on ${database} failed:\n${done.stderr || done.stdout}`);
      }
      run = update();
    }
    if (run.status !== 0) throw new Error(`temporal-sql-tool update-schema on ${database} failed:\n${run.stderr || run.stdout}`);
  }
}

async function startTemporalServer(binaries: ClusterBinaries, options: ClusterOptions, pg: { user: string; password: string }, logFile: string): Promise<RunningService> {
  const { ports } = options;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SAGAWAY_CLUSTER_PG_ADDRESS: `127.0.0.1:${ports.postgres}`,
    SAGAWAY_CLUSTER_PG_USER: pg.user,
    SAGAWAY_CLUSTER_PG_PASSWORD: pg.password,
    SAGAWAY_CLUSTER_HISTORY_SHARDS: String(options.historyShards ?? 4),
    SAGAWAY_CLUSTER_FRONTEND_PORT: String(ports.frontend),
    SAGAWAY_CLUSTER_FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    SAGAWAY_CLUSTER_FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
    SAGAWAY_CLUSTER_HISTORY_PORT: String(ports.history),
    SAGAWAY_CLUSTER_HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
    SAGAWAY_CLUSTER_MATCHING_PORT: String(ports.matching),
    SAGAWAY_CLUSTER_MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
    SAGAWAY_CLUSTER_WORKER_PORT: String(ports.worker),
    SAGAWAY_CLUSTER_WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
    SAGAWAY_CLUSTER_DYNAMIC_CONFIG: DYNAMIC_CONFIG,
  };
  const child = spawn(binaries.server, ['--root', ROOT, '--config', relative(ROOT, SERVER_CONFIG_DIR), '--env', 'sagaway', '--allow-no-auth', 'start'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = createWriteStream(logFile, { flags: 'a' });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  await untilExitOr(child, `the Temporal server (log: ${logFile})`, waitForPort('127.0.0.1', ports.frontend, 120_000));
  return { name: 'temporal', child, stop: () => stopChild(child, 20_000) };
}

/**
 * The namespace and the search attributes sagaway's sagas carry, as `temporal operator` would add them;
 * done again on every start, so an existing cluster is brought up to date. Waits until the frontend
 * serves both (its namespace cache refreshes every few seconds).
 */
export async function registerNamespace(address: string, namespace: string, timeoutMs = 120_000): Promise<void> {
  const connection = await retry(() => Connection.connect({ address, connectTimeout: 2_000 }), timeoutMs);
  try {
    await connection.workflowService
      .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') })
      .catch((err: unknown) => {
        if (!(isGrpcServiceError(err) && err.code === 6)) throw err;
      });
    const wanted = Object.values(SearchAttribute) as string[];
    const present = await retry(() => connection.operatorService.listSearchAttributes({ namespace }), timeoutMs);
    const missing = wanted.filter((name) => !(name in (present.customAttributes ?? {})));
    if (missing.length > 0) {
      const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((name) => [name, keyword])) });
    }
    await retry(async () => {
      const now = await connection.operatorService.listSearchAttributes({ namespace });
      const absent = wanted.filter((name) => !(name in (now.customAttributes ?? {})));
      if (absent.length > 0) throw new Error(`search attributes ${absent.join(', ')} not served yet`);
    }, timeoutMs);
  } finally {
    await connection.close();
  }
}

async function startUi(binaries: ClusterBinaries, address: string, options: ClusterOptions, logFile: string): Promise<RunningService> {
  const env = { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_UI_PORT: String(options.ports.ui), TEMPORAL_NAMESPACE: options.namespace, TEMPORAL_CODEC_ENDPOINT: options.codecEndpoint ?? '' };
  const child = spawn(binaries.ui, ['--root', ROOT, '--config', relative(ROOT, UI_CONFIG_DIR), '--env', 'sagaway', 'start'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = createWriteStream(logFile, { flags: 'a' });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  await untilExitOr(child, `the Temporal UI (log: ${logFile})`, waitForPort('127.0.0.1', options.ports.ui!, 60_000));
  return { name: 'ui', child, stop: () => stopChild(child) };
}

async function retry<T>(attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
