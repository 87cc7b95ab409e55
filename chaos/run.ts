/**
 * `npm run chaos`: a fault campaign against sagaway's real parts, each its own process on 127.0.0.1 with
 * a fresh data folder. It drives a mixed load through the HTTP API while it kills and restarts the
 * worker, the API, the Temporal server and the backends, and injects faults into backend calls; then it
 * waits for every saga to end and checks, from the backends' records and the API, that every promise held.
 * Bounded in time and count; stops everything it started.
 */
import { writeFileSync } from 'node:fs';
import { DEV_OPERATOR_KEYS } from '../src/config';
import { launchStack, type LaunchedStack } from '../src/dev/stack';
import { runCampaign } from './campaign';
import { campaignPlan, type CampaignSize } from './plan';
import { ChaosRedis } from './redis';
import { printReport } from './report';

const CHAOS_OPERATOR_KEYS = `${DEV_OPERATOR_KEYS},officer-b:chaos-second-officer-key-0001`;

/**
 * Temporal as its own part (killed and restarted with its database), two workers (one on standby), and a
 * Redis the API and the workers share (killed and started again by the campaign).
 */
function startChaosStack(keep: boolean, redis: ChaosRedis): Promise<LaunchedStack> {
  return launchStack({
    label: 'chaos',
    start: ['temporal', 'backends', 'worker', 'api'],
    standby: ['worker-2'],
    keepData: keep,
    env: {
      // Longer than the activities' 10 s start-to-close timeout, so a backend slower than that outlives
      // the activity's attempt (the timeout, not the HTTP client, ends it) and the retry meets it in flight.
      SAGAWAY_HTTP_TIMEOUT_MS: '15000',
      // The backends accept what a less careful real service would and record it (src/backends/recording.ts):
      // the invariants judge what sagaway asked for.
      SAGAWAY_BACKENDS_RECORDING: 'true',
      SAGAWAY_STUCK_AFTER_ATTEMPTS: '20',
      // Short enough that captures slowed by faults and restarts run past it: it must not undo a pivot in
      // flight (8 s was eaten by a worker's cold start on a loaded machine).
      SAGAWAY_ORDER_DEADLINE_SECONDS: '20',
      SAGAWAY_BIKE_SENSOR_TIMEOUT_SECONDS: '6',
      SAGAWAY_RATE_LIMIT_PER_MINUTE: '100000',
      SAGAWAY_LOG_LEVEL: 'info',
      // Two compliance officers: a potential match needs both (the first is also the one who retries stuck steps).
      SAGAWAY_OPERATOR_KEYS: CHAOS_OPERATOR_KEYS,
      // Shared rate limits, the kiosk stock cache and the saga views the workers publish for the API.
      SAGAWAY_REDIS_URL: redis.url,
    },
  });
}

function parseArgs(argv: string[]): { size: CampaignSize; json: string | null; keep: boolean } {
  const quick = argv.includes('--quick');
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const size: CampaignSize = {
    // --quick is sized so every invariant has cases: two trips at a hotel with rooms, a drop, late cancels.
    sagas: Number(value('--sagas') ?? (quick ? 30 : 500)),
    // Three of each case in --quick: a clean one, a review, a rejection, a return (chaos/transfers.ts).
    transfers: Number(value('--transfers') ?? (quick ? 12 : 80)),
    seconds: Number(value('--seconds') ?? (quick ? 36 : 240)),
    drainSeconds: Number(value('--drain-seconds') ?? (quick ? 90 : 240)),
  };
  return { size, json: value('--json') ?? null, keep: argv.includes('--keep') };
}

async function main(): Promise<number> {
  const { size, json, keep } = parseArgs(process.argv.slice(2));
  process.stdout.write(`chaos: ${size.sagas} sagas and ${size.transfers} transfers over ${size.seconds} s\n`);
  const redis = await ChaosRedis.start();
  const stack = await startChaosStack(keep, redis).catch(async (err: unknown) => {
    await redis.stop(keep);
    throw err;
  });
  const stopAll = () => Promise.all([stack.stop(), redis.stop(keep)]);
  process.stdout.write(`chaos: logs in ${stack.dataDir} and ${redis.dir}${keep ? '' : ' (removed at the end; --keep keeps them)'}\n`);
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    const result = await runCampaign(stack, redis, campaignPlan(size), size);
    printReport(result);
    if (json) writeFileSync(json, JSON.stringify(result, null, 2));
    return result.invariants.every((i) => i.held) ? 0 : 1;
  } finally {
    await stopAll();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`chaos: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
