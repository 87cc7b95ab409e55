/**
 * `Prefer: wait` ends everything it started when the HTTP wait ends: the Temporal long-polls are
 * counted at the gRPC layer of the API's own connection, not by the code under test.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app';
import { sagaDepsFrom } from '../../src/api/deps';
import { SagaGateway } from '../../src/api/saga-gateway';
import { dataConverterFrom } from '../../src/codec';
import { DEFAULT_TUNING } from '../../src/domain/saga';
import { addKiosk, bikeBody } from '../support/bikes';
import { call } from '../support/http';
import { API_KEY, OTHER_API_KEY, startStack, type Stack } from '../support/stack';

// The cap per client: large enough that the 300 waits of the first test run 35 at a time (about 9 s).
const MAX_WAITS = 40;
let stack: Stack;
let connection: Connection;
let app: FastifyInstance;
let apiUrl: string;
let openPolls = 0;

/** Counts the history long-polls (what `handle.result()` runs) that have not ended yet. */
const countPolls: Interceptor = (options, nextCall) => {
  const isPoll = options.method_definition.path.endsWith('/GetWorkflowExecutionHistory');
  return new InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      if (isPoll) openPolls += 1;
      next(metadata, {
        onReceiveStatus(status, nextStatus) {
          if (isPoll) openPolls -= 1;
          nextStatus(status);
        },
      });
    },
  });
};

before(async () => {
  stack = await startStack();
  connection = await Connection.connect({ address: stack.launched.temporalAddress, interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), countPolls] });
  const client = new Client({ connection, namespace: 'default', dataConverter: dataConverterFrom(stack.config.codecKeys) });
  app = await buildApp({
    gateway: new SagaGateway(client, stack.config.taskQueue, undefined, { maxWaitsPerClient: MAX_WAITS, liveQueryBudgetMs: 150 }),
    apiKeys: stack.config.api.keys,
    ...sagaDepsFrom(stack.config, DEFAULT_TUNING),
    // Load shedding answers 503 on a busy machine; what is counted here is the waits, not the shedding.
    protection: undefined,
  });
  apiUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  await addKiosk(stack.backendsUrl, 'kiosk-waits', 50);
});

after(async () => {
  await app?.close();
  // A long-poll cut short may be sent again by the connection's retry a moment later: the connection is
  // closed once none has been open for two seconds (bounded), or that retry meets a closed channel.
  const quietUntil = Date.now() + 30_000;
  for (let quietSince = Date.now(); Date.now() - quietSince < 2_000 && Date.now() < quietUntil; ) {
    if (openPolls > 0) quietSince = Date.now();
    await new Promise((r) => setTimeout(r, 50));
  }
  await connection?.close();
  await stack?.stop();
});

async function until(what: string, done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A bike checkout that waits for its door sensor (two minutes): a saga that will not end during the test. */
async function heldSaga(client = API_KEY): Promise<{ key: string; id: string }> {
  const key = randomUUID();
  const started = await call(apiUrl, 'POST', '/v1/bike-checkouts', { body: bikeBody({ kioskId: 'kiosk-waits' }), idempotencyKey: key, key: client });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return { key, id: started.body.id };
}

describe('Prefer: wait', () => {
  it('ends the long-poll when the client goes away', async () => {
    const waiter = await heldSaga();
    await assert.rejects(
      fetch(`${apiUrl}/v1/bike-checkouts`, {
        method: 'POST',
        headers: { authorization: 'Bearer test-client-key-0001', 'content-type': 'application/json', 'idempotency-key': waiter.key, prefer: 'wait=30' },
        body: JSON.stringify(bikeBody({ kioskId: 'kiosk-waits' })),
        signal: AbortSignal.timeout(1_000),
      }),
    );
    await until('the abandoned long-poll ended', () => openPolls === 0, 5_000);
  });

  // Side by side, as two clients (the cap is per client); the first test's last check waits for both.
  describe('under load', { concurrency: true }, () => {
    it('leaves no long-poll open after 300 waits of 1 s', async () => {
      const saga = await heldSaga();
      let next = 0;
      const statuses: number[] = [];
      await Promise.all(
        Array.from({ length: MAX_WAITS - 5 }, async () => {
          while (next < 300) {
            next += 1;
            const answer = await call(apiUrl, 'POST', '/v1/bike-checkouts', { body: bikeBody({ kioskId: 'kiosk-waits' }), idempotencyKey: saga.key, prefer: 'wait=1' });
            statuses.push(answer.status);
          }
        }),
      );
      assert.deepEqual(new Set(statuses), new Set([202]));
      await until('every long-poll ended', () => openPolls === 0);
    });

    it(`caps open waits per client at ${MAX_WAITS}: past it, 429 with Retry-After`, async () => {
      const saga = await heldSaga(OTHER_API_KEY);
      const answers = await Promise.all(
        Array.from({ length: MAX_WAITS + 5 }, () => call(apiUrl, 'POST', '/v1/bike-checkouts', { body: bikeBody({ kioskId: 'kiosk-waits' }), idempotencyKey: saga.key, key: OTHER_API_KEY, prefer: 'wait=10' })),
      );
      const refused = answers.filter((a) => a.status === 429);
      assert.equal(refused.length, 5, JSON.stringify(answers.map((a) => a.status)));
      assert.ok(Number(refused[0]!.headers.get('retry-after')) >= 1);
      assert.equal(answers.filter((a) => a.status === 202).length, MAX_WAITS);
    });
  });
});
