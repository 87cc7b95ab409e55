/**
 * Reads of a running saga through SagaGateway, with a fake Temporal client: what the API keeps in memory
 * stays bounded, and a slow view store does not hold a read past the budget.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { SagaGateway } from '../../src/api/saga-gateway';
import { ViewCache } from '../../src/api/view-cache';
import { keys } from '../../src/api/visibility';
import type { SagaView } from '../../src/domain/saga';
import { sagaViewSinks, type SagaViewStore } from '../../src/views/saga-view-store';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function viewOf(id: string, updatedAt = '2026-12-01T00:00:01.000Z', status: SagaView['status'] = 'RUNNING'): SagaView {
  return { id, type: 'order', status, steps: [{ name: 'authorizePayment', status: 'RUNNING', attempts: 0, startedAt: updatedAt, finishedAt: null, error: null, compensation: null }], result: null, error: null, createdAt: updatedAt, updatedAt, details: {} };
}

/** A Temporal client whose every saga is RUNNING, owned by `owner`, and answers its state query after `queryMs`. */
function fakeClient(owner: string, queryMs = 5): Client {
  const handle = (id: string) => ({
    workflowId: id,
    describe: async () => ({
      workflowId: id,
      status: { name: 'RUNNING' },
      memo: {},
      startTime: new Date(),
      closeTime: undefined,
      typedSearchAttributes: { get: (key: unknown) => (key === keys.client ? owner : key === keys.status ? 'RUNNING' : key === keys.type ? 'order' : undefined) },
    }),
    query: async () => {
      await delay(queryMs);
      return viewOf(id);
    },
    executeUpdate: async () => 'done',
  });
  return {
    options: { namespace: 'default' },
    workflow: { start: async (_workflow: string, options: { workflowId: string }) => ({ workflowId: options.workflowId }), getHandle: handle },
  } as unknown as Client;
}

const start = (gateway: SagaGateway, sagaId: string, clientId = 'client-a') =>
  gateway.start({ type: 'order', workflow: 'orderCheckout', input: {}, sagaId, clientId, requestHash: 'h', summary: 's' });

describe('SagaGateway reads: memory', () => {
  it('keeps at most maxFinal started views of sagas nobody reads', () => {
    const cache = new ViewCache(10);
    for (let i = 0; i < 100; i += 1) cache.started('client-a', viewOf(`saga-${i}`));
    assert.ok((cache as unknown as { live: Map<string, unknown> }).live.size <= 10);
  });

  it('does not keep an end-check time per started saga for ever', async () => {
    const gateway = new SagaGateway(fakeClient('client-a'), 'q');
    for (let i = 0; i < 100_050; i += 1) await start(gateway, `saga-${i}`);
    assert.ok((gateway as unknown as { endChecks: Map<string, number> }).endChecks.size <= 100_000);
  });

  it('keeps no command time without a view store (nothing would ever delete it)', async () => {
    const gateway = new SagaGateway(fakeClient('client-a'), 'q');
    for (let i = 0; i < 10; i += 1) assert.equal((await gateway.cancel(`saga-${i}`, 'client-a', { reason: 'x' })).kind, 'done');
    assert.equal((gateway as unknown as { commanded: Map<string, number> }).commanded.size, 0);
  });
});

describe('SagaGateway reads: a slow view store', () => {
  it('asks the worker when the store does not answer within the budget', async () => {
    const slow: SagaViewStore = { put: async () => undefined, forget: async () => undefined, get: async (id) => (await delay(2_000), viewOf(id)) };
    const gateway = new SagaGateway(fakeClient('client-a'), 'q', undefined, { maxWaitsPerClient: 10, liveQueryBudgetMs: 75 }, slow);
    await start(gateway, 'saga-slow');
    const began = Date.now();
    const view = await gateway.view('saga-slow', 'client-a');
    assert.ok(Date.now() - began < 1_000, `took ${Date.now() - began} ms`);
    assert.equal(view?.status, 'RUNNING');
    assert.equal(await gateway.view('saga-slow', 'client-b'), null, 'another client sees nothing');
  });
});

describe('the worker side of the view sink', () => {
  it('publishes again a view whose write failed, so the store does not keep an older one', async () => {
    const stored = new Map<string, SagaView>();
    let failures = 1;
    const store: SagaViewStore = {
      put: async (views) => {
        if (failures-- > 0) throw new Error('Command timed out');
        for (const v of views) stored.set(v.id, v);
      },
      get: async (id) => stored.get(id) ?? null,
      forget: async (id) => void stored.delete(id),
    };
    const logger = { warn: () => undefined } as unknown as Logger;
    const sinks = sagaViewSinks(store, logger);
    sinks.sagaViews.changed.fn({} as never, viewOf('saga-stuck', '2026-12-01T00:00:05.000Z', 'COMPENSATING'));
    const deadline = Date.now() + 5_000;
    while (!stored.has('saga-stuck') && Date.now() < deadline) await delay(50);
    assert.equal(stored.get('saga-stuck')?.status, 'COMPENSATING');
  });
});
