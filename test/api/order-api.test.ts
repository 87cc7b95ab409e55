import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { backendRecords, call, callsInFlight, clearFaults, injectFault, waitFor, waitForListed, waitForView } from '../support/http';
import { orderBody } from '../support/orders';
import { OTHER_API_KEY, startStack, type Stack, stuckUndoLog } from '../support/stack';

let stack: Stack;

before(async () => {
  // Every step an ordinary activity here (SAGAWAY_LOCAL_STEPS=false), so this file covers that mode too
  // and a saga past its pivot is still taking updates while its remaining steps run. The saga deadline
  // is tested on the workflow (test/workflow/order-checkout.test.ts), not with a short one for all here.
  // A test's voids answer 500 until the undo is STUCK.
  stack = await startStack({ env: { SAGAWAY_LOCAL_STEPS: 'false' }, tuning: { stuckAfterAttempts: 3 }, expectErrorLogs: [stuckUndoLog('authorizePayment', 'gave up after retries: payments POST /voids: HTTP 500')] });
});

after(async () => {
  await stack?.stop();
});

afterEach(async () => {
  for (const service of ['inventory', 'payments', 'shipping']) await clearFaults(stack.backendsUrl, service);
});

describe('idempotency', () => {
  it('the same key and body twice returns the same saga and starts nothing new', async () => {
    const key = randomUUID();
    const first = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody(), idempotencyKey: key });
    assert.equal(first.status, 202);
    assert.equal(first.body.status, 'RUNNING');
    const again = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody(), idempotencyKey: key, prefer: 'wait=20' });
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.status, 200);
    const afterDone = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody(), idempotencyKey: key });
    assert.equal(afterDone.status, 200, 'a finished saga answers with its final view');
    assert.equal(afterDone.body.status, 'COMPLETED');
    const auths = await backendRecords(stack.backendsUrl, 'payments', first.body.id);
    assert.equal(auths.length, 1);
  });

  it('ten concurrent requests with one key start one saga', async () => {
    const key = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody(), idempotencyKey: key })),
    );
    assert.ok(answers.every((a) => a.status === 202 || a.status === 200), JSON.stringify(answers.map((a) => a.status)));
    assert.equal(new Set(answers.map((a) => a.body.id)).size, 1);
    const view = await waitForView(stack.apiUrl, answers[0]!.body.id, (v) => v.status === 'COMPLETED');
    assert.equal((await backendRecords(stack.backendsUrl, 'payments', view.id)).length, 1);
  });

  it('the same key with another body is 422 and names the key', async () => {
    const key = randomUUID();
    await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody(), idempotencyKey: key });
    const other = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody({ currency: 'GBP' }), idempotencyKey: key });
    assert.equal(other.status, 422);
    assert.equal(other.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.match(other.body.detail, /Idempotency-Key/);
  });

  it('a missing key is 400', async () => {
    const answer = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody(), idempotencyKey: null });
    assert.equal(answer.status, 400);
    assert.match(answer.body.detail, /Idempotency-Key/);
  });
});

describe('validation and access', () => {
  it('names the field that is wrong', async () => {
    const answer = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody({ items: [{ sku: 'book-001', quantity: 0 }] }) });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.type, 'urn:sagaway:problem:validation');
    assert.match(answer.body.detail, /^body\.items\.0\.quantity: /);
  });

  it('refuses an unknown currency and a missing address', async () => {
    const { shippingAddress: _omit, ...noAddress } = orderBody({ currency: 'JPY' });
    const answer = await call(stack.apiUrl, 'POST', '/v1/orders', { body: noAddress });
    assert.equal(answer.status, 400);
    const fields = answer.body.errors.map((e: any) => e.field);
    assert.ok(fields.includes('body.currency'), JSON.stringify(fields));
    assert.ok(fields.includes('body.shippingAddress'), JSON.stringify(fields));
  });

  it('malformed JSON is a 400 problem, not a 500', async () => {
    const res = await fetch(`${stack.apiUrl}/v1/orders`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-client-key-0001', 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: '{"customerId": ',
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as any).type, 'urn:sagaway:problem:malformed-json');
  });

  it('needs a valid API key', async () => {
    assert.equal((await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody(), key: null })).status, 401);
    assert.equal((await call(stack.apiUrl, 'GET', '/v1/sagas', { key: 'not-a-real-key-at-all' })).status, 401);
  });

  it('an unknown saga is 404, and so is another client\'s saga', async () => {
    const unknown = await call(stack.apiUrl, 'GET', '/v1/sagas/saga-doesnotexist');
    assert.equal(unknown.status, 404);
    const mine = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody() });
    const theirs = await call(stack.apiUrl, 'GET', `/v1/sagas/${mine.body.id}`, { key: OTHER_API_KEY });
    assert.equal(theirs.status, 404);
    const cancel = await call(stack.apiUrl, 'POST', `/v1/sagas/${mine.body.id}/cancel`, { key: OTHER_API_KEY, body: {} });
    assert.equal(cancel.status, 404);
  });
});

describe('cancel and deadline', () => {
  it('cancel before the pivot compensates and ends COMPENSATED', async () => {
    // Long enough that the cancel arrives while the call is still out, even on a loaded machine (CI
    // failed once with 1.5 s); the call ends sooner when the cancelled activity hangs up.
    await injectFault(stack.backendsUrl, 'shipping', { op: 'create', mode: 'latency', latencyMs: 10_000 });
    const started = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody() });
    await waitFor('the slow shipment call to reach the carrier', async () => (await callsInFlight(stack.backendsUrl, 'shipping')) > 0);
    const cancel = await call(stack.apiUrl, 'POST', `/v1/sagas/${started.body.id}/cancel`, { body: { reason: 'customer changed their mind' }, prefer: 'wait=20' });
    assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
    assert.equal(cancel.body.status, 'COMPENSATED');
    assert.deepEqual(cancel.body.error.type, 'Cancelled');
    assert.equal(cancel.body.error.message, 'customer changed their mind');
    await waitFor('the slow shipment call to land', async () => (await callsInFlight(stack.backendsUrl, 'shipping')) === 0);
    const held = [
      ...(await backendRecords(stack.backendsUrl, 'inventory', started.body.id)),
      ...(await backendRecords(stack.backendsUrl, 'payments', started.body.id)),
      ...(await backendRecords(stack.backendsUrl, 'shipping', started.body.id)),
    ].filter((r) => ['HELD', 'AUTHORIZED', 'CREATED'].includes(r.status));
    assert.deepEqual(held, [], 'nothing held after the slow shipment call landed');
  });

  it('cancel after the pivot is 409 and the order completes', async () => {
    await injectFault(stack.backendsUrl, 'inventory', { op: 'commit', mode: 'latency', latencyMs: 1_500 });
    const started = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody() });
    await waitForView(stack.apiUrl, started.body.id, (v) => v.steps.some((s: any) => s.name === 'capturePayment' && s.status === 'SUCCEEDED'));
    const cancel = await call(stack.apiUrl, 'POST', `/v1/sagas/${started.body.id}/cancel`, { body: {} });
    assert.equal(cancel.status, 409);
    assert.match(cancel.body.detail, /pivot/);
    const view = await waitForView(stack.apiUrl, started.body.id, (v) => v.status !== 'RUNNING');
    assert.equal(view.status, 'COMPLETED');
  });

});

describe('listing and operations', () => {
  it('lists this client\'s sagas by type and status', async () => {
    const done = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody({ paymentToken: 'tok_declined' }), prefer: 'wait=20' });
    assert.equal(done.body.status, 'COMPENSATED');
    const listed = await waitForListed(stack.apiUrl, 'type=order&status=COMPENSATED&pageSize=100', (item) => item.id === done.body.id);
    assert.equal(listed.status, 'COMPENSATED');
    const other = await call(stack.apiUrl, 'GET', '/v1/sagas?pageSize=100', { key: OTHER_API_KEY });
    assert.equal(other.body.items.some((item: any) => item.id === done.body.id), false, 'another client does not see it');
  });

  it('pages through the list', async () => {
    const first = await call(stack.apiUrl, 'GET', '/v1/sagas?pageSize=2');
    assert.equal(first.body.items.length, 2);
    assert.ok(first.body.nextPageToken);
    const second = await call(stack.apiUrl, 'GET', `/v1/sagas?pageSize=2&pageToken=${first.body.nextPageToken}`);
    assert.equal(second.status, 200);
    assert.notDeepEqual(second.body.items.map((i: any) => i.id), first.body.items.map((i: any) => i.id));
    const forged = await call(stack.apiUrl, 'GET', '/v1/sagas?pageSize=2&pageToken=AAAAforged');
    assert.equal(forged.status, 400, 'a made-up token is refused at once, not sent to Temporal');
    assert.match(forged.body.detail, /^query\.pageToken: /);
    const theirs = await call(stack.apiUrl, 'GET', `/v1/sagas?pageSize=2&pageToken=${first.body.nextPageToken}`, { key: OTHER_API_KEY });
    assert.equal(theirs.status, 400, "another client's token is not valid for this client");
  });

  it('serves readiness, OpenAPI and docs', async () => {
    assert.equal((await call(stack.apiUrl, 'GET', '/readyz')).body.status, 'ready');
    const spec = await call(stack.apiUrl, 'GET', '/openapi.json');
    assert.ok(spec.body.paths['/v1/orders'].post);
    assert.ok(spec.body.paths['/v1/sagas/{id}/cancel'].post);
    const docs = await fetch(`${stack.apiUrl}/docs`);
    assert.equal(docs.status, 200);
  });
});

describe('stuck compensations are visible to operators', () => {
  it('shows the stuck step, its last error and attempts, lists the saga as COMPENSATING, and finishes once the backend recovers', async () => {
    await injectFault(stack.backendsUrl, 'payments', { op: 'void', mode: 'error', status: 500, count: 1_000 });
    await injectFault(stack.backendsUrl, 'shipping', { op: 'create', mode: 'error', status: 422, count: 1_000 });
    const unshippable = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody() });
    assert.equal(unshippable.status, 202);
    const view = await waitForView(stack.apiUrl, unshippable.body.id, (v) => v.steps.some((s: any) => s.status === 'STUCK'));
    assert.equal(view.status, 'COMPENSATING');
    const stuck = view.steps.find((s: any) => s.status === 'STUCK');
    assert.equal(stuck.name, 'authorizePayment');
    assert.ok(stuck.compensation.attempts >= 3);
    assert.match(stuck.compensation.lastError, /500/);
    await waitForListed(stack.apiUrl, 'status=COMPENSATING&pageSize=100', (item) => item.id === unshippable.body.id);
    const metadata = await stack.client.workflow.getHandle(unshippable.body.id).query<{ currentDetails: string }>('__temporal_workflow_metadata');
    assert.match(metadata.currentDetails, /authorizePayment: STUCK \(undo attempts \d+, last error: .*500/);
    await clearFaults(stack.backendsUrl, 'payments');
    const done = await waitForView(stack.apiUrl, unshippable.body.id, (v) => v.status === 'COMPENSATED', 20_000);
    assert.deepEqual((await backendRecords(stack.backendsUrl, 'payments', done.id)).map((r) => r.status), ['VOIDED']);
  });
});
