/**
 * PGlite in a process of its own, spoken to over the IPC channel of `fork`: one query at a time, in the
 * order asked. The worker keeps thousands of sagas in memory; PGlite's WebAssembly heap (about 125 MB
 * once a store is open, more after big reads) is then not part of the worker's RSS, and the engine dies
 * with the process that forked it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { PGlite } from '@electric-sql/pglite';
import { loaderFlags } from '../child-flags';

type Request = { kind: 'open'; dir: string; sharedBuffers: string } | { kind: 'query'; id: number; text: string; params?: unknown[] } | { kind: 'close' };
type Reply = { kind: 'opened' } | { kind: 'result'; id: number; rows: unknown[] } | { kind: 'failed'; id: number; error: EngineError };

/** What of an error crosses the channel: its message and PostgreSQL's fields (code, detail, constraint...). */
type EngineError = Record<string, unknown> & { message: string };

/** The parent's side: one engine process, open on one store folder. */
export class PgliteEngine {
  private readonly pending = new Map<number, { resolve: (rows: unknown[]) => void; reject: (err: Error) => void }>();
  private nextId = 1;
  private gone: Error | null = null;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: Reply) => {
      if (reply.kind !== 'result' && reply.kind !== 'failed') return;
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.kind === 'result') waiting?.resolve(reply.rows);
      else waiting?.reject(Object.assign(new Error(reply.error.message), reply.error));
    });
    child.on('exit', (code, signal) => {
      this.gone = new Error(`the audit store's engine process ended (${signal ?? `exit ${code}`})`);
      for (const waiting of this.pending.values()) waiting.reject(this.gone);
      this.pending.clear();
    });
  }

  /** False once the process ended, for whatever reason. */
  get open(): boolean {
    return this.gone === null;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Starts an engine and asks it to open the store in `dir` (which must exist: see createOutOfProcess).
   * Answers at once, so the caller can name the engine's pid in its lock before the store is opened.
   */
  static start(dir: string, sharedBuffers: string): PgliteEngine {
    // The same loader as this process (tsx in development): the child runs this very module.
    const child = fork(__filename, [], { execArgv: loaderFlags(process.execArgv), serialization: 'advanced', stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    const engine = new PgliteEngine(child);
    child.stderr?.on('data', (chunk: Buffer) => void (engine.stderr = (engine.stderr + chunk.toString()).slice(-2_000)));
    engine.opening = new Promise<string>((done) => {
      child.on('message', (reply: Reply) => reply.kind === 'opened' && done('ok'));
      child.on('message', (reply: Reply) => reply.kind === 'failed' && reply.id === 0 && done(reply.error.message));
      child.on('error', (err) => done(err.message));
      child.on('exit', (code, signal) => done(`exit ${signal ?? code}`));
    });
    child.send({ kind: 'open', dir, sharedBuffers } satisfies Request, (err) => err && child.kill('SIGKILL'));
    return engine;
  }

  private stderr = '';
  private opening: Promise<string> = Promise.resolve('ok');

  /** Resolves once the store is open; otherwise the engine is stopped (and waited for) and it throws. */
  async ready(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const opened = await Promise.race([this.opening, new Promise<string>((done) => (timer = setTimeout(() => done(`not open within ${timeoutMs / 1000} s`), timeoutMs)))]);
    clearTimeout(timer);
    if (opened === 'ok') return;
    await this.stop();
    throw new Error(`opening the audit store failed (${opened}): ${this.stderr.trim().slice(-300)}`);
  }

  /** Kills the engine and waits for it to end. */
  private async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const ended = new Promise((done) => this.child.once('exit', done));
    this.child.kill('SIGKILL');
    await ended;
  }

  /**
   * One query, answered in order. An engine that does not answer within `timeoutMs` is stopped: the
   * query fails with why, and the next transaction starts a new engine (no silent wait behind a hung one).
   */
  query<T>(text: string, params?: unknown[], timeoutMs = QUERY_TIMEOUT_MS): Promise<T[]> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise<T[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the audit store's engine did not answer within ${timeoutMs / 1000} s; stopped`));
        void this.stop();
      }, timeoutMs);
      const settle = <A>(fn: (a: A) => void) => (a: A) => {
        clearTimeout(timer);
        this.pending.delete(id);
        fn(a);
      };
      this.pending.set(id, { resolve: settle(resolve as (rows: unknown[]) => void), reject: settle(reject) });
      try {
        this.child.send({ kind: 'query', id, text, params } satisfies Request, (err) => err && this.pending.get(id)?.reject(err));
      } catch (err) {
        // A value the channel cannot carry (structured clone refuses it).
        this.pending.get(id)?.reject(err as Error);
      }
    });
  }

  /**
   * Closes the store and waits for the process to end. Killed only if it has not ended within `timeoutMs`
   * (a checkpoint takes seconds on a busy machine; a killed PGlite recovers its folder on the next open).
   */
  async close(timeoutMs = CLOSE_TIMEOUT_MS): Promise<void> {
    if (this.gone) return;
    await new Promise<void>((done) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      this.child.once('exit', () => (clearTimeout(timer), done()));
      this.child.send({ kind: 'close' } satisfies Request, (err) => err && this.child.kill('SIGKILL'));
    });
  }
}

/** How long one query may take before the engine is taken for hung. */
const QUERY_TIMEOUT_MS = 60_000;
/** How long closing may take before the engine is killed. */
const CLOSE_TIMEOUT_MS = 60_000;

function errorOf(err: unknown): EngineError {
  if (!(err instanceof Error)) return { message: String(err) };
  const fields: EngineError = { message: err.message };
  for (const [key, value] of Object.entries(err)) if (typeof value === 'string' || typeof value === 'number') fields[key] = value;
  return fields;
}

/** The engine: opens the store when asked, answers queries in order, and ends with its parent. */
function serve(): void {
  let db: PGlite | null = null;
  let tail: Promise<unknown> = Promise.resolve();
  // An answer for a parent that is gone goes nowhere (sending would throw and skip closing the store).
  const reply = (message: Reply) => void (process.connected && process.send?.(message));
  // Ctrl-C and a service manager's SIGTERM reach the whole process group: the engine ends when its parent
  // closes it or is gone, after closing the store, never in the middle of a write.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => undefined);
  const closeAndExit = () =>
    void (tail = tail.then(async () => {
      await db?.close().catch(() => undefined);
      db = null;
      process.exit(0);
    }));
  process.on('disconnect', closeAndExit);
  process.on('message', (request: Request) => {
    if (request.kind === 'close') return closeAndExit();
    tail = tail.then(async () => {
      if (request.kind === 'open') {
        // A parent killed while this engine started: the store is not opened for nobody.
        if (!process.connected) return;
        try {
          const { PGlite: Engine } = await import('@electric-sql/pglite');
          db = (await Engine.create(request.dir, { startParams: [...Engine.defaultStartParams, '-c', `shared_buffers=${request.sharedBuffers}`] })) as unknown as PGlite;
          reply({ kind: 'opened' });
        } catch (err) {
          reply({ kind: 'failed', id: 0, error: errorOf(err) });
        }
        return;
      }
      try {
        if (!db) throw new Error('the audit store is not open');
        reply({ kind: 'result', id: request.id, rows: (await db.query(request.text, request.params)).rows });
      } catch (err) {
        reply({ kind: 'failed', id: request.id, error: errorOf(err) });
      }
    });
  });
}

if (require.main === module) serve();
