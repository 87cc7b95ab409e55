import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';

export type PartName = 'temporal' | 'backends' | 'worker' | 'worker-2' | 'api' | 'api-2' | 'api-3' | 'baseline-worker';

/** The entry point of each part: the same files `npm start` and `npm run temporal|backends|worker|api` run. */
export const PART_ENTRIES: Record<PartName, string> = {
  temporal: 'src/dev/temporal.ts',
  backends: 'src/backends/server.ts',
  worker: 'src/worker.ts',
  'worker-2': 'src/worker.ts',
  api: 'src/api/server.ts',
  'api-2': 'src/api/server.ts',
  'api-3': 'src/api/server.ts',
  'baseline-worker': 'bench/baseline/worker.ts',
};

/**
 * One sagaway part as its own process, exactly as `npm run <part>` starts it, in its own process group
 * so a SIGKILL takes its children (the Temporal server under its wrapper) down with it.
 */
export class Part {
  private child: ChildProcess | null = null;
  private readonly log: WriteStream;
  readonly logFile: string;
  restarts = 0;

  constructor(
    readonly name: PartName,
    private readonly env: NodeJS.ProcessEnv,
    logDir: string,
  ) {
    this.logFile = join(logDir, `${name}.log`);
    this.log = createWriteStream(this.logFile, { flags: 'a' });
  }

  get pid(): number | null {
    return this.running ? (this.child?.pid ?? null) : null;
  }

  /** Started, then ended by itself or by a signal. */
  get exited(): boolean {
    return this.child !== null && !this.running;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.running) return;
    const child = spawn(process.execPath, ['--import', 'tsx', PART_ENTRIES[this.name]], {
      env: this.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(this.log, { end: false });
    child.stderr!.pipe(this.log, { end: false });
    this.child = child;
  }

  async restart(): Promise<void> {
    this.restarts += 1;
    this.start();
  }

  /** kill -9 of the whole process group: no drain, no goodbye. */
  async kill(): Promise<void> {
    if (!this.child?.pid || !this.running) return;
    const exited = new Promise((resolve) => this.child!.once('exit', resolve));
    process.kill(-this.child.pid, 'SIGKILL');
    await exited;
  }

  /** SIGTERM and wait for the drain; SIGKILL if it takes too long. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.child?.pid || !this.running) return;
    const exited = new Promise((resolve) => this.child!.once('exit', resolve));
    process.kill(-this.child.pid, 'SIGTERM');
    const timer = setTimeout(() => this.child?.pid && process.kill(-this.child.pid, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  close(): void {
    this.log.end();
  }
}
