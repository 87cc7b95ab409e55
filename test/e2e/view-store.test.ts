import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, type RunningService } from '../../src/dev/cluster-stores';
import { freePort } from '../../src/dev/temporal-server';
import type { SagaView } from '../../src/domain/saga';
import { RedisSagaViewStore } from '../../src/views/saga-view-store';
import { call, callsInFlight, injectFault, waitFor, waitForView } from '../support/http';
import { orderBody } from '../support/orders';
import { startStack, type Stack } from '../support/stack';

/**
 * With SAGAWAY_REDIS_URL the worker publishes each saga's view and the API reads it from there: a read of
 * a running saga does not wait on its worker. Checked where only the store can answer: an API started
 * afresh (nothing in its memory) reading a saga whose worker is frozen.
 */
describe('the saga view store (Redis)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sagaway-views-'));
  let redis: RunningService & { url: string };
  let stack: Stack;
  let reader: Redis;

  before(async () => {
    chmodSync(dir, 0o755);
    redis = await startRedis({ port: await freePort(), dir, logFile: join(dir, 'redis.log'), log: () => undefined });
    reader = new Redis(redis.url);
    stack = await startStack({ env: { SAGAWAY_REDIS_URL: redis.url } });
  });

  after(async () => {
    reader?.disconnect();
    await stack?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a fresh API answers a running saga with the steps its frozen worker published', { timeout: 120_000 }, async () => {
    const store = new RedisSagaViewStore(reader);
    // Under the stack's 2 s call timeout; the store is read while the worker is frozen, however the call ends.
    await injectFault(stack.backendsUrl, 'shipping', { op: 'create', mode: 'latency', latencyMs: 1_800 });
    const started = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody() });
    assert.equal(started.status, 202);
    await waitFor('the slow shipment call to reach the carrier', async () => (await callsInFlight(stack.backendsUrl, 'shipping')) > 0);
    await waitFor('the worker to publish the shipment step', async () => (await store.get(started.body.id))?.steps.some((s) => s.name === 'createShipment'));
    const worker = stack.launched.parts.worker!;
    const api = stack.launched.parts.api!;
    process.kill(-worker.pid!, 'SIGSTOP');
    try {
      await api.stop();
      api.start();
      await waitFor('the new API to be ready', async () => (await call(stack.apiUrl, 'GET', '/readyz').catch(() => null))?.body.status === 'ready');
      const read = await call(stack.apiUrl, 'GET', `/v1/sagas/${started.body.id}`);
      assert.equal(read.status, 200);
      assert.equal(read.body.status, 'RUNNING');
      assert.equal(read.body.note, undefined, 'the published view, not a stand-in for a busy worker');
      const steps = Object.fromEntries(read.body.steps.map((s: any) => [s.name, s.status]));
      assert.equal(steps.authorizePayment, 'SUCCEEDED');
      assert.equal(steps.createShipment, 'RUNNING');
    } finally {
      process.kill(-worker.pid!, 'SIGCONT');
    }
    const done = await waitForView(stack.apiUrl, started.body.id, (v) => v.status === 'COMPLETED', 60_000);
    assert.equal(done.steps.length, 8);
    assert.equal((await store.get(started.body.id))?.status, 'COMPLETED', 'the store holds the final view too');
  });

  it('keeps the newest view: an older one written late (by a worker that lost the saga) does not replace it', async () => {
    const store = new RedisSagaViewStore(reader);
    const view = (status: SagaView['status'], updatedAt: string): SagaView => ({
      id: 'saga-store-order', type: 'order', status, steps: [], result: null, error: null, createdAt: '2026-12-01T00:00:00.000Z', updatedAt, details: {},
    });
    await store.put([view('COMPENSATING', '2026-12-01T00:00:02.000Z')]);
    await store.put([view('RUNNING', '2026-12-01T00:00:01.000Z')]);
    assert.equal((await store.get('saga-store-order'))?.status, 'COMPENSATING');
    await store.put([view('COMPENSATED', '2026-12-01T00:00:03.000Z')]);
    assert.equal((await store.get('saga-store-order'))?.status, 'COMPENSATED');
    assert.ok((await reader.pttl('sagaway:view:saga-store-order')) > 0, 'every view expires');
  });

  it('a new run of an id (its key reused past retention) forgets the old run\'s view, not one the new run wrote', async () => {
    const store = new RedisSagaViewStore(reader);
    const view = (id: string, updatedAt: string): SagaView => ({ id, type: 'order', status: 'COMPLETED', steps: [], result: null, error: null, createdAt: updatedAt, updatedAt, details: {} });
    await store.put([view('saga-old-run', '2026-01-01T00:00:00.000Z'), view('saga-new-run', new Date().toISOString())]);
    await store.forget('saga-old-run');
    await store.forget('saga-new-run');
    assert.equal(await store.get('saga-old-run'), null);
    assert.equal((await store.get('saga-new-run'))?.id, 'saga-new-run');
  });
});
