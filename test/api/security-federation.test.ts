import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { FederationSigner } from '../../src/activities/federation';
import { loadConfig } from '../../src/config';
import { createWorker } from '../../src/worker';
import { backendRecords, call, injectFault, waitForView } from '../support/http';
import { orderBody } from '../support/orders';
import { startStack, workflowBundle, type Stack } from '../support/stack';

const OAUTH_TTL_SECONDS = 2;
let stack: Stack;

before(async () => {
  stack = await startStack({ oauthTokenTtlSeconds: OAUTH_TTL_SECONDS });
});

after(async () => {
  await stack?.stop();
});

const reservation = { items: [{ sku: 'book-001', quantity: 1 }] };
const mint = (audience: string, signer = stack.federation.signer, issuedAt?: number) =>
  signer.mint({ audience, client: 'test', call: { sagaId: `direct-${randomBytes(4).toString('hex')}`, step: 'reserveInventory' } }, issuedAt);

/** One reservation straight at the inventory service, as an attacker or a confused caller would send it. */
async function reserve(token: string | null): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': `direct-${randomBytes(8).toString('hex')}` };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${stack.backendsUrl}/inventory/reservations`, { method: 'POST', headers, body: JSON.stringify(reservation) });
  return { status: res.status, body: await res.json() };
}

const runOrder = async () => {
  const answer = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody() });
  assert.equal(answer.status, 202, JSON.stringify(answer.body));
  return answer.body.id as string;
};

describe('federation: every backend verifies sagaway\'s token', () => {
  it('refuses, with a 401 problem and nothing applied, a call without a token, expired, replayed, for another backend or signed by another key', async () => {
    const before = (await backendRecords(stack.backendsUrl, 'inventory')).length;
    const good = await mint('inventory');
    const refused = {
      none: await reserve(null),
      expired: await reserve(await mint('inventory', stack.federation.signer, Math.floor(Date.now() / 1000) - 120)),
      otherBackend: await reserve(await mint('payments')),
      foreignKey: await reserve(await mint('inventory', new FederationSigner(`dev-fed-1:${randomBytes(32).toString('base64')}`))),
    };
    const first = await reserve(good);
    const replayed = await reserve(good);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    for (const [why, answer] of Object.entries({ ...refused, replayed })) {
      assert.equal(answer.status, 401, `${why}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.code, 'Unauthorized', why);
    }
    assert.equal((await backendRecords(stack.backendsUrl, 'inventory')).length, before + 1, 'only the one good call applied anything');
  });

  it('keeps tokens out of workflow histories: the workflow hands activities the client id, never a key or a token', async () => {
    const id = await runOrder();
    await waitForView(stack.apiUrl, id, (v) => v.status === 'COMPLETED');
    const history = JSON.stringify(await stack.client.workflow.getHandle(id).fetchHistory());
    assert.ok(history.includes('sagaway-client'), 'activities carry the client header');
    assert.ok(!/eyJ[A-Za-z0-9_-]{10,}\./.test(history), 'no JWT in the history');
  });

  it('payments takes an OAuth access token, renewed across its expiry during a run of orders and once after a 401', async () => {
    const issued = async () => ((await (await fetch(`${stack.backendsUrl}/payments/_admin/oauth`)).json()) as { issued: number }).issued;
    const start = await issued();
    const ids: string[] = [];
    for (let i = 0; i < 60 && (await issued()) < start + 3; i += 1) {
      const id = await runOrder();
      ids.push(id);
      await waitForView(stack.apiUrl, id, (v) => v.status === 'COMPLETED');
    }
    assert.ok((await issued()) >= start + 3, `tokens renewed as they expired (${(await issued()) - start} issued over ${ids.length} orders)`);
    stack.backends.paymentsOAuth.revokeAll();
    const afterRevoke = await issued();
    const id = await runOrder();
    await waitForView(stack.apiUrl, id, (v) => v.status === 'COMPLETED');
    assert.ok((await issued()) > afterRevoke, 'a refused token is replaced');
    const noToken = await fetch(`${stack.backendsUrl}/payments/authorizations`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'x', 'sagaway-federation': await mint('payments') }, body: '{}' });
    assert.equal(noToken.status, 401);
    const badSecret = await fetch(`${stack.backendsUrl}/payments/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('sagaway-worker:wrong-secret-0000000').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    assert.equal(badSecret.status, 401);
  });

  it('a signing key rotated mid-run loses no saga', async () => {
    await injectFault(stack.backendsUrl, 'shipping', { op: 'create', mode: 'error', status: 503, count: 3 });
    const ids = await Promise.all([runOrder(), runOrder(), runOrder()]);
    // A rolling restart: the new worker signs with a new key and publishes it beside the old one.
    const rotated = `rot-2:${randomBytes(32).toString('base64')},dev-fed-1:${Buffer.from('sagaway-dev-federation-seed-open').toString('base64')}`;
    stack.worker.shutdown();
    await stack.workerDone;
    const config = loadConfig({ ...process.env, SAGAWAY_ENV: 'development', SAGAWAY_BACKENDS_URL: stack.backendsUrl, SAGAWAY_TASK_QUEUE: stack.config.taskQueue, SAGAWAY_FEDERATION_KEYS: rotated, SAGAWAY_HTTP_TIMEOUT_MS: '2000' });
    stack.federation.signer = new FederationSigner(rotated);
    const { worker, close } = await createWorker({ config, connection: stack.nativeConnection, namespace: 'default', logger: pino({ level: 'silent' }), workflowBundle: await workflowBundle() });
    const running = worker.run();
    try {
      for (const id of ids) await waitForView(stack.apiUrl, id, (v) => v.status === 'COMPLETED', 60_000);
      const fresh = await runOrder();
      await waitForView(stack.apiUrl, fresh, (v) => v.status === 'COMPLETED', 60_000);
    } finally {
      worker.shutdown();
      await running.catch(() => undefined);
      await close();
    }
  });
});
