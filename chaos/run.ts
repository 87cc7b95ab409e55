/**
 * `npm run chaos`: a fault campaign against sagaway's real parts, each its own process on 127.0.0.1 with
 * a fresh data folder. It drives a mixed load through the HTTP API while it kills and restarts the
 * worker, the API, the Temporal server and the backends, and injects faults into backend calls; then it
 * waits for every saga to end and checks, from the backends' records and the API, that every promise held.
 * Bounded in time and count; stops everything it started.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveTemporalCli } from '../src/dev/temporal-cli';
import { freePort, waitForPort } from '../src/dev/temporal-server';
import { campaignPlan, type CampaignSize } from './plan';
import { Part, type PartName } from '../src/dev/part';
import { runCampaign } from './campaign';
import { printReport } from './report';

export interface Stack {
  parts: Record<PartName, Part>;
  apiUrl: string;
  backendsUrl: string;
  apiKey: string;
  dataDir: string;
  ports: { temporal: number; backends: number; api: number };
}

async function startStack(dataDir: string): Promise<Stack> {
  const ports = { temporal: await freePort(), ui: await freePort(), backends: await freePort(), api: await freePort() };
  const apiKey = randomBytes(16).toString('hex');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_CLI: await resolveTemporalCli(),
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    SAGAWAY_TEMPORAL_UI_PORT: String(ports.ui),
    SAGAWAY_DATA_DIR: dataDir,
    SAGAWAY_BACKENDS_PORT: String(ports.backends),
    SAGAWAY_API_PORT: String(ports.api),
    SAGAWAY_ENV: 'development',
    SAGAWAY_BACKENDS_ADMIN: 'true',
    SAGAWAY_API_KEYS: `chaos:${apiKey}`,
    SAGAWAY_TASK_QUEUE: 'chaos',
    SAGAWAY_HTTP_TIMEOUT_MS: '2000',
    SAGAWAY_STUCK_AFTER_ATTEMPTS: '20',
    SAGAWAY_BIKE_SENSOR_TIMEOUT_SECONDS: '6',
    SAGAWAY_RATE_LIMIT_PER_MINUTE: '100000',
  };
  const names: PartName[] = ['temporal', 'backends', 'worker', 'worker-2', 'api'];
  const parts = Object.fromEntries(names.map((n) => [n, new Part(n, env, dataDir)])) as Record<PartName, Part>;
  parts.temporal.start();
  parts.backends.start();
  await waitForPort('127.0.0.1', ports.temporal, 60_000);
  await waitForPort('127.0.0.1', ports.backends, 30_000);
  parts.worker.start();
  parts.api.start();
  const apiUrl = `http://127.0.0.1:${ports.api}`;
  await waitReady(apiUrl);
  return { parts, apiUrl, backendsUrl: `http://127.0.0.1:${ports.backends}`, apiKey, dataDir, ports };
}

async function waitReady(apiUrl: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`${apiUrl}/readyz`).then((r) => r.status === 200, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the API never became ready');
}

function parseArgs(argv: string[]): { size: CampaignSize; json: string | null; keep: boolean } {
  const quick = argv.includes('--quick');
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const size: CampaignSize = {
    sagas: Number(value('--sagas') ?? (quick ? 24 : 120)),
    seconds: Number(value('--seconds') ?? (quick ? 30 : 90)),
    drainSeconds: Number(value('--drain-seconds') ?? (quick ? 90 : 180)),
  };
  return { size, json: value('--json') ?? null, keep: argv.includes('--keep') };
}

async function main(): Promise<number> {
  const { size, json, keep } = parseArgs(process.argv.slice(2));
  const dataDir = mkdtempSync(join(tmpdir(), 'sagaway-chaos-'));
  process.stdout.write(`chaos: ${size.sagas} sagas over ${size.seconds} s, data folder ${dataDir}\n`);
  const stack = await startStack(dataDir);
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.all(Object.values(stack.parts).map((p) => p.stop()));
    for (const p of Object.values(stack.parts)) p.close();
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    const result = await runCampaign(stack, campaignPlan(size), size);
    printReport(result);
    if (json) writeFileSync(json, JSON.stringify(result, null, 2));
    return result.invariants.every((i) => i.held) ? 0 : 1;
  } finally {
    await stopAll();
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`chaos: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
