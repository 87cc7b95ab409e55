/**
 * `npm start` as a developer runs it in a terminal: Ctrl-C (SIGINT to the whole foreground process group)
 * while a step's call is in flight must let the worker finish it and report it to Temporal before Temporal
 * stops, so the step is not run a second time on the next start. And a supervisor that is killed outright
 * leaves no part behind holding its port.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEV_API_KEYS } from '../../src/config';
import { resolveTemporalCli } from '../../src/dev/temporal-cli';
import { freePort } from '../../src/dev/temporal-server';
import { injectFault, waitFor } from '../support/http';
import { orderBody } from '../support/orders';
import { workflowBundleFile } from '../support/workflow-bundle';

const API_KEY = DEV_API_KEYS.split(':')[1]!;
const dataDir = mkdtempSync(join(tmpdir(), 'sagaway-npm-start-'));
const running: ChildProcess[] = [];

after(() => {
  for (const child of running) if (child.exitCode === null && child.pid) killGroup(child.pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start` in a process group of its own, as a terminal runs it; resolves once it says it is up. */
async function npmStart(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor(() => `npm start up (it printed: ${output.slice(-2_000)})`, async () => output.includes('sagaway is up') || child.exitCode !== null, 180_000);
  assert.equal(child.exitCode, null, output.slice(-2_000));
  return { child, output: () => output, exited };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Free ports and the environment `npm start` takes them from, its data in `folder`. */
async function setting(folder: string) {
  const ports = { temporal: await freePort(), ui: await freePort(), backends: await freePort(), api: await freePort() };
  const env = {
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    TEMPORAL_CLI: await resolveTemporalCli(),
    SAGAWAY_TEMPORAL_UI_PORT: String(ports.ui),
    SAGAWAY_BACKENDS_PORT: String(ports.backends),
    SAGAWAY_API_PORT: String(ports.api),
    SAGAWAY_DATA_DIR: folder,
    SAGAWAY_WORKFLOW_BUNDLE: await workflowBundleFile(),
    SAGAWAY_LOG_LEVEL: 'warn',
  };
  return { ports, env };
}

describe('npm start', () => {
  it('Ctrl-C while it starts: everything it started stops, Temporal included', async () => {
    const { ports, env } = await setting(join(dataDir, 'early'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { env: { ...process.env, ...env }, detached: true, stdio: 'ignore' });
    running.push(child);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Once Temporal listens, before the rest is up.
    await waitFor('Temporal to listen', () => listening(ports.temporal), 120_000);
    killGroup(child.pid!, 'SIGINT');
    assert.equal(await exited, 0);
    for (const [part, port] of Object.entries(ports)) {
      await waitFor(`${part} to stop after Ctrl-C during the start`, async () => !(await listening(port)), 10_000);
    }
  });

  it('Ctrl-C during a step: the worker finishes the call and reports it before Temporal stops; killed outright, it leaves no part behind', async () => {
    const { ports, env } = await setting(dataDir);
    const api = `http://127.0.0.1:${ports.api}`;
    const backends = `http://127.0.0.1:${ports.backends}`;
    const first = await npmStart(env);
    // The order's first call takes 4 s: Ctrl-C comes while it is in flight.
    await injectFault(backends, 'inventory', { op: 'reserve', mode: 'latency', latencyMs: 4_000, count: 1 });
    const res = await fetch(`${api}/v1/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'idempotency-key': 'ctrl-c-order', 'content-type': 'application/json' },
      body: JSON.stringify(orderBody()),
    });
    assert.equal(res.status, 202, await res.clone().text());
    const { id } = (await res.json()) as { id: string };
    const view = async () => (await (await fetch(`${api}/v1/sagas/${id}`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as { status: string; steps: Array<{ name: string; status: string; attempts: number }> };
    await waitFor('the reservation in flight', async () => (await view()).steps.some((s) => s.name === 'reserveInventory' && s.status === 'RUNNING'), 30_000);
    killGroup(first.child.pid!, 'SIGINT');
    assert.equal(await first.exited, 0, first.output().slice(-3_000));
    for (const [part, port] of Object.entries(ports)) assert.equal(await listening(port), false, `${part} still listens after Ctrl-C`);
    // The worker signed the audit chain's head as it stopped: nothing written before Ctrl-C is left unsigned.
    const verified = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/audit.ts', 'verify'], { env: { ...process.env, ...env, SAGAWAY_ENV: 'development' }, encoding: 'utf8' });
    assert.equal(verified.status, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /verified: .*signed through entry [1-9]/, verified.stdout);
    assert.doesNotMatch(verified.stdout, /not signed yet/, verified.stdout);

    // The next start goes on from the same database: the reservation was reported, so it is not sent again.
    const second = await npmStart(env);
    const done = await waitFor('the order ended', async () => {
      const v = await view();
      return v.status === 'RUNNING' ? null : v;
    }, 60_000);
    assert.equal(done.status, 'COMPLETED', JSON.stringify(done));
    const reserve = done.steps.find((s) => s.name === 'reserveInventory');
    assert.equal(reserve?.attempts, 1, `the reservation was sent ${reserve?.attempts} times: its answer was lost at Ctrl-C`);

    // A supervisor killed outright (no chance to stop its parts): each part notices and stops by itself.
    second.child.kill('SIGKILL');
    for (const [part, port] of Object.entries(ports)) {
      await waitFor(`${part} to stop after its supervisor was killed`, async () => !(await listening(port)), 40_000);
    }
  });
});
