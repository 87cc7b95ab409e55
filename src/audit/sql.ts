/**
 * One SQL layer for the audit store, two engines with the same SQL: PostgreSQL through node-postgres when
 * a URL is configured (the cluster's), PGlite (PostgreSQL in WebAssembly) in a folder otherwise.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'pg';
import { PgliteEngine } from './pglite-engine';

export interface SqlSession {
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
}

export interface SqlDatabase {
  /** Runs `work` in one transaction; it commits when `work` returns and rolls back when it throws. */
  transaction<T>(work: (sql: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export class PostgresDatabase implements SqlDatabase {
  private readonly pool: Pool;
  private created: Promise<void> | null = null;

  constructor(private readonly url: string) {
    this.pool = new Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5_000 });
    this.pool.on('error', () => undefined);
  }

  async transaction<T>(work: (sql: SqlSession) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch(async (err: { code?: string }) => {
      if (err.code !== '3D000') throw err;
      await (this.created ??= createDatabase(this.url));
      return this.pool.connect();
    });
    const sql: SqlSession = { query: async <R>(text: string, params?: unknown[]) => (await client.query(text, params)).rows as R[] };
    try {
      await client.query('BEGIN');
      const result = await work(sql);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/** The cluster's PostgreSQL has Temporal's databases only: the audit's is created on first use. */
async function createDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  target.pathname = '/postgres';
  const admin = new Pool({ connectionString: target.toString(), max: 1 });
  try {
    await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`).catch((err: { code?: string }) => {
      if (err.code !== '42P04') throw err;
    });
  } finally {
    await admin.end();
  }
}

/**
 * PostgreSQL's default 128 MB of shared buffers is memory a PGlite process touches as it opens the store
 * and keeps for life: about 250 MB of RSS for an open store, 125 MB with 16 MB of buffers (measured with
 * PGlite 0.6.1). An append-mostly audit trail reads little back.
 */
const SHARED_BUFFERS = '16MB';

/** How often the holder looks whether another process waits for the store. */
const WANTED_CHECK_MS = 200;
const LOCK_WAIT_MS = 30_000;

/**
 * PGlite in a folder. One process at a time may open it (the worker writes, the API and `npm run audit`
 * read), so each opens it under a lock folder beside it. Opening costs up to seconds of CPU on a busy
 * machine (WebAssembly start), so the holder keeps it open until another process asks for it: a waiter
 * leaves a `wanted` file beside the lock, and the holder closes between transactions once it sees one.
 * A lock whose process is gone is taken over. The store is open in an engine process of its own
 * (pglite-engine.ts), not in the process that uses it: PGlite's memory is not the worker's.
 */
export class PgliteDatabase implements SqlDatabase {
  private db: PgliteEngine | null = null;
  private watch: NodeJS.Timeout | null = null;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly dir: string) {}

  transaction<T>(work: (sql: SqlSession) => Promise<T>): Promise<T> {
    return this.serially(async () => {
      const db = await this.open();
      await db.query('BEGIN');
      try {
        const result = await work({ query: <R>(text: string, params?: unknown[]) => db.query<R>(text, params) });
        await db.query('COMMIT');
        return result;
      } catch (err) {
        await db.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  close(): Promise<void> {
    return this.serially(() => this.release());
  }

  private serially<T>(step: () => Promise<T>): Promise<T> {
    const next = this.tail.then(step, step);
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async open(): Promise<PgliteEngine> {
    if (this.db?.open) return this.db;
    // An engine that ended on its own (killed, out of memory) left the lock to this process: opened again.
    if (this.db) await this.release();
    await mkdir(dirname(this.dir), { recursive: true });
    const lock = `${this.dir}.lock`;
    await acquireLock(lock);
    try {
      await createOutOfProcess(this.dir, lock);
      const engine = PgliteEngine.start(this.dir, SHARED_BUFFERS);
      // Named in the lock before the store is opened: while the engine lives the lock is held, even if this
      // process is killed meanwhile (see ownerGone).
      if (engine.pid) writeFileSync(join(lock, 'child-pid'), String(engine.pid));
      await engine.ready(CREATE_TIMEOUT_MS);
      this.db = engine;
    } catch (err) {
      releaseLock(lock);
      throw err;
    }
    this.watch = setInterval(() => {
      if (existsSync(wantedFile(this.dir))) void this.serially(() => this.release());
    }, WANTED_CHECK_MS);
    this.watch.unref();
    return this.db;
  }

  private async release(): Promise<void> {
    if (this.watch) clearInterval(this.watch);
    this.watch = null;
    if (!this.db) return;
    const db = this.db;
    this.db = null;
    await db.close().finally(() => releaseLock(`${this.dir}.lock`));
  }
}

const wantedFile = (dir: string) => `${dir}.wanted`;

/**
 * A folder with no database yet is created by a short-lived process of its own: creating one (initdb)
 * grows PGlite's WebAssembly memory to about 800 MB, which a process never gives back, while opening one
 * that exists takes about 250 MB. The worker would otherwise carry initdb's peak for its whole life.
 */
async function createOutOfProcess(dir: string, lock: string): Promise<void> {
  if (existsSync(join(dir, 'PG_VERSION'))) return;
  const creator = PgliteEngine.start(dir, SHARED_BUFFERS);
  // The lock stays held while the creator lives, even if this process is killed meanwhile (see ownerGone).
  if (creator.pid) writeFileSync(join(lock, 'child-pid'), String(creator.pid));
  try {
    await creator.ready(CREATE_TIMEOUT_MS);
    await creator.close();
  } catch (err) {
    throw new Error(`creating the audit store in ${dir} failed: ${(err as Error).message}`);
  } finally {
    rmSync(join(lock, 'child-pid'), { force: true });
  }
}

/** How long creating the audit store may take (seconds on a busy machine). */
const CREATE_TIMEOUT_MS = 120_000;

async function acquireLock(lock: string): Promise<void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  const wanted = wantedFile(lock.replace(/\.lock$/, ''));
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      rmSync(wanted, { force: true });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    writeFileSync(wanted, String(process.pid));
    if (ownerGone(lock)) rmSync(lock, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`the audit store ${lock} stayed locked for ${LOCK_WAIT_MS / 1000} s`);
    else await sleep(20 + Math.random() * 30);
  }
}

function releaseLock(lock: string): void {
  rmSync(lock, { recursive: true, force: true });
}

function lockAgeMs(lock: string): number {
  try {
    return Date.now() - statSync(lock).mtimeMs;
  } catch {
    return 0;
  }
}

/** A lock with no pid yet is being taken right now (unless it stayed so for long); one whose pid is not running was left by a killed process. */
export function ownerGone(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    // Killed between taking the lock and writing its pid: the folder stays pid-less for good.
    return lockAgeMs(lock) > 10_000;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  return !alive(pid) && !alive(Number(readIfThere(join(lock, 'child-pid'))));
}

/** Whether a process runs with this pid (a pid that is no number: no). */
function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function readIfThere(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
