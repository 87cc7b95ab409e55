import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { stopChild } from './temporal-server';

const PARENT_WATCH = pathToFileURL(join(__dirname, 'parent-watch.cjs')).href;
/** How long a part has to stop after SIGTERM: past the worker's own grace (10 s) and its closing. */
const STOP_GRACE_MS = 30_000;

/**
 * Runs sagaway's parts as child processes with their lines prefixed, for `npm start` and `npm run
 * cluster`: one part that exits stops all the others. Stopping drains them newest first, one kind at a
 * time (the APIs, then the workers, which finish their tasks while Temporal is still there to take their
 * answers, then the backends and Temporal); a second Ctrl-C kills what is left at once. Each part has a
 * process group of its own, so a terminal's Ctrl-C reaches the supervisor alone rather than every part at
 * once; a part whose supervisor is gone stops by itself (parent-watch.cjs).
 */
export class Supervisor {
  private readonly children: Array<{ child: ChildProcess; entry: string }> = [];
  private stopping = false;

  /** `afterChildren` stops what is not a child process (the cluster's servers). */
  constructor(private readonly afterChildren: () => Promise<void> = async () => undefined) {
    // A closed terminal (SIGHUP) must not end the stop half way on a failed write.
    process.stdout.on('error', () => undefined);
  }

  /** Starts a part; none once stopping began (it would be left behind). */
  run(prefix: string, entry: string, env: NodeJS.ProcessEnv): ChildProcess | null {
    if (this.stopping) return null;
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', PARENT_WATCH, entry], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
      // parent-watch acts only in the part this supervisor started, not in the processes the part forks.
      env: { ...env, SAGAWAY_SUPERVISOR_PID: String(process.pid) },
    });
    for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix}${line}\n`));
    child.once('exit', (code, signal) => {
      // Whatever the part left in its group (a server it ran, a process it forked) goes with it.
      killGroup(child, 'SIGKILL');
      if (this.stopping) return;
      process.stdout.write(`${prefix}exited (${signal ?? code}); stopping the rest\n`);
      void this.stopAll(1);
    });
    this.children.push({ child, entry });
    return child;
  }

  /** Stops every part, newest kind first; called again while stopping (a second Ctrl-C), kills them all now. */
  async stopAll(code: number): Promise<void> {
    if (this.stopping) {
      for (const { child } of this.children) killGroup(child, 'SIGKILL');
      process.exit(code);
    }
    this.stopping = true;
    // SIGTERM to the part alone (it stops what it runs itself); past the grace its whole group is killed.
    for (const kind of newestKindsFirst(this.children)) await Promise.all(kind.map((child) => stopChild(child, STOP_GRACE_MS, () => killGroup(child, 'SIGKILL'))));
    await this.afterChildren();
    process.exit(code);
  }
}

/** The parts grouped by entry point (every API, every worker), the kind started last first. */
function newestKindsFirst(children: Array<{ child: ChildProcess; entry: string }>): ChildProcess[][] {
  const kinds = new Map<string, ChildProcess[]>();
  for (const { child, entry } of children) kinds.set(entry, [...(kinds.get(entry) ?? []), child]);
  return [...kinds.values()].reverse();
}

/** Signals the part's whole process group (what it ran or forked too); nothing if it is gone. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone.
  }
}
