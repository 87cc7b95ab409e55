import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { call, clearFaults, injectFault, waitForView } from '../support/http';
import { orderBody } from '../support/orders';
import { readEvents, type SseEvent } from '../support/sse';
import { API_KEY, OTHER_API_KEY, startStack, type Stack, stuckUndoLog } from '../support/stack';

let stack: Stack;

before(async () => {
  stack = await startStack({
    env: { SAGAWAY_LOCAL_STEPS: 'false', SAGAWAY_EVENTS_POLL_MS: '200', SAGAWAY_EVENTS_HEARTBEAT_MS: '300', SAGAWAY_EVENTS_LINGER_MS: '2000', SAGAWAY_EVENTS_MAX_PER_CLIENT: '3' },
    tuning: { stuckAfterAttempts: 2 },
    // The tests' voids answer 500 until an undo is STUCK.
    expectErrorLogs: [stuckUndoLog('authorizePayment', 'gave up after retries: payments POST /voids: HTTP 500')],
  });
});

after(async () => {
  await stack?.stop();
});

afterEach(async () => {
  for (const service of ['payments', 'shipping']) await clearFaults(stack.backendsUrl, service);
});

const eventsUrl = (id: string) => `${stack.apiUrl}/v1/sagas/${id}/events`;
const label = (e: SseEvent) => (e.event === 'step' ? `${e.data.step}:${e.data.status}` : `${e.event}:${e.data.status ?? e.data.action}`);

describe('GET /v1/sagas/{id}/events', () => {
  it('an order\'s every step transition and status change, with ids, then the stream closes', async () => {
    const started = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody() });
    const { status, events, closedByServer } = await readEvents(eventsUrl(started.body.id));
    assert.equal(status, 200);
    assert.equal(closedByServer, true, 'closed at the end of the saga');
    const view = await waitForView(stack.apiUrl, started.body.id, (v) => v.status === 'COMPLETED');
    const expected = view.steps.flatMap((s: any) => [`${s.name}:RUNNING`, `${s.name}:SUCCEEDED`]);
    const steps = events.filter((e) => e.event === 'step').map(label);
    assert.deepEqual([...steps].sort(), [...expected].sort());
    for (const s of view.steps) assert.ok(steps.indexOf(`${s.name}:RUNNING`) < steps.indexOf(`${s.name}:SUCCEEDED`));
    assert.deepEqual(events.filter((e) => e.event === 'status').map(label), ['status:RUNNING', 'status:COMPLETED']);
    assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'every event has its own id');
  });

  it('resumes with Last-Event-ID: a stuck compensation, a reconnect, and only what was missed', async () => {
    await injectFault(stack.backendsUrl, 'payments', { op: 'void', mode: 'error', status: 500, count: 1_000 });
    await injectFault(stack.backendsUrl, 'shipping', { op: 'create', mode: 'error', status: 422, count: 1_000 });
    const started = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody() });
    const first = await readEvents(eventsUrl(started.body.id), { stopWhen: (es) => es.some((e) => label(e) === 'authorizePayment:STUCK') });
    assert.equal(first.closedByServer, false);
    await clearFaults(stack.backendsUrl, 'payments');
    const rest = await readEvents(eventsUrl(started.body.id), { lastEventId: first.events.at(-1)!.id });
    assert.equal(rest.closedByServer, true);
    const seen = [...first.events, ...rest.events];
    assert.equal(new Set(seen.map((e) => e.id)).size, seen.length, 'nothing sent twice');
    assert.deepEqual(rest.events.filter((e) => e.data.step === 'authorizePayment').map(label), ['authorizePayment:COMPENSATED']);
    assert.deepEqual(seen.filter((e) => e.event === 'status').map(label), ['status:RUNNING', 'status:COMPENSATING', 'status:COMPENSATED']);
  });

  it('sends heartbeats, and is another client\'s 404', async () => {
    await injectFault(stack.backendsUrl, 'payments', { op: 'void', mode: 'error', status: 500, count: 1_000 });
    await injectFault(stack.backendsUrl, 'shipping', { op: 'create', mode: 'error', status: 422, count: 1_000 });
    const started = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody() });
    const quiet = await readEvents(eventsUrl(started.body.id), { stopWhen: (es, comments) => comments >= 2 && es.some((e) => label(e) === 'authorizePayment:STUCK') });
    assert.ok(quiet.comments >= 2);
    const other = await readEvents(eventsUrl(started.body.id), { key: OTHER_API_KEY });
    assert.equal(other.status, 404);
    const unknown = await readEvents(eventsUrl('saga-nobody'));
    assert.equal(unknown.status, 404);
    await clearFaults(stack.backendsUrl, 'payments');
    await waitForView(stack.apiUrl, started.body.id, (v) => v.status === 'COMPENSATED');
  });

  it('a client that goes away ends its stream, and the saga\'s poller stops soon after', async () => {
    await injectFault(stack.backendsUrl, 'payments', { op: 'void', mode: 'error', status: 500, count: 1_000 });
    await injectFault(stack.backendsUrl, 'shipping', { op: 'create', mode: 'error', status: 422, count: 1_000 });
    const started = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody() });
    const gauges = async () => {
      const text = await (await fetch(`${stack.apiUrl}/metrics`)).text();
      return { streams: Number(/^sagaway_event_streams_open (\d+)/m.exec(text)?.[1]), feeds: Number(/^sagaway_event_feeds_open (\d+)/m.exec(text)?.[1]) };
    };
    const watching = readEvents(eventsUrl(started.body.id), { stopWhen: (es) => es.some((e) => label(e) === 'authorizePayment:STUCK') });
    await watching;
    const deadline = Date.now() + 10_000;
    let now = await gauges();
    while ((now.streams !== 0 || now.feeds !== 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      now = await gauges();
    }
    assert.deepEqual(now, { streams: 0, feeds: 0 });
    await clearFaults(stack.backendsUrl, 'payments');
    await waitForView(stack.apiUrl, started.body.id, (v) => v.status === 'COMPENSATED');
  });

  it('a client may hold a bounded number of streams; closing one frees its place', async () => {
    await injectFault(stack.backendsUrl, 'payments', { op: 'void', mode: 'error', status: 500, count: 1_000 });
    await injectFault(stack.backendsUrl, 'shipping', { op: 'create', mode: 'error', status: 422, count: 1_000 });
    const started = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody() });
    const aborts = Array.from({ length: 3 }, () => new AbortController());
    const open = await Promise.all(aborts.map((a) => fetch(eventsUrl(started.body.id), { headers: { authorization: `Bearer ${API_KEY}` }, signal: a.signal })));
    assert.deepEqual(open.map((r) => r.status), [200, 200, 200]);
    const fourth = await readEvents(eventsUrl(started.body.id));
    assert.equal(fourth.status, 429);
    assert.equal((await readEvents(eventsUrl(started.body.id), { key: OTHER_API_KEY })).status, 404, 'another client gets its 404 (not its saga), not this client\'s cap');
    aborts[0]!.abort();
    const deadline = Date.now() + 10_000;
    let again = await readEvents(eventsUrl(started.body.id), { stopWhen: (es) => es.length > 0 });
    while (again.status === 429 && Date.now() < deadline) again = await readEvents(eventsUrl(started.body.id), { stopWhen: (es) => es.length > 0 });
    assert.equal(again.status, 200);
    for (const a of aborts) a.abort();
    await clearFaults(stack.backendsUrl, 'payments');
    await waitForView(stack.apiUrl, started.body.id, (v) => v.status === 'COMPENSATED');
  });
});
