/**
 * Held under pressure (issue 25): admission control refuses at the door, and a wait refused by its cap
 * never answers 429 for a saga it started. Apps built here, in front of the stack's Temporal, with small bounds.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { Admission, temporalCounter } from '../../src/api/admission';
import { buildApp } from '../../src/api/app';
import { sagaDepsFrom } from '../../src/api/deps';
import { sagaIdFor } from '../../src/api/idempotency';
import { SagaGateway } from '../../src/api/saga-gateway';
import { allocatorId, type AllocatorState } from '../../src/domain/allocation';
import { DEFAULT_TUNING } from '../../src/domain/saga';
import { addKiosk, bikeBody } from '../support/bikes';
import { createSection } from '../support/classes';
import { countedTemporal, type CountedTemporal } from '../support/counted-temporal';
import { call, waitFor } from '../support/http';
import { API_KEY, CLIENT_ID, OTHER_API_KEY, startStack, type Stack } from '../support/stack';

let stack: Stack;
const apps: FastifyInstance[] = [];
/** The Temporal client of the apps whose calls a test counts. */
let counted: CountedTemporal;

before(async () => {
  stack = await startStack();
  await addKiosk(stack.backendsUrl, 'kiosk-pressure', 50);
  counted = await countedTemporal(stack);
});

after(async () => {
  for (const app of apps) await app.close();
  await counted?.connection.close();
  await stack?.stop();
});

async function api(options: { maxWaitsPerClient?: number; admission?: { perClient: number; total: number }; maxRequestsPerSection?: number; client?: Client }): Promise<string> {
  const gateway = new SagaGateway(options.client ?? stack.client, stack.config.taskQueue, undefined, { maxWaitsPerClient: options.maxWaitsPerClient ?? 100, liveQueryBudgetMs: 150 });
  const deps = sagaDepsFrom(stack.config, DEFAULT_TUNING);
  const app = await buildApp({
    gateway,
    apiKeys: stack.config.api.keys,
    ...deps,
    classes: { ...deps.classes, maxRequestsPerSection: options.maxRequestsPerSection },
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

describe('a section read and filed under load', () => {
  it("answers a client's allocation from the allocator in a bounded number of Temporal calls, and refuses filings past the section's limit with a 409", async () => {
    const url = await api({ client: counted.client, maxRequestsPerSection: 8 });
    const sectionId = await createSection(stack.backendsUrl, 2, 3_600_000, 7_200_000);
    const register = (studentId: string, key = API_KEY) => call(url, 'POST', '/v1/class-registrations', { body: { studentId, sectionId }, idempotencyKey: randomUUID(), key });
    const mine: string[] = [];
    for (let n = 0; n < 6; n++) assert.equal((await register(`s-2${String(n).padStart(3, '0')}`)).status, 202);
    for (let n = 0; n < 2; n++) {
      const answer = await register(`s-3${String(n).padStart(3, '0')}`, OTHER_API_KEY);
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      mine.push(answer.body.id);
    }
    const read = () => call(url, 'GET', `/v1/sections/${sectionId}/allocation`, { key: OTHER_API_KEY });
    await waitFor('every request filed', async () => { const a = await read(); return a.body.waitlistCount === 8 && a; }, 30_000);
    counted.calls = 0;
    const answer = await read();
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.waitlist.map((e: { sagaId: string }) => e.sagaId).sort(), [...mine].sort(), "the caller's own registrations, no one else's");
    assert.equal(answer.body.waitlistCount, 8);
    assert.ok(counted.calls <= 2, `${counted.calls} Temporal calls for one read of 8 entries`);

    const full = await register('s-4000');
    assert.equal(full.status, 409, JSON.stringify(full.body));
    assert.equal(full.body.type, 'urn:sagaway:problem:section-full');
    assert.match(full.body.detail, /takes at most 8 requests and holds 8$/);
    assert.equal(full.body.limit, 8);
  });
});

describe("a big section's allocator reading its ledger back", () => {
  it('answers a read with a 503 to retry, not a failure', async () => {
    const url = await api({});
    const sectionId = await createSection(stack.backendsUrl, 2, 3_600_000, 7_200_000);
    const section = { sectionId, capacity: 2, allocationAt: new Date(Date.now() + 3_600_000).toISOString(), windowClosesAt: new Date(Date.now() + 7_200_000).toISOString() };
    const fresh: AllocatorState = { section, granted: [], queue: [], allocated: false, closed: false, maxHistory: 5_000, generation: 0 };
    // Its one ledger page is a workflow that takes the request for the page and never answers, so the
    // allocator stays where a run of a 50,000-request section spends seconds: reading its pages back.
    const silentPage = await stack.client.workflow.start('seatAllocatorV2', { taskQueue: stack.config.taskQueue, workflowId: `silent-page-${randomUUID()}`, args: [fresh] });
    const allocator = await stack.client.workflow.start('seatAllocatorV2', {
      taskQueue: stack.config.taskQueue,
      workflowId: allocatorId(sectionId),
      args: [{ ...fresh, generation: 1, ledger: { pages: [{ id: silentPage.workflowId, ops: 1 }], tail: [], told: 0, held: 1 } }],
    });
    let last: unknown;
    const busy = await waitFor(() => `a 503 (last: ${JSON.stringify(last)})`, async () => {
      const answer = await call(url, 'GET', `/v1/sections/${sectionId}/allocation`, { key: API_KEY });
      last = { status: answer.status, body: answer.body };
      return answer.status === 503 && answer;
    }, 30_000);
    assert.equal(busy.body.type, 'urn:sagaway:problem:allocator-busy');
    assert.equal(busy.headers.get('retry-after'), '1');
    await allocator.terminate();
    await silentPage.terminate();
  });
});
