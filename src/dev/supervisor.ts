import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { stopChild } from './temporal-server';

const PARENT_WATCH = pathToFileURL(join(__dirname, 'parent-watch.cjs')).href;

/**
 * Runs sagaway's parts as child processes with their lines prefixed, for `npm start` and `npm run
 * cluster`: one part that exits stops all the others, and stopping drains them one at a time, newest
 * first (the API, then the worker, which finishes its tasks while Temporal is still there to take their
 * answers, then the backends and Temporal). Each part has a process group of its own, so a terminal's
 * Ctrl-C reaches the supervisor alone rather than every part at once; a part whose supervisor is gone
 * stops by itself (parent-watch.ts).
 */
export class Supervisor {
  private readonly children: ChildProcess[] = [];
  private stopping = false;

  /** `afterChildren` stops what is not a child process (the cluster's servers). */
  constructor(private readonly afterChildren: () => Promise<void> = async () => undefined) {}

  run(prefix: string, entry: string, env: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', PARENT_WATCH, entry], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true, env });
    for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix}${line}\n`));
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      process.stdout.write(`${prefix}exited (${signal ?? code}); stopping the rest\n`);
      void this.stopAll(1);
    });
    this.children.push(child);
    return child;
  }

  async stopAll(code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    // Past the worker's own grace (10 s, src/worker.ts) before a part is killed.
    for (const child of [...this.children].reverse()) await stopChild(child, 15_000);
    await this.afterChildren();
    process.exit(code);
  }
}
