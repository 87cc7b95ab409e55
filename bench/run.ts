/**
 * `npm run bench`: what sagaway's orchestration costs, side by side with a hand-written Temporal
 * workflow, on its own stack on 127.0.0.1. `--quick` runs small counts (the test suite uses it);
 * `--out FILE` writes the results elsewhere than bench/results/latest.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { apiOverhead, benchBothServers, CLUSTER_FULL, CLUSTER_QUICK, sideBySide } from './cluster';
import { allocatorRow } from './allocator';
import { allocationReadRow } from './allocation-read';
import { OVERLOAD, overloadRows } from './overload';
import { apiAlone, bikesHeld } from './held';
import { markdown, previousRelease, sinceRelease, toResults } from './report';
import { baseline, baselineAgainstModes, baselineAgainstOrders, orderThroughApi, type ScenarioResult } from './scenarios';
import { startBenchStack, type BenchStack, type OrderMode } from './stack';
import { BENCH_NETWORK_SETTLE_MS, transferRow } from './transfers';
import { tripThroughApi } from './trips';

interface Plan {
  levels: Array<{ concurrency: number; count: number }>;
  apiCount: number;
  bikes: number;
  /** The order rows once per order mode (`--order-modes`), instead of the declined and trip rows. */
  orderModes?: boolean;
  /** Requests for one section's seat allocator (0: no allocator row). */
  allocator?: number;
  /** Entries of the section the `allocation-read-N` row reads (0: no such row). */
  allocationRead?: number;
  /** Seconds of the `overload` rows, admission control off then on (bench/overload.ts); 0: no such rows. */
  overloadSeconds?: number;
  /** Only the transfer rows, at these concurrencies and counts (`--transfers-only 1:10,8:40`). */
  transfersOnly?: Array<{ concurrency: number; count: number }>;
  maxSeconds: number;
}

const FULL: Plan = {
  levels: [{ concurrency: 1, count: 40 }, { concurrency: 8, count: 200 }, { concurrency: 32, count: 400 }, { concurrency: 128, count: 600 }],
  apiCount: 400,
  bikes: 2_000,
  allocator: 5_000,
  allocationRead: 5_000,
  overloadSeconds: OVERLOAD.seconds,
  maxSeconds: 240,
};
const QUICK: Plan = { levels: [{ concurrency: 1, count: 4 }, { concurrency: 8, count: 16 }], apiCount: 16, bikes: 10, maxSeconds: 30 };

async function warmUp(stack: BenchStack): Promise<void> {
  process.stdout.write('bench: warming up (workers bundle their workflows on start)\n');
  await orderThroughApi(stack, 1, 0, 120).phase(3);
  for (const mode of Object.keys(stack.modeApis) as OrderMode[]) await orderThroughApi(stack, 1, 0, 120, mode).phase(2);
  await baseline(stack, 1, 120).phase(3);
}

async function runAll(stack: BenchStack, plan: Plan): Promise<ScenarioResult[]> {
  const rows: ScenarioResult[] = [];
  for (const { concurrency, count } of plan.transfersOnly ?? []) rows.push(await transferRow(stack, concurrency, count, plan.maxSeconds));
  for (const { concurrency, count } of plan.levels) {
    process.stdout.write(`bench: concurrency ${concurrency}\n`);
    if (plan.orderModes) {
      rows.push(...(await baselineAgainstModes(stack, concurrency, count, plan.maxSeconds)));
      continue;
    }
    const abba = await baselineAgainstOrders(stack, concurrency, count, plan.maxSeconds);
    const declined = orderThroughApi(stack, concurrency, 0.5, plan.maxSeconds);
    await declined.phase(count);
    const trip = tripThroughApi(stack, concurrency, plan.maxSeconds);
    await trip.phase(Math.ceil(count / 2));
    rows.push(...abba, await declined.result(), await trip.result(), await transferRow(stack, concurrency, Math.ceil(count / 2), plan.maxSeconds));
  }
  if (plan.apiCount > 0) {
    process.stdout.write('bench: the API alone\n');
    rows.push(...(await apiAlone(stack, plan.apiCount, plan.maxSeconds)));
  }
  if (plan.bikes > 0) {
    process.stdout.write(`bench: ${plan.bikes} long-running bike checkouts held\n`);
    rows.push(await bikesHeld(stack, plan.bikes, plan.maxSeconds * 2));
  }
  if (plan.allocator) {
    process.stdout.write(`bench: one section, ${plan.allocator} requests to its seat allocator\n`);
    rows.push(await allocatorRow(stack.plainClient, stack.temporalAddress, plan.allocator));
  }
  if (plan.allocationRead) rows.push(await allocationReadRow(stack.plainClient, stack.temporalAddress, plan.allocationRead));
  if (plan.overloadSeconds) rows.push(...(await overloadRows(stack, { ...OVERLOAD, seconds: plan.overloadSeconds })));
  return rows;
}

/** `--levels 1:20,32:200` runs only the order and baseline rows at those concurrencies and counts. */
function planFrom(args: string[]): Plan | null {
  const transfers = args.indexOf('--transfers-only');
  if (transfers >= 0) return { levels: [], transfersOnly: levelsOf(args[transfers + 1]!), apiCount: 0, bikes: 0, maxSeconds: 240 };
  const i = args.indexOf('--levels');
  if (i < 0) return null;
  return { levels: levelsOf(args[i + 1]!), apiCount: 0, bikes: 0, maxSeconds: 240 };
}

function levelsOf(spec: string): Array<{ concurrency: number; count: number }> {
  return spec.split(',').map((pair) => {
    const [concurrency, count] = pair.split(':').map(Number);
    return { concurrency: concurrency!, count: count! };
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const outIndex = args.indexOf('--out');
  // Only a full run replaces the committed latest.json; some rows (`--levels`, `--transfers-only`, ...) go
  // to bench/results/tmp/partial.json, which git ignores.
  const partial = ['--levels', '--transfers-only', '--bikes-only', '--allocator-only', '--api-only', '--overload-only', '--order-modes'].some((flag) => args.includes(flag));
  const out = outIndex >= 0 ? args[outIndex + 1]! : join(__dirname, 'results', quick ? 'quick.json' : partial ? 'tmp/partial.json' : 'latest.json');
  if (args.includes('--cluster')) return benchCluster(args, quick, outIndex >= 0 ? out : join(__dirname, 'results', quick ? 'cluster-quick.json' : 'cluster.json'));
  const overheadOnly = args.indexOf('--overhead-only');
  if (overheadOnly >= 0) return benchOverhead(Number(args[overheadOnly + 1] ?? 100));
  const bikesOnly = args.indexOf('--bikes-only');
  const allocatorOnly = args.indexOf('--allocator-only');
  const apiOnly = args.indexOf('--api-only');
  const overloadOnly = args.indexOf('--overload-only');
  const custom =
    bikesOnly >= 0
      ? { levels: [], apiCount: 0, bikes: Number(args[bikesOnly + 1]), maxSeconds: 240 }
      : allocatorOnly >= 0
        ? { levels: [], apiCount: 0, bikes: 0, allocator: Number(args[allocatorOnly + 1]), maxSeconds: 240 }
        : apiOnly >= 0
          ? { levels: [], apiCount: Number(args[apiOnly + 1]), bikes: 0, maxSeconds: 240 }
          : overloadOnly >= 0
            ? { levels: [], apiCount: 0, bikes: 0, overloadSeconds: Number(args[overloadOnly + 1] ?? OVERLOAD.seconds), maxSeconds: 240 }
            : planFrom(args);
  const orderModes = args.includes('--order-modes');
  const plan = { ...(custom ?? (quick ? QUICK : FULL)), ...(orderModes ? { orderModes, apiCount: 0, bikes: 0, allocator: 0 } : {}) };
  process.env.SAGAWAY_NETWORK_SETTLE_MS ??= BENCH_NETWORK_SETTLE_MS;
  const stack = await startBenchStack({ eagerActivities: !args.includes('--no-eager-activities'), redis: args.includes('--redis'), auditPostgres: args.includes('--audit-postgres'), orderModes });
  const stop = () => void stack.stop().then(() => process.exit(130));
  process.once('SIGINT', stop);
  try {
    await warmUp(stack);
    const results = toResults(await runAll(stack, plan), quick);
    const report = `${markdown(results)}\n\n${sinceRelease(results, previousRelease(join(__dirname, 'results'), packageVersion()))}`;
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(out.replace(/\.json$/, '.md'), `${report}\n`);
    process.stdout.write(`\n${report}\n\nbench: wrote ${out}\n`);
  } finally {
    await stack.stop();
  }
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** `--overhead-only N`: the API's own overhead on the dev server, N starts per contender (see cluster.ts). */
async function benchOverhead(count: number): Promise<void> {
  const stack = await startBenchStack({ eagerActivities: true });
  try {
    await warmUp(stack);
    const plan = { overheadCount: count, maxSeconds: 240 };
    const rows = [...(await apiOverhead(stack, plan)), ...(await apiOverhead(stack, plan, true))];
    process.stdout.write(`\n${markdown(toResults(rows, false))}\n`);
  } finally {
    await stack.stop();
  }
}

/** `--cluster`: the dev server and the PostgreSQL cluster side by side (see cluster.ts). */
async function benchCluster(args: string[], quick: boolean, out: string): Promise<void> {
  const levels = planFrom(args)?.levels;
  const plan = quick ? CLUSTER_QUICK : { ...CLUSTER_FULL, ...(levels ? { levels } : {}) };
  const results = await benchBothServers(plan);
  const table = sideBySide(results);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(out.replace(/\.json$/, '.md'), `${table}\n`);
  process.stdout.write(`\n${table}\n\nbench: wrote ${out}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
