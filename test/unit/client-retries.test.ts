/**
 * @sagaway/client's safety by default, against a server that answers as a busy or flaky API would: what
 * the server receives is what a user would find (one key for every try of a start, so one saga).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SagawayClient, SagawayNetworkError, SagawayProblem } from '../../packages/client/src';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
const received: Array<{ method: string; url: string; key: string | undefined; body: string; at: number }> = [];
let answers: Handler[] = [];
let baseUrl: string;
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    received.push({ method: req.method!, url: req.url!, key: req.headers['idempotency-key'] as string | undefined, body, at: Date.now() });
    (answers.shift() ?? ok)(req, res, body);
  });
});

const view = { id: 'saga-1', type: 'order', status: 'RUNNING', steps: [], result: null, error: null, createdAt: '', updatedAt: '' };
const ok: Handler = (_req, res) => res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify(view));
const problem = (status: number, slug: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Handler => (req, res) =>
  res.writeHead(status, { 'content-type': 'application/problem+json', ...headers }).end(JSON.stringify({ type: `urn:sagaway:problem:${slug}`, title: slug, status, detail: `${slug} happened`, instance: req.url, ...extra }));
// The request was read (it may have started the saga) and the answer is lost.
const dropped: Handler = (req) => req.socket.destroy();

const order = { customerId: 'c-1', currency: 'EUR', items: [{ sku: 'book-001', quantity: 1 }], paymentToken: 'tok_visa', shippingAddress: { name: 'A', line1: '1', city: 'B', postalCode: '1', country: 'DE' } } as never;
const client = () => new SagawayClient({ baseUrl, apiKey: 'key-0123456789abcdef', retry: { initialDelayMs: 20, maxDelayMs: 100 } });

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received.length = 0;
  answers = [];
});

describe('@sagaway/client retries', () => {
  it('a start answered 503, then lost, then 429 is sent again with the same Idempotency-Key, after Retry-After', async () => {
    answers = [problem(503, 'temporal-unavailable', {}, { 'retry-after': '1' }), dropped, problem(429, 'rate-limited', {}, { 'retry-after': '0' }), ok];
    const saga = await client().startOrder(order);
    assert.equal(saga.id, 'saga-1');
    assert.equal(received.length, 4);
    assert.ok(received[0]!.key && received.every((r) => r.key === received[0]!.key), `one key for every try: ${received.map((r) => r.key).join(', ')}`);
    assert.ok(received.every((r) => r.body === received[0]!.body), 'the same body');
    assert.ok(received[1]!.at - received[0]!.at >= 950, 'waited the Retry-After second');
  });

  it("keeps the caller's key, and two starts without one get two keys", async () => {
    await client().startOrder(order, { idempotencyKey: 'my-key-1' });
    await client().startOrder(order);
    await client().startOrder(order);
    assert.equal(received[0]!.key, 'my-key-1');
    assert.notEqual(received[1]!.key, received[2]!.key);
  });

  it('does not retry a refusal: a reused key is a SagawayProblem with the problem\'s fields', async () => {
    answers = [problem(422, 'idempotency-key-reused', { sagaId: 'saga-9' })];
    const err = await client().startOrder(order, { idempotencyKey: 'k' }).catch((e: unknown) => e);
    assert.ok(err instanceof SagawayProblem);
    assert.equal(err.status, 422);
    assert.equal(err.slug, 'idempotency-key-reused');
    assert.equal(err.detail, 'idempotency-key-reused happened');
    assert.equal(err.problem.sagaId, 'saga-9');
    assert.equal(received.length, 1);
  });

  it('gives up after its retries: the last 503 as a problem, or a SagawayNetworkError when no answer came', async () => {
    answers = Array.from({ length: 5 }, () => problem(503, 'overloaded', {}, { 'retry-after': '0' }));
    const busy = await client().get('saga-1').catch((e: unknown) => e);
    assert.ok(busy instanceof SagawayProblem && busy.status === 503 && busy.retryAfterSeconds === 0);
    assert.equal(received.length, 5, 'the first try and 4 retries');
    received.length = 0;
    answers = Array.from({ length: 5 }, () => dropped);
    const lost = await client().cancel('saga-1').catch((e: unknown) => e);
    assert.ok(lost instanceof SagawayNetworkError);
    assert.equal(received.length, 5);
    assert.equal(received[0]!.url, '/v1/sagas/saga-1/cancel');
  });
});
