/**
 * A worker killed (SIGKILL) in the middle of the order, while a step it sent has landed at the backend and
 * not answered yet; a cancel, or the saga's deadline, comes in before another worker takes over. Checked
 * against what the backends were asked: money captured means a completed order, and a compensated order
 * holds nothing. With the holds and the capture as activities (the default), each was sent only once the
 * workflow task that decided it was recorded, so the next worker cannot decide otherwise.
 *
 * (The same kill with the capture a local activity, SAGAWAY_LOCAL_PIVOT, ended COMPENSATED with the money
 * captured: the local capture acts before its task is recorded, and the retried task took the cancel
 * first. That is why the local modes are refused in production.)
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateStage } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { sagaViewSinks } from '../../src/views/saga-view-store';
import { cancelUpdate, orderCheckout } from '../../src/workflows';
import { waitFor } from '../support/http';
import { input, orderBackends } from '../support/order-saga';
import { workflowBundleFile } from '../support/workflow-bundle';
import { startTestServer, unrecordedAudit } from '../support/workflow-env';

const UNDOS = ['releaseInventory', 'voidPayment', 'cancelShipment'];

let env: TestWorkflowEnvironment;
let bundleFile: string;
before(async () => {
  [env, bundleFile] = await Promise.all([startTestServer(), workflowBundleFile()]);
});
after(async () => {
  await env?.teardown();
});

/** A worker process whose `hangOn` step writes `mark` once it landed, then never answers. */
function doomedWorker(taskQueue: string, mark: string, hangOn: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'support', 'crash-worker.ts')], {
    env: { ...process.env, CRASH_ADDRESS: env.address, CRASH_TASK_QUEUE: taskQueue, CRASH_BUNDLE: bundleFile, CRASH_MARK: mark, CRASH_HANG_ON: hangOn },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/**
 * Starts the order on a doomed worker, kills it once `hangOn` landed, lets `meanwhile` act, then lets a
 * fresh worker finish the saga with backends that remember what landed.
 */
async function killedDuring(hangOn: string, overrides: Parameters<typeof input>[0], backends: Parameters<typeof orderBackends>[0], meanwhile: (handle: Awaited<ReturnType<typeof env.client.workflow.start<typeof orderCheckout>>>) => Promise<unknown>) {
  const taskQueue = `crash-${randomUUID()}`;
  const mark = join(mkdtempSync(join(tmpdir(), 'sagaway-crash-')), 'landed');
  const doomed = doomedWorker(taskQueue, mark, hangOn);
  try {
    const handle = await env.client.workflow.start(orderCheckout, { taskQueue, workflowId: `crash-${randomUUID()}`, args: [input(overrides)] });
    await waitFor(`${hangOn} landed`, async () => existsSync(mark), 120_000);
    doomed.kill('SIGKILL');
    const taken = meanwhile(handle);
    const { activities, calls } = orderBackends(backends);
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: { code: readFileSync(bundleFile, 'utf8') }, activities: { ...activities, appendAudit: unrecordedAudit }, sinks: sagaViewSinks(null), shutdownGraceTime: '1 second' });
    const view = await worker.runUntil(handle.result());
    return { view, calls, taken: await taken };
  } finally {
    if (doomed.exitCode === null) doomed.kill('SIGKILL');
  }
}

const cancel = (handle: Awaited<ReturnType<typeof env.client.workflow.start<typeof orderCheckout>>>) =>
  handle
    .startUpdate(cancelUpdate, { args: [{ reason: 'changed my mind' }], waitForStage: WorkflowUpdateStage.ACCEPTED })
    .then((u) => u.result())
    .catch((err: Error) => err);

/**
 * CRASH_MODE=localHolds or localPivot runs the same kills with the order's holds, or its holds and capture,
 * as local activities, the modes production refuses. Measured 2026-12-07: localPivot failed all three,
 * localHolds the third (`CRASH_MODE=localPivot node --import tsx --test test/workflow/worker-crash.test.ts`).
 */
const MODE = (process.env.CRASH_MODE ?? 'activities') as 'activities' | 'localHolds' | 'localPivot';
const modeInput = MODE === 'localHolds' ? { localHolds: true } : MODE === 'localPivot' ? { localPivot: true } : {};
describe(`a worker killed mid-order (${MODE})`, { concurrency: true }, () => {
  it('after the capture landed, a cancel sent meanwhile: refused (PastPivot), the order completes, nothing undone', { timeout: 120_000 }, async () => {
    const { view, calls, taken } = await killedDuring('capturePayment', { ...modeInput }, { lookupPayment: async () => ({ found: true, status: 'CAPTURED' }) }, cancel);
    assert.match(`${(taken as Error).message} ${(taken as any).cause?.message}`, /pivot/);
    assert.equal(view.status, 'COMPLETED');
    assert.deepEqual(calls.filter((c) => UNDOS.includes(c)), []);
  });

  it('after the capture landed, the deadline passing before another worker takes over: the order completes, nothing undone', { timeout: 120_000 }, async () => {
    const { view, calls } = await killedDuring('capturePayment', { ...modeInput, deadlineMs: 3_000 }, { lookupPayment: async () => ({ found: true, status: 'CAPTURED' }) }, async () => undefined);
    assert.equal(view.status, 'COMPLETED');
    assert.deepEqual(calls.filter((c) => UNDOS.includes(c)), []);
  });

  it('after the authorization landed, a cancel sent meanwhile: COMPENSATED, the authorization voided and the stock released, nothing captured', { timeout: 120_000 }, async () => {
    const { view, calls, taken } = await killedDuring('authorizePayment', { ...modeInput }, { lookupPayment: async () => ({ found: true, status: 'AUTHORIZED' }) }, cancel);
    assert.deepEqual(taken, { status: 'COMPENSATING' });
    assert.equal(view.status, 'COMPENSATED');
    // The authorization may be retried on the new worker before the cancel is taken (its 10 s attempt timed
    // out meanwhile), and the shipment begun: its undo is then sent too, first, whether it landed or not.
    const undos = calls.filter((c) => UNDOS.includes(c));
    assert.deepEqual(undos.filter((c) => c !== 'cancelShipment'), ['voidPayment', 'releaseInventory']);
    if (calls.includes('createShipment')) assert.equal(undos[0], 'cancelShipment', 'a shipment made is cancelled, first');
    assert.ok(!calls.includes('capturePayment'));
  });
});
