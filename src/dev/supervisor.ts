import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { stopChild } from './temporal-server';

/**
 * Runs sagaway's parts as child processes with their lines prefixed, for `npm start` and `npm run
 * cluster`: one part that exits stops all the others, and stopping drains them newest first.
 */
export class Supervisor {
  private readonly children: ChildProcess[] = [];
  private stopping = false;

  /** `afterChildren` stops what is not a child process (the cluster's servers). */
  constructor(private readonly afterChildren: () => Promise<void> = async () => undefined) {}

  run(prefix: string, entry: string, env: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], { stdio: ['ignore', 'pipe', 'pipe'], env });
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
    await Promise.all([...this.children].reverse().map((child) => stopChild(child)));
    await this.afterChildren();
    process.exit(code);
  }
}
