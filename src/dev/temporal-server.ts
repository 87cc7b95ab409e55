import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { SearchAttribute } from '../domain/saga';

export interface DevServerOptions {
  cli: string;
  ip?: string;
  port: number;
  /** null runs it headless (tests, benchmarks). */
  uiPort: number | null;
  /** null keeps everything in memory. */
  dbFile: string | null;
  /** The UI's remote codec endpoint, so operators see payloads decoded. */
  codecEndpoint?: string;
  stdio?: 'inherit' | 'ignore' | 'pipe';
  /** Dynamic config values; DEV_SERVER_DYNAMIC_CONFIG when absent (the benchmark compares without). */
  dynamicConfig?: string[];
}

/**
 * Dynamic config the embedded server runs with. Eager activity execution lets a worker take the next
 * activity straight back from its workflow task completion instead of polling for it.
 */
export const DEV_SERVER_DYNAMIC_CONFIG = ['system.enableActivityEagerExecution=true', 'frontend.enableUpdateWorkflowExecution=true'];

export function devServerArgs(options: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', options.ip ?? '127.0.0.1', '--port', String(options.port), '--log-level', 'error'];
  if (options.uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort));
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  if (options.codecEndpoint) args.push('--ui-codec-endpoint', options.codecEndpoint);
  for (const name of Object.values(SearchAttribute)) args.push('--search-attribute', `${name}=Keyword`);
  for (const value of options.dynamicConfig ?? DEV_SERVER_DYNAMIC_CONFIG) args.push('--dynamic-config-value', value);
  return args;
}

export interface RunningDevServer {
  address: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions, readyTimeoutMs = 60_000): Promise<RunningDevServer> {
  const child = spawn(options.cli, devServerArgs(options), { stdio: options.stdio ?? 'ignore' });
  const address = `${options.ip ?? '127.0.0.1'}:${options.port}`;
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`temporal dev server exited with ${code}`))));
  exited.catch(() => undefined);
  try {
    await Promise.race([waitForPort(options.ip ?? '127.0.0.1', options.port, readyTimeoutMs), exited]);
  } catch (err) {
    // Not ready in time: not left running behind the error.
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address,
    child,
    stop: () => stopChild(child),
  };
}

export function stopChild(child: ChildProcess, graceMs = 10_000, kill: () => void = () => child.kill('SIGKILL')): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(kill, graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await canConnect(host, port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
