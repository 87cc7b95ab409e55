/**
 * The view store of a deployment without Redis: files in the data folder. An older view never replaces a
 * newer one (two flushes of the sink at once included), and a view just written survives a forget.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { SagaView } from '../../src/domain/saga';
import { FileSagaViewStore } from '../../src/views/file-view-store';

const dir = mkdtempSync(join(tmpdir(), 'sagaway-file-views-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const viewOf = (id: string, updatedAt: string, step: string): SagaView => ({
  id, type: 'order', status: 'RUNNING', steps: [{ name: step, status: 'RUNNING', attempts: 0, startedAt: updatedAt, finishedAt: null, error: null, compensation: null }],
  result: null, error: null, createdAt: updatedAt, updatedAt, details: {},
});

describe('the file view store', () => {
  it('answers null for a saga it never saw, and the newest view of one it did', async () => {
    const store = new FileSagaViewStore(dir);
    assert.equal(await store.get('saga-none'), null);
    await Promise.all([
      store.put([viewOf('saga/1', '2026-12-01T00:00:02.000Z', 'authorizePayment')]),
      store.put([viewOf('saga/1', '2026-12-01T00:00:01.000Z', 'priceOrder')]),
    ]);
    assert.equal((await store.get('saga/1'))?.steps[0]?.name, 'authorizePayment');
    await store.forget('saga/1');
    assert.ok(await store.get('saga/1'), 'a view written a moment ago is kept');
  });
});
