import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chownSync, createWriteStream, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopChild, waitForPort } from './temporal-server';

export interface RunningService {
  name: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

type Log = (line: string) => void;

/** Installs a Debian package when its program is missing (as root, the way the CI machine runs). */
export function ensureDebianPackage(pkg: string, present: () => boolean, log: Log): void {
  if (present()) return;
  if (process.getuid?.() !== 0 || spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(`${pkg} is not installed; install it (apt-get install ${pkg}) and run again`);
  }
  log(`sagaway: installing ${pkg} from Debian's packages`);
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore' });
    if (!install()) throw new Error(`apt-get install ${pkg} failed`);
  }
  if (!present()) throw new Error(`${pkg} was installed but its programs are still missing`);
}

/** Debian's PostgreSQL programs (/usr/lib/postgresql/<major>/bin), the newest major installed. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  return majors.length > 0 ? join(root, majors[0]!, 'bin') : null;
}

export interface PostgresOptions {
  dataDir: string;
  port: number;
  user: string;
  password: string;
  logFile: string;
  log: Log;
}

/**
 * PostgreSQL from Debian's package, in a data folder of its own on 127.0.0.1. PostgreSQL refuses to run
 * as root, so under root it runs as the package's `postgres` user (which must be able to reach the folder).
 * The first start creates the cluster with `user` as its superuser; later starts reuse it.
 */
export async function startPostgres(options: PostgresOptions): Promise<RunningService> {
  ensureDebianPackage('postgresql', () => postgresBinDir() !== null, options.log);
  const bin = postgresBinDir()!;
  const owner = process.getuid?.() === 0 ? systemUser('postgres') : null;
  const as: SpawnOptions = owner ? { uid: owner.uid, gid: owner.gid } : {};
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) {
    mkdirSync(join(options.dataDir, '..'), { recursive: true });
    mkdirSync(options.dataDir, { mode: 0o700 });
    const pwfile = join(options.dataDir, '..', `.pg-password-${options.port}`);
    writeFileSync(pwfile, `${options.password}\n`, { mode: 0o600 });
    if (owner) for (const path of [options.dataDir, pwfile]) chownSync(path, owner.uid, owner.gid);
    const init = spawnSync(join(bin, 'initdb'), ['-D', options.dataDir, '-U', options.user, `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-locale'], { ...as, encoding: 'utf8' });
    spawnSync('rm', ['-f', pwfile]);
    if (init.status !== 0) {
      throw new Error(`initdb failed in ${options.dataDir}${owner ? ' (running as the postgres user, which must be able to reach that folder)' : ''}:\n${init.stderr}`);
    }
  }
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(join(bin, 'postgres'), ['-D', options.dataDir, '-p', String(options.port), '-h', '127.0.0.1', '-k', options.dataDir, '-c', 'max_connections=200'], {
    ...as,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  await untilExitOr(child, 'postgres', waitForReady(bin, options.port, 60_000));
  return { name: 'postgres', child, stop: () => stopChild(child, 20_000) };
}

async function waitForReady(bin: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (spawnSync(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)]).status === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`PostgreSQL did not accept connections on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

export interface RedisOptions {
  port: number;
  dir: string;
  logFile: string;
  log: Log;
}

/** Debian's redis-server on 127.0.0.1, in memory only: what it holds (limits, a cache) is short-lived. */
export async function startRedis(options: RedisOptions): Promise<RunningService & { url: string }> {
  ensureDebianPackage('redis-server', () => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0, options.log);
  mkdirSync(options.dir, { recursive: true });
  const child = spawn('redis-server', ['--port', String(options.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', options.dir, '--logfile', options.logFile], {
    detached: true,
    stdio: 'ignore',
  });
  await untilExitOr(child, 'redis-server', waitForPort('127.0.0.1', options.port, 30_000));
  return { name: 'redis', child, url: `redis://127.0.0.1:${options.port}`, stop: () => stopChild(child) };
}

/** Waits for `ready`, or fails at once if the process exits first. */
export async function untilExitOr(child: ChildProcess, name: string, ready: Promise<void>): Promise<void> {
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready`))));
  exited.catch(() => undefined);
  try {
    await Promise.race([ready, exited]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

function systemUser(name: string): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error(`no ${name} user to run PostgreSQL as (Debian's postgresql package creates it)`);
  return { uid, gid: id('-g') };
}
