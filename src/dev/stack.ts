/**
 * The one launcher of a whole sagaway on 127.0.0.1, used by the tests, the chaos campaign and the
 * benchmark: each part is its own process started from the same entry point `npm run <part>` uses
 * (PART_ENTRIES), on free ports, with one environment. It returns when the API answers /readyz and a
 * worker polls the task queue, and stops everything it started.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { freeClusterPorts, startCluster, type RunningCluster } from './cluster';
import { Part, type PartName } from './part';
import { resolveTemporalCli } from './temporal-cli';
import { freePort, startDevServer, waitForPort, type RunningDevServer } from './temporal-server';

export interface LaunchOptions {
  /** Parts started at once. `temporal` runs Temporal as its own part (killable, with a database file);
   * without it the dev server runs in memory as a child of this process. */
  start: PartName[];
  /** Parts made ready but left stopped, for a campaign to start later. */
  standby?: PartName[];
  /** Added to (and overriding) the environment every part gets. */
  env?: Record<string, string>;
  /** Added to one part's environment only (a second API on its own port and settings, say). */
  partEnv?: Partial<Record<PartName, Record<string, string>>>;
  /** Dynamic config of the in-memory dev server (the benchmark compares with and without eager activities). */
  dynamicConfig?: string[];
  /** Keep the data folder (logs, Temporal's database) after stop, to read what happened. */
  keepData?: boolean;
  /** Name of the temporary data folder. */
  label: string;
  /** Temporal as a cluster on PostgreSQL (`npm run cluster`'s pieces, no UI) instead of the in-memory dev server. */
  cluster?: boolean;
}

export interface LaunchedStack {
  parts: Partial<Record<PartName, Part>>;
  env: Record<string, string>;
  apiUrl: string;
  backendsUrl: string;
  temporalAddress: string;
  /** The client the API knows `apiKey` by (the saga ids it derives from Idempotency-Keys start with it). */
  clientId: string;
  apiKey: string;
  taskQueue: string;
  dataDir: string;
  /** The Temporal server's own pid (not a wrapper's), for the benchmark's CPU readings. */
  temporalPid(): number | null;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 90_000;

/**
 * Ports are picked free, then bound a moment later by each part, and Temporal picks more of its own on
 * start: two stacks starting at once (test files side by side) can pick the same one. A launch that
 * failed because a part found its port taken is tried again, once, on new ports.
 */
export async function launchStack(options: LaunchOptions): Promise<LaunchedStack> {
  try {
    return await launchOnce(options);
  } catch (err) {
    if (!(err instanceof PortTaken)) throw err;
    process.stderr.write(`launch: ${err.message}; trying again on other ports\n`);
    return launchOnce(options);
  }
}

class PortTaken extends Error {}

async function launchOnce(options: LaunchOptions): Promise<LaunchedStack> {
  const dataDir = mkdtempSync(join(tmpdir(), `sagaway-${options.label}-`));
  const ports = { temporal: await freePort(), ui: await freePort(), backends: await freePort(), api: await freePort() };
  const clusterPorts = options.cluster ? await freeClusterPorts(false) : null;
  if (clusterPorts) {
    ports.temporal = clusterPorts.frontend;
    // PostgreSQL runs as its own user, which must reach its data folder.
    chmodSync(dataDir, 0o755);
  }
  const apiKey = randomBytes(16).toString('hex');
  const temporalAddress = `127.0.0.1:${ports.temporal}`;
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_CLI: await resolveTemporalCli(),
    SAGAWAY_TEMPORAL_UI_PORT: String(ports.ui),
    SAGAWAY_DATA_DIR: dataDir,
    SAGAWAY_BACKENDS_PORT: String(ports.backends),
    SAGAWAY_API_PORT: String(ports.api),
    // Every launched stack is a development one: it opts into the dev secrets and the backends' admin routes.
    SAGAWAY_ENV: 'development',
    SAGAWAY_BACKENDS_ADMIN: 'true',
    SAGAWAY_API_KEYS: `${options.label}:${apiKey}`,
    SAGAWAY_TASK_QUEUE: options.label,
    SAGAWAY_LOG_LEVEL: 'warn',
    ...options.env,
  };
  const names = [...options.start, ...(options.standby ?? [])];
  const parts: Partial<Record<PartName, Part>> = Object.fromEntries(names.map((n) => [n, new Part(n, { ...process.env, ...env, ...options.partEnv?.[n] }, dataDir)]));
  let memoryServer: RunningDevServer | null = null;
  let cluster: RunningCluster | null = null;
  const stop = async () => {
    await Promise.all(Object.values(parts).map((p) => p.stop()));
    for (const p of Object.values(parts)) p.close();
    await memoryServer?.stop();
    await cluster?.stop();
    if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    if (options.start.includes('temporal')) parts.temporal!.start();
    else if (clusterPorts) cluster = await startCluster({ dataDir, ports: clusterPorts, namespace: 'default' });
    else memoryServer = await startDevServer({ cli: env.TEMPORAL_CLI!, port: ports.temporal, uiPort: null, dbFile: null, dynamicConfig: options.dynamicConfig });
    if (options.start.includes('backends')) parts.backends!.start();
    await waitForPort('127.0.0.1', ports.temporal, READY_TIMEOUT_MS);
    for (const name of options.start.filter((n) => n !== 'temporal' && n !== 'backends')) parts[name]!.start();
    if (options.start.includes('backends')) await waitForPort('127.0.0.1', ports.backends, READY_TIMEOUT_MS);
    if (options.start.includes('api')) await waitUntil('the API answers /readyz', () => apiReady(`http://127.0.0.1:${ports.api}`), parts);
    if (options.start.includes('worker')) await waitUntil('a worker polls the task queue', () => workerPolls(temporalAddress, env.SAGAWAY_TASK_QUEUE!), parts);
  } catch (err) {
    await stop();
    // The in-memory dev server's output is not kept; it exits at start when one of its ports is taken.
    if (err instanceof Error && /temporal dev server exited/.test(err.message)) throw new PortTaken(err.message);
    throw err;
  }
  return {
    parts,
    env,
    apiUrl: `http://127.0.0.1:${ports.api}`,
    backendsUrl: `http://127.0.0.1:${ports.backends}`,
    temporalAddress,
    clientId: options.label,
    apiKey,
    taskQueue: env.SAGAWAY_TASK_QUEUE!,
    dataDir,
    temporalPid: () => cluster?.temporal.child.pid ?? memoryServer?.child.pid ?? parts.temporal?.pid ?? null,
    stop,
  };
}

/** Polls `ready` until it says yes; a part that exits meanwhile fails the launch at once, with its log's path. */
async function waitUntil(what: string, ready: () => Promise<boolean>, parts: Partial<Record<PartName, Part>>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const dead = Object.values(parts).find((p) => p.exited);
    if (dead) {
      // What it printed last may still be on its way to the log.
      await new Promise((r) => setTimeout(r, 300));
      const message = `${dead.name} exited while waiting until ${what}; see ${dead.logFile}`;
      throw portTaken(dead.logFile) ? new PortTaken(message) : new Error(message);
    }
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready within ${READY_TIMEOUT_MS / 1000} s: ${what}`);
}

function portTaken(logFile: string): boolean {
  try {
    return /EADDRINUSE|address already in use/.test(readFileSync(logFile, 'utf8'));
  } catch {
    return false;
  }
}

function apiReady(apiUrl: string): Promise<boolean> {
  return fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(5_000) }).then(
    (r) => r.status === 200,
    () => false,
  );
}

async function workerPolls(address: string, taskQueue: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 5_000 }).catch(() => null);
  if (!connection) return false;
  try {
    const answer = await connection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: 1 });
    return (answer.pollers?.length ?? 0) > 0;
  } catch {
    return false;
  } finally {
    await connection.close();
  }
}
