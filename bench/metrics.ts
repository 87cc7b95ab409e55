import { readdirSync, readFileSync } from 'node:fs';
import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export function histogram() {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000, numberOfSignificantValueDigits: 3 });
  return {
    record: (ms: number) => h.recordValue(Math.max(1, Math.round(ms))),
    summary: (): LatencySummary => ({
      count: h.totalCount,
      p50Ms: h.getValueAtPercentile(50),
      p95Ms: h.getValueAtPercentile(95),
      p99Ms: h.getValueAtPercentile(99),
    }),
  };
}

const TICKS_PER_SECOND = 100;

/** The pid that stands for the whole machine: CPU seconds spent by every process (/proc/stat). */
export const MACHINE = -1;

/**
 * CPU seconds a process (or, for MACHINE, every process) has used so far, from /proc (Linux). With
 * `tree`, its children's too, the ended ones (reaped into its own counters) and the live ones: PostgreSQL
 * does its work in a process per connection.
 */
export function cpuSeconds(pid: number | null, tree = false): number {
  if (!pid) return 0;
  if (pid === MACHINE) return machineBusySeconds();
  const fields = statFields(pid);
  if (!fields) return 0;
  if (!tree) return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  const own = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  const children = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => statFields(Number(name)))
    .filter((f): f is string[] => f !== null && Number(f[1]) === pid)
    .reduce((sum, f) => sum + Number(f[11]) + Number(f[12]), 0);
  return (own + children) / TICKS_PER_SECOND;
}

/** The fields of /proc/<pid>/stat after the command's name (state is [0], ppid [1], utime [11]). */
function statFields(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  } catch {
    return null;
  }
}

/** The PostgreSQL server (its postmaster) whose data folder is under `dir`, if one runs. */
export function postgresUnder(dir: string): number | null {
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (cmd[0]?.endsWith('/postgres') && cmd.some((arg) => arg.startsWith(dir))) return Number(name);
    } catch {
      // Gone meanwhile.
    }
  }
  return null;
}

/**
 * The process names whose CPU is read with their children's (cpuSeconds' `tree`): a worker's PGlite engine
 * (its audit store) and webpack are its children.
 */
const TREES = new Set(['postgres', 'auditPostgres', 'worker', 'worker2']);

/**
 * Waits until the workers are quiet (under 5% of a core over a second), so a row does not start while
 * the sagas of the row before it still run (`api-start-202-c32` leaves hundreds running). Bounded.
 */
export async function untilQuiet(pids: Record<string, number | null>, maxMs = 180_000): Promise<void> {
  const workers = Object.entries(pids).filter(([name]) => /worker/i.test(name)).map(([, pid]) => pid);
  const busy = (): number => workers.reduce<number>((sum, pid) => sum + cpuSeconds(pid), 0);
  const started = Date.now();
  while (Date.now() - started < maxMs) {
    const before = busy();
    await new Promise((r) => setTimeout(r, 1_000));
    if (busy() - before < 0.05) break;
  }
  const waited = Date.now() - started;
  if (waited > 2_500) process.stdout.write(`  waited ${(waited / 1000).toFixed(0)} s for a quiet worker\n`);
}

function machineBusySeconds(): number {
  // Time this machine's processes ran (a hypervisor's steal is not counted).
  const [, user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).map(Number);
  return (user! + nice! + system! + irq! + softirq!) / TICKS_PER_SECOND;
}

export function rssMb(pid: number | null): number {
  if (!pid || pid === MACHINE) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

/** The RSS of the live processes under `pid` (children, theirs, ...) whose command line names `match`. */
export function descendantsRssMb(pid: number | null, match: string): number {
  if (!pid || pid === MACHINE) return 0;
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    const fields = statFields(Number(name));
    if (fields) parentOf.set(Number(name), Number(fields[1]));
  }
  const under = (p: number): boolean => {
    for (let at = parentOf.get(p), hops = 0; at && hops < 16; at = parentOf.get(at), hops += 1) if (at === pid) return true;
    return false;
  };
  let total = 0;
  for (const child of parentOf.keys()) {
    if (!under(child)) continue;
    try {
      if (readFileSync(`/proc/${child}/cmdline`, 'utf8').includes(match)) total += rssMb(child);
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}

export interface ProcessUse {
  cpuSeconds: number;
  peakRssMb: number;
}

/** Samples CPU and resident memory of the named processes while a scenario runs. */
export function watchProcesses(pids: Record<string, number | null>) {
  const start = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid, TREES.has(name))]));
  const peak: Record<string, number> = Object.fromEntries(Object.keys(pids).map((name) => [name, 0]));
  const sample = () => {
    for (const [name, pid] of Object.entries(pids)) peak[name] = Math.max(peak[name]!, rssMb(pid));
  };
  sample();
  const timer = setInterval(sample, 250);
  return {
    stop(): Record<string, ProcessUse> {
      clearInterval(timer);
      sample();
      return Object.fromEntries(
        Object.entries(pids).map(([name, pid]) => [name, { cpuSeconds: +(cpuSeconds(pid, TREES.has(name)) - start[name]!).toFixed(2), peakRssMb: peak[name]! }]),
      );
    },
  };
}

/** Failed tasks by label (a row's name): the report prints them beside the row. */
export const failuresByLabel = new Map<string, number>();

/**
 * Runs `count` tasks, `concurrency` at a time, until done or `deadline`; prints progress. A failed task
 * is counted and reported, not fatal: the run goes on and says how many failed.
 */
export async function runPool(label: string, count: number, concurrency: number, deadline: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  let done = 0;
  let failed = 0;
  const started = Date.now();
  const progress = setInterval(() => {
    const rate = done / ((Date.now() - started) / 1000);
    process.stdout.write(`  ${label}: ${done}/${count} (${rate.toFixed(1)}/s)\n`);
  }, 5_000);
  const lane = async () => {
    while (next < count && Date.now() < deadline) {
      const i = next++;
      try {
        await task(i);
        done += 1;
      } catch (err) {
        failed += 1;
        if (failed <= 3) process.stdout.write(`  ${label}: a task failed: ${(err as Error).message.slice(0, 200)}\n`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  } finally {
    clearInterval(progress);
  }
  if (failed > 0) process.stdout.write(`  ${label}: ${failed} of ${done + failed} failed\n`);
  failuresByLabel.set(label, (failuresByLabel.get(label) ?? 0) + failed);
  return done;
}

/**
 * Open loop: starts task i at `perSecond` a second whatever the earlier ones are doing, as independent
 * events (door sensors) arrive; waits for all of them. Failures are counted, not fatal.
 */
export async function runAtRate(label: string, count: number, perSecond: number, deadline: number, task: (i: number) => Promise<void>): Promise<number> {
  const started = Date.now();
  let done = 0;
  let failed = 0;
  const running: Promise<void>[] = [];
  /** The first few distinct reasons, printed with the count: a failure count alone says nothing of why. */
  const reasons = new Set<string>();
  for (let i = 0; i < count && Date.now() < deadline; i += 1) {
    const wait = started + (i * 1_000) / perSecond - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (i % (perSecond * 10) === 0) process.stdout.write(`  ${label}: ${i}/${count} sent at ${perSecond}/s\n`);
    running.push(
      task(i).then(
        () => void (done += 1),
        (err: unknown) => {
          failed += 1;
          if (reasons.size < 3) reasons.add(String((err as Error)?.message ?? err).slice(0, 200));
        },
      ),
    );
  }
  await Promise.all(running);
  if (failed > 0) process.stdout.write(`  ${label}: ${failed} of ${done + failed} failed (${[...reasons].join(' | ')})\n`);
  failuresByLabel.set(label, (failuresByLabel.get(label) ?? 0) + failed);
  return done;
}
