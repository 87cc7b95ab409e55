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
type Reply = { kind: 'opened' } | { kind: 'result'; id: number; rows: unknown[] } | { kind: 'failed'; id: number; error: EngineError } | { kind: 'closed' };

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

  /** Starts an engine and opens the store in `dir` (which must exist: see createOutOfProcess). */
  static async open(dir: string, sharedBuffers: string, timeoutMs: number): Promise<PgliteEngine> {
    // The same loader as this process (tsx in development): the child runs this very module.
    const child = fork(__filename, [], { execArgv: loaderFlags(process.execArgv), serialization: 'advanced', stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-2_000)));
    const engine = new PgliteEngine(child);
    const opened = await new Promise<string>((done) => {
      const timer = setTimeout(() => done(`not open within ${timeoutMs / 1000} s`), timeoutMs);
      child.on('message', (reply: Reply) => reply.kind === 'opened' && (clearTimeout(timer), done('ok')));
      child.on('message', (reply: Reply) => reply.kind === 'failed' && reply.id === 0 && (clearTimeout(timer), done(reply.error.message)));
      child.on('error', (err) => (clearTimeout(timer), done(err.message)));
      child.on('exit', (code, signal) => (clearTimeout(timer), done(`exit ${signal ?? code}`)));
      child.send({ kind: 'open', dir, sharedBuffers } satisfies Request);
    });
    if (opened !== 'ok') {
      child.kill('SIGKILL');
      throw new Error(`opening the audit store in ${dir} failed (${opened}): ${stderr.trim().slice(-300)}`);
    }
    return engine;
  }

  query<T>(text: string, params?: unknown[]): Promise<T[]> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise<T[]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (rows: unknown[]) => void, reject });
      this.child.send({ kind: 'query', id, text, params } satisfies Request, (err) => {
        if (!err) return;
        this.pending.delete(id);
        reject(err);
      });
    });
  }

  /** Closes the store and waits for the process to end (killed if it does not within `timeoutMs`). */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.gone) return;
    await new Promise<void>((done) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      this.child.once('exit', () => (clearTimeout(timer), done()));
      this.child.send({ kind: 'close' } satisfies Request, (err) => err && this.child.kill('SIGKILL'));
    });
  }
}

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
  const reply = (message: Reply) => process.send?.(message);
  const closeAndExit = () =>
    void (tail = tail.then(async () => {
      await db?.close().catch(() => undefined);
      db = null;
      reply({ kind: 'closed' });
      process.exit(0);
    }));
  process.on('disconnect', closeAndExit);
  process.on('message', (request: Request) => {
    if (request.kind === 'close') return closeAndExit();
    tail = tail.then(async () => {
      if (request.kind === 'open') {
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
