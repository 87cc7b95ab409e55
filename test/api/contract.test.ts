/**
 * The HTTP contract for every saga type, tried as a client app would: retries, duplicates sent together,
 * waits that end, bodies of every shape.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { addKiosk, bikeBody } from '../support/bikes';
import { createSection } from '../support/classes';
import { backendRecords, call, waitForView } from '../support/http';
import { orderBody } from '../support/orders';
import { OTHER_API_KEY, startStack, type Stack } from '../support/stack';

let stack: Stack;

before(async () => {
  stack = await startStack({ env: { SAGAWAY_KIOSK_CACHE_SECONDS: '60' } });
});

after(async () => {
  await stack?.stop();
});

const registration = (studentId: string, sectionId: string, options: { key?: string; apiKey?: string } = {}) =>
  call(stack.apiUrl, 'POST', '/v1/class-registrations', { body: { studentId, sectionId }, idempotencyKey: options.key, key: options.apiKey });

describe('a retry answers its saga before anything else is asked', () => {
  it('a bike checkout that took the last bike answers its retry with its saga, not kiosk-empty', async () => {
    const kioskId = `kiosk-last-${Date.now()}`;
    await addKiosk(stack.backendsUrl, kioskId, 1);
    const key = randomUUID();
    const first = await call(stack.apiUrl, 'POST', '/v1/bike-checkouts', { body: bikeBody({ kioskId }), idempotencyKey: key });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const again = await call(stack.apiUrl, 'POST', '/v1/bike-checkouts', { body: bikeBody({ kioskId }), idempotencyKey: key });
    assert.ok([200, 202].includes(again.status), JSON.stringify(again.body));
    assert.equal(again.body.id, first.body.id);
  });

  it('retries, also eight at once, lower the kiosk stock once', async () => {
    const kioskId = `kiosk-two-${Date.now()}`;
    await addKiosk(stack.backendsUrl, kioskId, 2);
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 8 }, () => call(stack.apiUrl, 'POST', '/v1/bike-checkouts', { body: bikeBody({ kioskId }), idempotencyKey: key })));
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([202]));
    assert.equal(new Set(answers.map((a) => a.body.id)).size, 1);
    await call(stack.apiUrl, 'POST', '/v1/bike-checkouts', { body: bikeBody({ kioskId }), idempotencyKey: key });
    const other = await call(stack.apiUrl, 'POST', '/v1/bike-checkouts', { body: bikeBody({ kioskId }) });
    assert.equal(other.status, 202, `the second bike is still there: ${JSON.stringify(other.body)}`);
    await waitForView(stack.apiUrl, answers[0]!.body.id, (v) => v.bikes?.[0]?.status === 'ON_ITS_WAY');
    const reservations = (await backendRecords(stack.backendsUrl, 'storage')).filter((r) => r.sagaId === answers[0]!.body.id && r.kind === 'bike-reservation');
    assert.equal(reservations.length, 1, 'one set of backend effects');
  });

  it('a class registration that has filed answers its retry with its saga; another body is 422', async () => {
    const sectionId = await createSection(stack.backendsUrl, 2, 60_000, 120_000);
    const key = randomUUID();
    const first = await registration('s-2001', sectionId, { key });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    await waitForView(stack.apiUrl, first.body.id, (v) => v.stage === 'FILED');
    const again = await registration('s-2001', sectionId, { key });
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.equal(again.body.id, first.body.id);
    const other = await registration('s-2002', sectionId, { key });
    assert.equal(other.status, 422);
  });
});

describe('one live registration per student and section', () => {
  it('two requests sent together: one saga, and a 409 naming it', async () => {
    const sectionId = await createSection(stack.backendsUrl, 2, 60_000, 120_000);
    const [a, b] = await Promise.all([registration('s-2101', sectionId), registration('s-2101', sectionId)]);
    const statuses = [a.status, b.status].sort();
    assert.deepEqual(statuses, [202, 409], JSON.stringify([a.body, b.body]));
    const [won, lost] = a.status === 202 ? [a, b] : [b, a];
    assert.equal(lost.body.type, 'urn:sagaway:problem:already-registered');
    assert.equal(lost.body.sagaId, won.body.id);
  });

  it("another client is refused too, without being shown the first client's saga", async () => {
    const sectionId = await createSection(stack.backendsUrl, 2, 60_000, 120_000);
    const mine = await registration('s-2201', sectionId);
    assert.equal(mine.status, 202);
    const theirs = await registration('s-2201', sectionId, { apiKey: OTHER_API_KEY });
    assert.equal(theirs.status, 409, JSON.stringify(theirs.body));
    assert.equal(theirs.body.sagaId, undefined);
    assert.doesNotMatch(JSON.stringify(theirs.body), new RegExp(mine.body.id));
  });

  it('after the first ended a new one starts, and the first key still answers the first saga', async () => {
    const sectionId = await createSection(stack.backendsUrl, 2, 60_000, 120_000);
    const key = randomUUID();
    const first = await registration('s-2301', sectionId, { key });
    assert.equal(first.status, 202);
    await waitForView(stack.apiUrl, first.body.id, (v) => v.stage === 'FILED');
    const cancel = await call(stack.apiUrl, 'POST', `/v1/sagas/${first.body.id}/cancel`, { prefer: 'wait=20' });
    assert.equal(cancel.body.status, 'COMPENSATED', JSON.stringify(cancel.body));
    const second = await registration('s-2301', sectionId);
    assert.equal(second.status, 202, JSON.stringify(second.body));
    assert.notEqual(second.body.id, first.body.id);
    const retry = await registration('s-2301', sectionId, { key });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.id, first.body.id);
    assert.equal(retry.body.status, 'COMPENSATED');
  });
});

describe('cancel', () => {
  for (const [name, init] of [
    ['no body', {}],
    ['an empty JSON body', { headers: { 'content-type': 'application/json' }, body: '' }],
    ['a reason', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'changed my mind' }) }],
  ] as const) {
    it(`takes ${name}`, async () => {
      const sectionId = await createSection(stack.backendsUrl, 2, 60_000, 120_000);
      const started = await registration(`s-24${Math.floor(Math.random() * 90 + 10)}`, sectionId);
      assert.equal(started.status, 202);
      await waitForView(stack.apiUrl, started.body.id, (v) => v.stage === 'FILED');
      const init2 = init as { headers?: Record<string, string>; body?: string };
      const res = await fetch(`${stack.apiUrl}/v1/sagas/${started.body.id}/cancel`, {
        method: 'POST',
        headers: { authorization: 'Bearer test-client-key-0001', prefer: 'wait=20', ...init2.headers },
        body: init2.body,
      });
      const body = (await res.json()) as Record<string, any>;
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.status, 'COMPENSATED');
    });
  }
});

describe('ill-formed text', () => {
  it('refuses a lone surrogate and control characters, naming the field', async () => {
    const surrogate = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody({ customerId: '\ud800' }) });
    assert.equal(surrogate.status, 400, JSON.stringify(surrogate.body));
    assert.match(surrogate.body.detail, /body\.customerId/);
    const control = await call(stack.apiUrl, 'POST', '/v1/orders', {
      body: orderBody({ shippingAddress: { name: 'Ada\u0007', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' } }),
    });
    assert.equal(control.status, 400, JSON.stringify(control.body));
    assert.match(control.body.detail, /body\.shippingAddress\.name/);
    const reason = await call(stack.apiUrl, 'POST', '/v1/sagas/saga-whatever/cancel', { body: { reason: 'bad\u0000reason' } });
    assert.equal(reason.status, 400, JSON.stringify(reason.body));
    assert.match(reason.body.detail, /body\.reason/);
  });
});
