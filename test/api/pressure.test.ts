/**
 * Held under pressure (issue 25): admission control refuses at the door, and a wait refused by its cap
 * never answers 429 for a saga it started. Apps built here, in front of the stack's Temporal, with small bounds.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { Admission, temporalCounter } from '../../src/api/admission';
import { buildApp } from '../../src/api/app';
import { sagaDepsFrom } from '../../src/api/deps';
import { sagaIdFor } from '../../src/api/idempotency';
import { SagaGateway } from '../../src/api/saga-gateway';
import { DEFAULT_TUNING } from '../../src/domain/saga';
import { addKiosk, bikeBody } from '../support/bikes';
import { call } from '../support/http';
import { API_KEY, CLIENT_ID, OTHER_API_KEY, startStack, type Stack } from '../support/stack';

let stack: Stack;
const apps: FastifyInstance[] = [];

before(async () => {
  stack = await startStack();
  await addKiosk(stack.backendsUrl, 'kiosk-pressure', 50);
});

after(async () => {
  for (const app of apps) await app.close();
  await stack?.stop();
});

async function api(options: { maxWaitsPerClient?: number; admission?: { perClient: number; total: number } }): Promise<string> {
  const gateway = new SagaGateway(stack.client, stack.config.taskQueue, undefined, { maxWaitsPerClient: options.maxWaitsPerClient ?? 100, liveQueryBudgetMs: 150 });
  const app = await buildApp({
    gateway,
    apiKeys: stack.config.api.keys,
    ...sagaDepsFrom(stack.config, DEFAULT_TUNING),
    protection: undefined,
    admission: options.admission ? new Admission(temporalCounter(stack.client), options.admission) : undefined,
  });
  apps.push(app);
  return app.listen({ host: '127.0.0.1', port: 0 });
}

/** A bike checkout that waits for its door sensor (two minutes): a saga that will not end during the test. */
const hold = (url: string, key: string, client = API_KEY, prefer?: string) =>
  call(url, 'POST', '/v1/bike-checkouts', { body: bikeBody({ kioskId: 'kiosk-pressure' }), idempotencyKey: key, key: client, prefer });

async function exists(sagaId: string): Promise<boolean> {
  try {
    await stack.client.workflow.getHandle(sagaId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

describe('admission control', () => {
  it("refuses a client's start past its running bound (429), everyone's past the instance bound (503), before anything starts; a retry still gets its saga", async () => {
    const url = await api({ admission: { perClient: 2, total: 3 } });
    const keys = [randomUUID(), randomUUID(), randomUUID()];
    const first = await hold(url, keys[0]!);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal((await hold(url, keys[1]!)).status, 202);
    const refused = await hold(url, keys[2]!);
    assert.equal(refused.status, 429, JSON.stringify(refused.body));
    assert.equal(refused.body.type, 'urn:sagaway:problem:too-many-running');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.equal(await exists(sagaIdFor(CLIENT_ID, keys[2]!)), false, 'nothing was started for the refused request');
    const retry = await hold(url, keys[0]!);
    assert.equal(retry.status, 202, 'a retry with a known key is answered with its saga');
    assert.equal(retry.body.id, first.body.id);

    assert.equal((await hold(url, randomUUID(), OTHER_API_KEY)).status, 202, 'another client has room of its own, up to the instance bound');
    const full = await hold(url, randomUUID(), OTHER_API_KEY);
    assert.equal(full.status, 503, JSON.stringify(full.body));
    assert.equal(full.body.type, 'urn:sagaway:problem:at-capacity');
    assert.ok(Number(full.headers.get('retry-after')) >= 1);
  });
});

describe('Prefer: wait past the wait cap', () => {
  it('a start whose wait is refused by the cap answers 202 with its Location, never 429 for a saga it started', async () => {
    const url = await api({ maxWaitsPerClient: 1 });
    const waiting = hold(url, randomUUID(), OTHER_API_KEY, 'wait=5');
    await new Promise((r) => setTimeout(r, 500));
    const key = randomUUID();
    const second = await hold(url, key, OTHER_API_KEY, 'wait=5');
    assert.equal(second.status, 202, JSON.stringify(second.body));
    assert.equal(second.headers.get('location'), `/v1/sagas/${second.body.id}`);
    assert.equal(second.headers.get('preference-applied'), null, 'it did not wait');
    assert.equal(await exists(second.body.id), true);
    const retried = await hold(url, key, OTHER_API_KEY, 'wait=5');
    assert.equal(retried.status, 429, 'a retry that started nothing is told to come back');
    assert.equal((await waiting).status, 202);
  });
});
