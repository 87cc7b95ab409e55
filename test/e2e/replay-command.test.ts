/**
 * `npm run replay -- <saga id>` against a running stack whose payloads are sealed with a key of its own
 * (not the development one): a finished order replays and, with --save, lands in this release's history
 * folder in the committed format, which the replay test's loader reads and replays; an order run by other
 * workflow code is said not to replay.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NativeConnection, Worker } from '@temporalio/worker';
import { dataConverterFrom } from '../../src/codec';
import { DEV_CODEC_KEYS } from '../../src/config';
import { sagaViewSinks } from '../../src/views/saga-view-store';
import { SagawayClient } from '../../packages/client/src';
import { HISTORIES_DIR, loadHistories } from '../support/history-files';
import { orderBody } from '../support/orders';
import { API_KEY, startStack, type Stack } from '../support/stack';
import { workflowBundle } from '../support/workflow-bundle';

const root = join(__dirname, '..', '..');
const OWN_CODEC_KEYS = `prod-1:${Buffer.from('a codec key that is not the dev1').toString('base64')}`;
const savedName = `replay-command-test-${process.pid}`;
const savedFile = join(HISTORIES_DIR, `${savedName}.json`);
let stack: Stack;

before(async () => {
  stack = await startStack({ env: { SAGAWAY_CODEC_KEYS: OWN_CODEC_KEYS } });
});

after(async () => {
  rmSync(savedFile, { force: true });
  await stack?.stop();
});

/**
 * The command as docs/operating.md gives it, in the environment a developer has beside `npm start`: the
 * Temporal address and the codec keys, and no SAGAWAY_ENV (npm start sets it for its own parts only).
 */
function replay(...args: string[]) {
  const { SAGAWAY_ENV: _unset, ...inherited } = process.env;
  const env = { ...inherited, TEMPORAL_ADDRESS: stack.launched.temporalAddress, SAGAWAY_CODEC_KEYS: OWN_CODEC_KEYS, SAGAWAY_CODEC_ACCEPT_PLAINTEXT: 'false' };
  return spawnSync('npm', ['run', 'replay', '--', ...args], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
}

describe('npm run replay', () => {
  it('replays a finished order from the running Temporal and saves it where the replay test reads it', async () => {
    const client = new SagawayClient({ baseUrl: stack.apiUrl, apiKey: API_KEY });
    const order = await client.startOrder(orderBody() as never, { waitSeconds: 30 });
    assert.equal(order.status, 'COMPLETED');
    const run = replay(order.id, `--save=${savedName}`);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, new RegExp(`${order.id}: orderCheckout, COMPLETED, \\d+ events`));
    assert.match(run.stdout, /^replays against this checkout's workflow code$/m);
    assert.ok(existsSync(savedFile), run.stdout);
    const saved = JSON.parse(readFileSync(savedFile, 'utf8'));
    assert.equal(saved.workflowId, order.id);
    assert.equal(saved.workflowType, 'orderCheckout');
    assert.ok(!readFileSync(savedFile, 'utf8').includes('prod-1'), 'sealed again with the development key');
    // As test/replay/replay-histories.test.ts reads and replays it: the development key only.
    const recorded = loadHistories().find((h) => h.name.endsWith(`/${savedName}.json`));
    assert.ok(recorded, 'the loader finds it');
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle(false), sinks: sagaViewSinks(null), dataConverter: dataConverterFrom(DEV_CODEC_KEYS) }, recorded.history, recorded.workflowId);
  });

  it('says an order run by other workflow code does not replay, and exits 1', async () => {
    // An `orderCheckout` that only sleeps, run by a worker of its own: this checkout's order saga cannot replay it.
    const connection = await NativeConnection.connect({ address: stack.launched.temporalAddress });
    const worker = await Worker.create({ connection, taskQueue: 'replay-other-code', workflowsPath: require.resolve('../support/other-order-code'), dataConverter: dataConverterFrom(OWN_CODEC_KEYS) });
    const workflowId = `saga-other-code-${process.pid}`;
    await worker.runUntil(stack.client.workflow.execute('orderCheckout', { taskQueue: 'replay-other-code', workflowId, args: [] }));
    await connection.close();
    const run = replay(workflowId);
    assert.equal(run.status, 1, `status ${run.status}: ${run.stdout}`);
    assert.match(run.stdout, /does NOT replay against this checkout's workflow code: (DeterminismViolationError|ReplayError)/);
  });
});
