/**
 * The adversarial cost review of issue 25: requests whose cost to sagaway grows with something the caller
 * controls, or that pass around admission control. Each test asserts what a user or an operator would
 * notice (a refusal with a clear problem, a bound held) and prints what it measured. Apps are built here,
 * in front of the stack's Temporal, with keys and bounds of their own.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Admission, temporalCounter } from '../../src/api/admission';
import { buildApp } from '../../src/api/app';
import { sagaDepsFrom } from '../../src/api/deps';
import { OpsGateway } from '../../src/api/ops-gateway';
import { DEFAULT_EVENT_STREAMS, type EventStreamOptions } from '../../src/api/routes/events';
import { SagaGateway } from '../../src/api/saga-gateway';
import { DEFAULT_TUNING, SearchAttribute } from '../../src/domain/saga';
import { feedCounts } from '../../src/observability/api-metrics';
import { FileSagaViewStore, viewFolder } from '../../src/views/file-view-store';
import { addKiosk, bikeBody } from '../support/bikes';
import { countedTemporal, type CountedTemporal } from '../support/counted-temporal';
import { call, waitFor } from '../support/http';
import { orderBody } from '../support/orders';
import { OPERATOR_KEY, startStack, type Stack } from '../support/stack';

const KIOSK = 'kiosk-adversary';
let stack: Stack;
const apps: FastifyInstance[] = [];
/** The Temporal client of the apps whose calls a test counts. */
let counted: CountedTemporal;

before(async () => {
  stack = await startStack();
  await addKiosk(stack.backendsUrl, KIOSK, 500);
  counted = await countedTemporal(stack);
});

after(async () => {
  for (const app of apps) await app.close();
  await counted?.connection.close();
  await stack?.stop();
});

/** A client of its own for one test (its sagas counted apart from every other test's), and its key. */
function newClient(): { id: string; key: string } {
  const id = `adv-${randomUUID().slice(0, 8)}`;
  return { id, key: `${id}-key-${randomUUID()}` };
}

interface AppOptions {
  clients?: Array<{ id: string; key: string }>;
  rateLimitPerMinute?: number;
  admission?: { perClient: number; total: number };
  events?: Partial<EventStreamOptions>;
  ops?: boolean;
}

async function api(options: AppOptions = {}): Promise<string> {
  // Reads go where a deployment's go: the views the stack's worker publishes in its data folder.
  const views = publishedViews();
  const gateway = new SagaGateway(counted.client, stack.config.taskQueue, undefined, { maxWaitsPerClient: 100, liveQueryBudgetMs: 150 }, views);
  const deps = sagaDepsFrom(stack.config, DEFAULT_TUNING);
  const app = await buildApp({
    gateway,
    apiKeys: new Map([...stack.config.api.keys, ...(options.clients ?? []).map((c) => [c.key, c.id] as const)]),
    operatorKeys: stack.config.api.operatorKeys,
    ...deps,
    protection: options.rateLimitPerMinute ? { rateLimitPerMinute: options.rateLimitPerMinute, maxEventLoopDelayMs: 10_000 } : undefined,
    ops: options.ops ? new OpsGateway(counted.client, gateway) : undefined,
    events: { ...DEFAULT_EVENT_STREAMS, ...options.events },
    admission: options.admission ? new Admission(temporalCounter(stack.client), options.admission) : undefined,
  });
  apps.push(app);
  return app.listen({ host: '127.0.0.1', port: 0 });
}

const publishedViews = () => new FileSagaViewStore(viewFolder(stack.config.dataDir));

/**
 * Waits until the worker published the saga's view: what a read costs is then the route's own cost, not
 * that of a worker too loaded to have published yet (whose saga is then asked directly).
 */
const published = (sagaId: string) => waitFor(`the view of ${sagaId} published`, async () => (await publishedViews().get(sagaId))?.steps.some((s) => s.status === 'RUNNING'), 30_000);

/** A bike checkout that waits for its door sensor (two minutes): a saga that will not end during the test. */
const hold = (url: string, key: string, idempotencyKey = randomUUID(), kioskId = KIOSK) =>
  call(url, 'POST', '/v1/bike-checkouts', { body: bikeBody({ kioskId }), idempotencyKey, key });

/** Sagas Temporal runs for a client, as an operator counts them. */
async function runningOf(clientId: string): Promise<number> {
  const res = await stack.client.workflowService.countWorkflowExecutions({
    namespace: 'default',
    query: `${SearchAttribute.client} = "${clientId}" AND ExecutionStatus = "Running"`,
  });
  return Number(res.count ?? 0);
}

/** Opens an event stream and keeps it open; answers its status and a way to close it. */
async function openStream(url: string, path: string, key: string): Promise<{ status: number; close: () => void }> {
  const abort = new AbortController();
  const res = await fetch(url + path, { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' }, signal: abort.signal });
  if (res.status !== 200) await res.text();
  return { status: res.status, close: () => abort.abort() };
}

const feedsOpen = () => [...feedCounts].reduce((sum, count) => sum + count(), 0);

describe('admission control against starts sent together', () => {
  it('twelve starts with fresh keys sent at once leave at most SAGAWAY_MAX_RUNNING_PER_CLIENT sagas running; the rest are 429 too-many-running', async () => {
    const client = newClient();
    const url = await api({ clients: [client], admission: { perClient: 2, total: 0 } });
    const answers = await Promise.all(Array.from({ length: 12 }, () => hold(url, client.key)));
    const statuses = answers.map((a) => a.status);
    const running = await waitFor('the started sagas to be counted', async () => runningOf(client.id).then((n) => (n >= statuses.filter((s) => s === 202).length ? n : false)), 10_000);
    process.stdout.write(`# 12 concurrent starts with perClient=2: answers ${JSON.stringify(statuses)}; ${running} sagas running\n`);
    assert.ok(running <= 2, `${running} sagas running for a client whose bound is 2`);
    assert.equal(statuses.filter((s) => s === 429).length, 10, JSON.stringify(statuses));
    for (const a of answers.filter((x) => x.status === 429)) assert.equal(a.body.type, 'urn:sagaway:problem:too-many-running');
  });
});

describe('readiness asked by anyone', () => {
  it('a hundred /readyz requests without a key cost Temporal at most two calls', async () => {
    const url = await api();
    counted.calls = 0;
    for (let burst = 0; burst < 2; burst++) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => fetch(`${url}/readyz`).then(async (r) => ({ status: r.status, body: (await r.json()) as { status: string } }))));
      assert.ok(answers.every((a) => a.status === 200 && a.body.status === 'ready'), JSON.stringify(answers[0]));
    }
    process.stdout.write(`# 100 anonymous /readyz: ${counted.calls} Temporal calls\n`);
    assert.ok(counted.calls <= 2, `${counted.calls} Temporal calls for 100 anonymous readiness probes`);
  });
});

describe("an operator's event streams", () => {
  it('are capped per operator as a client\'s are: past the cap a new stream is a 429 too-many-streams', async () => {
    const client = newClient();
    const url = await api({ clients: [client], ops: true, events: { maxPerClient: 2 } });
    const started = await hold(url, client.key);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const path = `/v1/ops/sagas/${started.body.id}/events`;
    const streams = [];
    try {
      for (let n = 0; n < 3; n++) streams.push(await openStream(url, path, OPERATOR_KEY));
      process.stdout.write(`# 3 operator streams with a cap of 2: ${JSON.stringify(streams.map((s) => s.status))}\n`);
      assert.deepEqual(streams.map((s) => s.status), [200, 200, 429]);
    } finally {
      for (const s of streams) s.close();
    }
  });
});

describe('event streams opened and closed at once', () => {
  it("leave no more sagas polled for a client than its stream cap; a reconnect to a saga still polled is let in", async () => {
    const client = newClient();
    const url = await api({ clients: [client], events: { maxPerClient: 2, lingerMs: 10_000, pollMs: 500 } });
    const sagas: string[] = [];
    for (let n = 0; n < 4; n++) {
      const started = await hold(url, client.key);
      assert.equal(started.status, 202, JSON.stringify(started.body));
      sagas.push(started.body.id);
    }
    const before = feedsOpen();
    const statuses: number[] = [];
    for (const id of sagas) {
      const stream = await openStream(url, `/v1/sagas/${id}/events`, client.key);
      statuses.push(stream.status);
      stream.close();
    }
    const callsBefore = counted.calls;
    await new Promise((r) => setTimeout(r, 2_000));
    const polled = feedsOpen() - before;
    process.stdout.write(`# open-and-close on 4 sagas, cap 2: answers ${JSON.stringify(statuses)}; ${polled} sagas still polled; ${counted.calls - callsBefore} Temporal calls in the next 2 s\n`);
    assert.ok(polled <= 2, `${polled} sagas polled for a client whose stream cap is 2`);
    const reconnect = await openStream(url, `/v1/sagas/${sagas[0]}/events`, client.key);
    reconnect.close();
    assert.equal(reconnect.status, 200, 'a reconnect to a saga still polled for the client is let in');
  });
});

/**
 * Asks for an event stream and leaves at once: the request is sent whole, then the socket is destroyed,
 * so the client is gone while the route still reads the saga and takes a place.
 */
async function leaveAtOnce(url: string, path: string, key: string): Promise<void> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  const request = `GET ${path} HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: Bearer ${key}\r\naccept: text/event-stream\r\n\r\n`;
  await new Promise<void>((resolve, reject) => socket.write(request, (err) => (err ? reject(err) : resolve())));
  socket.destroy();
}

describe('event streams whose client left before they opened', () => {
  for (const who of ['a client', 'an operator'] as const) {
    it(`give their place back: after six such streams of ${who} whose cap is 2, a new stream is let in`, async () => {
      const client = newClient();
      const url = await api({ clients: [client], ops: true, events: { maxPerClient: 2, lingerMs: 10_000, heartbeatMs: 60_000 } });
      const started = await hold(url, client.key);
      assert.equal(started.status, 202, JSON.stringify(started.body));
      await published(started.body.id);
      const [path, key] = who === 'a client' ? [`/v1/sagas/${started.body.id}/events`, client.key] : [`/v1/ops/sagas/${started.body.id}/events`, OPERATOR_KEY];
      for (let n = 0; n < 6; n++) await leaveAtOnce(url, path, key);
      let last = 0;
      const statuses: number[] = [];
      await waitFor(() => `a stream let in (last answer ${last})`, async () => {
        const stream = await openStream(url, path, key);
        stream.close();
        statuses.push((last = stream.status));
        return stream.status === 200;
      }, 5_000);
      process.stdout.write(`# ${who}: 6 streams left at once with a cap of 2, then answers ${JSON.stringify(statuses)}\n`);
    });
  }
});

/** JSON text nested `depth` arrays deep: `[[[...]]]` (too deep for JSON.stringify to write). */
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('a body nested deep', () => {
  it('is refused with a 400 that says so, even when the fields the route reads are valid', async () => {
    const client = newClient();
    const url = await api({ clients: [client] });
    const body = `${JSON.stringify(orderBody()).slice(0, -1)},"notes":${nested(20_000)}}`;
    const res = await fetch(`${url}/v1/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${client.key}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body,
    });
    const answer = { status: res.status, body: (await res.json()) as { type?: string; detail: string } };
    process.stdout.write(`# a valid order with a field nested 20,000 deep (${body.length} bytes): ${answer.status} ${answer.body?.type ?? ''}\n`);
    assert.equal(answer.status, 400, JSON.stringify(answer.body).slice(0, 300));
    assert.match(answer.body.detail, /nested/);
  });
});

describe('the operator routes', () => {
  it('twenty reads of one running saga by an operator cost at most five Temporal calls, as a client\'s do', async () => {
    const client = newClient();
    const url = await api({ clients: [client], ops: true });
    const started = await hold(url, client.key);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    await published(started.body.id);
    const reads = async (path: string, key: string) => {
      assert.equal((await call(url, 'GET', path, { key })).status, 200);
      counted.calls = 0;
      for (let n = 0; n < 20; n++) assert.equal((await call(url, 'GET', path, { key })).status, 200);
      return counted.calls;
    };
    const asClient = await reads(`/v1/sagas/${started.body.id}`, client.key);
    const asOperator = await reads(`/v1/ops/sagas/${started.body.id}`, OPERATOR_KEY);
    process.stdout.write(`# 20 reads of one running saga: ${asClient} Temporal calls as its client, ${asOperator} as an operator\n`);
    assert.ok(asOperator <= 5, `${asOperator} Temporal calls for 20 operator reads (${asClient} for the client's)`);
  });

  it('the attention list of running sagas costs Temporal at most one call per saga it lists, plus the list', async () => {
    const client = newClient();
    const kiosk = 'kiosk-attention';
    await addKiosk(stack.backendsUrl, kiosk, 20);
    const url = await api({ clients: [client], ops: true });
    for (let n = 0; n < 10; n++) {
      const held = await hold(url, client.key, randomUUID(), kiosk);
      assert.equal(held.status, 202);
      await published(held.body.id);
    }
    const path = `/v1/ops/sagas?pageSize=100&kiosk=${kiosk}`;
    await waitFor('the sagas to be listed', async () => (await call(url, 'GET', path, { key: OPERATOR_KEY })).body.items.length === 10, 10_000);
    const fresh = await api({ clients: [client], ops: true });
    counted.calls = 0;
    const answer = await call(fresh, 'GET', path, { key: OPERATOR_KEY });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.items.length, 10);
    process.stdout.write(`# attention list of ${answer.body.items.length} running sagas on a fresh API: ${counted.calls} Temporal calls\n`);
    assert.ok(counted.calls <= answer.body.items.length + 1, `${counted.calls} Temporal calls to list ${answer.body.items.length} sagas`);
  });
});

describe('the API document', () => {
  it('counts against the per-address rate limit for callers without a key, as every other route does', async () => {
    const url = await api({ rateLimitPerMinute: 5 });
    const statuses: number[] = [];
    for (let n = 0; n < 6; n++) statuses.push((await fetch(`${url}/openapi.json`).then(async (r) => (await r.arrayBuffer(), r.status))));
    process.stdout.write(`# six anonymous /openapi.json with a limit of 5 a minute: ${JSON.stringify(statuses)}\n`);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
  });
});
