import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { FederationSigner } from '../../src/activities/federation';
import { Part } from '../../src/dev/part';
import { backendRecords, call, injectFault, waitForView } from '../support/http';
import { orderBody } from '../support/orders';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
let signer: FederationSigner;

before(async () => {
  // Payments' access tokens live 2 s, so a run of orders sees them renewed.
  stack = await startStack({ env: { SAGAWAY_PAYMENTS_TOKEN_TTL_SECONDS: '2' } });
  signer = new FederationSigner(stack.config.security.federationKeys);
});

after(async () => {
  await stack?.stop();
});

const reservation = { items: [{ sku: 'book-001', quantity: 1 }] };
const mint = (audience: string, by = signer, issuedAt?: number) =>
  by.mint({ audience, client: 'test', call: { sagaId: `direct-${randomBytes(4).toString('hex')}`, step: 'reserveInventory' } }, issuedAt);

/** One reservation straight at the inventory service, as an attacker or a confused caller would send it. */
async function reserve(token: string | null): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': `direct-${randomBytes(8).toString('hex')}` };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${stack.backendsUrl}/inventory/reservations`, { method: 'POST', headers, body: JSON.stringify(reservation) });
  return { status: res.status, body: await res.json() };
}

async function completedOrder(): Promise<string> {
  const answer = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody() });
  assert.equal(answer.status, 202, JSON.stringify(answer.body));
  return answer.body.id as string;
}

const oauth = (action: 'GET' | 'POST') =>
  fetch(`${stack.backendsUrl}/payments/_admin/oauth${action === 'POST' ? '/revoke' : ''}`, { method: action }).then((r) => r.json() as Promise<{ issued: number }>);

describe("federation: every backend verifies sagaway's token", () => {
  it('refuses, with a 401 problem and nothing applied, a call without a token, expired, replayed, for another backend or signed by another key', async () => {
    const before = (await backendRecords(stack.backendsUrl, 'inventory')).length;
    const good = await mint('inventory');
    const refused = {
      none: await reserve(null),
      expired: await reserve(await mint('inventory', signer, Math.floor(Date.now() / 1000) - 120)),
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
    const id = await completedOrder();
    await waitForView(stack.apiUrl, id, (v) => v.status === 'COMPLETED');
    const history = JSON.stringify(await stack.client.workflow.getHandle(id).fetchHistory());
    assert.ok(history.includes('sagaway-client'), 'activities carry the client header');
    assert.ok(!/eyJ[A-Za-z0-9_-]{10,}\./.test(history), 'no JWT in the history');
  });

  it('payments takes an OAuth access token, renewed across its expiry during a run of orders and once after a 401', async () => {
    const start = (await oauth('GET')).issued;
    let orders = 0;
    while (orders < 60 && (await oauth('GET')).issued < start + 3) {
      await waitForView(stack.apiUrl, await completedOrder(), (v) => v.status === 'COMPLETED');
      orders += 1;
    }
    assert.ok((await oauth('GET')).issued >= start + 3, `tokens renewed as they expired over ${orders} orders`);
    await oauth('POST');
    const revokedAt = (await oauth('GET')).issued;
    await waitForView(stack.apiUrl, await completedOrder(), (v) => v.status === 'COMPLETED');
    assert.ok((await oauth('GET')).issued > revokedAt, 'a refused token is replaced');
    const withoutAccessToken = await fetch(`${stack.backendsUrl}/payments/authorizations`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'no-oauth', 'sagaway-federation': await mint('payments') }, body: '{}' });
    assert.equal(withoutAccessToken.status, 401);
    const badSecret = await fetch(`${stack.backendsUrl}/payments/oauth/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('sagaway-worker:wrong-secret-0000000').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    assert.equal(badSecret.status, 401);
  });

  it('a signing key rotated mid-run (a rolling restart of the worker) loses no saga', async () => {
    await injectFault(stack.backendsUrl, 'shipping', { op: 'create', mode: 'error', status: 503, count: 3 });
    const ids = await Promise.all([completedOrder(), completedOrder(), completedOrder()]);
    // The new worker signs with a new key and publishes it beside the old one; the backends learn it on first sight.
    const rotated = `rot-2:${randomBytes(32).toString('base64')},${stack.config.security.federationKeys}`;
    const next = new Part('worker-2', { ...process.env, ...stack.launched.env, SAGAWAY_FEDERATION_KEYS: rotated }, stack.launched.dataDir);
    await stack.launched.parts.worker!.stop();
    next.start();
    try {
      for (const id of ids) await waitForView(stack.apiUrl, id, (v) => v.status === 'COMPLETED', 60_000);
      await waitForView(stack.apiUrl, await completedOrder(), (v) => v.status === 'COMPLETED', 60_000);
    } finally {
      await next.stop();
      next.close();
    }
  });
});
