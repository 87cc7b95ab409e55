import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem, type as osType, release } from 'node:os';
import { join, relative } from 'node:path';
import type { ScenarioResult } from './scenarios';

export interface BenchResults {
  machine: string;
  date: string;
  quick: boolean;
  scenarios: Array<
    Omit<ScenarioResult, 'processes'> & {
      cpuSeconds: Record<string, number>;
      peakRssMb: Record<string, number>;
      vsBaseline: number | null;
      /** Why a row has no vsBaseline: its workload or its run is not the baseline's. */
      vsBaselineNote?: string;
    }
  >;
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${osType()} ${release()}`;
}

export function toResults(rows: ScenarioResult[], quick: boolean): BenchResults {
  const baselineAt = (c: number) => rows.find((r) => r.name === `baseline-c${c}`);
  return {
    machine: machine(),
    date: new Date().toISOString(),
    quick,
    scenarios: rows.map(({ processes, ...row }) => {
      // A ratio only for a row that ran the baseline's workload in turns with it, in this run.
      const base = row.interleavedWith ? rows.find((r) => r.name === row.interleavedWith) : undefined;
      const note = base || !row.name.startsWith('order') ? undefined : baselineAt(row.concurrency) ? 'not comparable: other workload or run' : 'no baseline';
      return {
        ...row,
        cpuSeconds: Object.fromEntries(Object.entries(processes).map(([k, v]) => [k, v.cpuSeconds])),
        peakRssMb: Object.fromEntries(Object.entries(processes).map(([k, v]) => [k, v.peakRssMb])),
        vsBaseline: base ? +(row.perSec / base.perSec).toFixed(2) : null,
        ...(note ? { vsBaselineNote: note } : {}),
      };
    }),
  };
}

export function markdown(results: BenchResults): string {
  const lines = [
    `Machine: ${results.machine}; ${results.date}${results.quick ? ' (quick run)' : ''}`,
    '',
    '| scenario | conc. | count | failed | sagas/s | p50 ms | p95 ms | p99 ms | events/saga | WF tasks/saga | worker RSS MB | CPU s worker (+audit store) / API / Temporal (+PostgreSQL) | CPU s backends / bench | machine busy | vs baseline |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |',
  ];
  for (const s of results.scenarios) {
    const worker = s.name.startsWith('baseline') ? s.cpuSeconds.baselineWorker : +((s.cpuSeconds.worker ?? 0) + (s.cpuSeconds.auditPostgres ?? 0)).toFixed(2);
    const cpu = `${worker ?? 0} / ${s.name.startsWith('baseline') ? '-' : (s.cpuSeconds.api ?? 0)} / ${temporalCpu(s.cpuSeconds)}`;
    const others = `${s.cpuSeconds.backends ?? '-'} / ${s.cpuSeconds.bench ?? '-'}`;
    // The share of every core the machine spent busy while the row ran, all processes counted.
    const seconds = s.perSec > 0 ? s.count / s.perSec : 0;
    const busy = s.cpuSeconds.machine !== undefined && seconds > 0 ? `${Math.round((100 * s.cpuSeconds.machine) / seconds / cpus().length)}%` : '-';
    // A row with failures stands out (its latencies leave the failed sagas out), and so does a row that
    // measured nothing: its zeros are not results.
    const flags = [s.failed ? `${s.failed} FAILED` : '', s.count === 0 ? 'MEASURED NOTHING' : ''].filter(Boolean).join(', ');
    const name = flags ? `**${s.name} (${flags})**` : s.name;
    const count = s.count === 0 ? '**0**' : s.count;
    const failed = s.failed ? `**${s.failed}**` : (s.failed ?? '-');
    const vs = s.vsBaseline ?? (s.vsBaselineNote ? `- (${s.vsBaselineNote})` : '-');
    lines.push(`| ${name} | ${s.concurrency} | ${count} | ${failed} | ${s.perSec} | ${s.p50Ms} | ${s.p95Ms} | ${s.p99Ms} | ${s.eventsPerSaga ?? '-'} | ${s.workflowTasksPerSaga ?? '-'} | ${s.workerRssMb} | ${cpu} | ${others} | ${busy} | ${vs} |`);
  }
  return lines.join('\n');
}

/** Temporal's CPU seconds: on the cluster, PostgreSQL's (every connection's process) counted in. */
export function temporalCpu(cpu: Record<string, number>): number {
  return +((cpu.temporal ?? 0) + (cpu.postgres ?? 0)).toFixed(2);
}

/** What a row is compared on with the previous release's run, and the least move on each that is not noise. */
const COMPARED = [
  { key: 'p50Ms', label: 'p50', unit: ' ms', floor: 20 },
  { key: 'p99Ms', label: 'p99', unit: ' ms', floor: 20 },
  { key: 'perSec', label: 'sagas/s', unit: '', floor: 1 },
  { key: 'eventsPerSaga', label: 'events/saga', unit: '', floor: 2 },
  { key: 'workerRssMb', label: 'worker RSS', unit: ' MB', floor: 50 },
] as const;

/**
 * A move within this share of the old value is noise too: between 0.1.0's run and 0.3.0's, the
 * hand-written baseline, whose code did not change, moved up to 23% (baseline-c8's p50).
 */
export const NOISE_SHARE = 0.25;

export type ComparedRow = Pick<ScenarioResult, 'name' | 'count' | 'p50Ms' | 'p99Ms' | 'perSec' | 'eventsPerSaga' | 'workerRssMb'>;

/** One line for each row in both runs that moved beyond the noise: `order-c1: p50 252 -> 300 ms (+19%)`. */
export function movedRows(previous: ComparedRow[], current: ComparedRow[]): string[] {
  const lines: string[] = [];
  for (const row of current) {
    const old = previous.find((r) => r.name === row.name);
    if (!old) continue;
    if (old.count === 0 || row.count === 0) {
      lines.push(`${row.name}: not compared, it measured nothing in ${old.count === 0 ? 'the release run' : 'this run'}`);
      continue;
    }
    const moves = COMPARED.flatMap(({ key, label, unit, floor }) => {
      const [was, now] = [old[key], row[key]];
      if (was === null || now === null) return [];
      const delta = now - was;
      if (Math.abs(delta) <= floor || Math.abs(delta) <= NOISE_SHARE * Math.abs(was)) return [];
      const share = was === 0 ? '' : ` (${delta > 0 ? '+' : ''}${Math.round((100 * delta) / was)}%)`;
      return [`${label} ${was} -> ${now}${unit}${share}`];
    });
    if (moves.length > 0) lines.push(`${row.name}: ${moves.join(', ')}`);
  }
  return lines;
}

export interface ReleaseRun {
  version: string;
  file: string;
  results: BenchResults;
}

/**
 * The committed run of the newest release not above `version` (package.json's): `dir`'s v<version>.json
 * files. Until the version is bumped for the next release, that is the run of the release the code
 * left from; a release's own run is compared with the one before once the version names it.
 */
export function previousRelease(dir: string, version: string): ReleaseRun | null {
  const order = (v: string) => v.split('.').map(Number);
  const newer = (a: string, b: string) => {
    const [x, y] = [order(a), order(b)];
    const i = x.findIndex((n, j) => n !== y[j]);
    return i >= 0 && x[i]! > y[i]!;
  };
  const versions = readdirSync(dir)
    .map((f) => /^v(\d+\.\d+\.\d+)\.json$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined && !newer(v, version))
    .sort((a, b) => (newer(a, b) ? -1 : 1));
  if (versions.length === 0) return null;
  const file = join(dir, `v${versions[0]}.json`);
  return { version: versions[0]!, file, results: JSON.parse(readFileSync(file, 'utf8')) as BenchResults };
}

/** What moved since the previous release's run, as markdown: printed after the table and written below it. */
export function sinceRelease(results: BenchResults, release: ReleaseRun | null): string {
  if (!release) return 'No earlier release run in bench/results (v<version>.json) to compare with.';
  const floors = COMPARED.map((c) => `${c.label} ${c.floor}${c.unit}`).join(', ');
  const lines = [`What moved since ${release.version}'s run (${relative(join(__dirname, '..'), release.file)}, ${release.results.date.slice(0, 10)}), by more than ${NOISE_SHARE * 100}% and more than ${floors}:`];
  if (results.quick && !release.results.quick) lines.push("(A quick run: its counts are far below the release run's, so most of what moved is the counts, not the code.)");
  const shared = results.scenarios.filter((s) => release.results.scenarios.some((r) => r.name === s.name)).length;
  const moved = movedRows(release.results.scenarios, results.scenarios);
  if (shared === 0) lines.push('No row of this run is in that run.');
  else if (moved.length === 0) lines.push(`Nothing moved beyond the noise in the ${shared} rows both runs have.`);
  else lines.push('', ...moved.map((line) => `- ${line}`));
  return lines.join('\n');
}
