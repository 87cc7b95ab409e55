import { cpus, totalmem, type as osType, release } from 'node:os';
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
    '| scenario | conc. | count | failed | sagas/s | p50 ms | p95 ms | p99 ms | events/saga | WF tasks/saga | worker RSS MB | CPU s worker / API / Temporal (+PostgreSQL) | CPU s backends / bench | machine busy | vs baseline |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |',
  ];
  for (const s of results.scenarios) {
    const worker = s.name.startsWith('baseline') ? s.cpuSeconds.baselineWorker : s.cpuSeconds.worker;
    const cpu = `${worker ?? 0} / ${s.name.startsWith('baseline') ? '-' : (s.cpuSeconds.api ?? 0)} / ${temporalCpu(s.cpuSeconds)}`;
    const others = `${s.cpuSeconds.backends ?? '-'} / ${s.cpuSeconds.bench ?? '-'}`;
    // The share of every core the machine spent busy while the row ran, all processes counted.
    const seconds = s.perSec > 0 ? s.count / s.perSec : 0;
    const busy = s.cpuSeconds.machine !== undefined && seconds > 0 ? `${Math.round((100 * s.cpuSeconds.machine) / seconds / cpus().length)}%` : '-';
    // A row with failures stands out: its latencies leave the failed sagas out.
    const name = s.failed ? `**${s.name} (${s.failed} FAILED)**` : s.name;
    const failed = s.failed ? `**${s.failed}**` : (s.failed ?? '-');
    const vs = s.vsBaseline ?? (s.vsBaselineNote ? `- (${s.vsBaselineNote})` : '-');
    lines.push(`| ${name} | ${s.concurrency} | ${s.count} | ${failed} | ${s.perSec} | ${s.p50Ms} | ${s.p95Ms} | ${s.p99Ms} | ${s.eventsPerSaga ?? '-'} | ${s.workflowTasksPerSaga ?? '-'} | ${s.workerRssMb} | ${cpu} | ${others} | ${busy} | ${vs} |`);
  }
  return lines.join('\n');
}

/** Temporal's CPU seconds: on the cluster, PostgreSQL's (every connection's process) counted in. */
export function temporalCpu(cpu: Record<string, number>): number {
  return +((cpu.temporal ?? 0) + (cpu.postgres ?? 0)).toFixed(2);
}
