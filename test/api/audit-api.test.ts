import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app';
import { sagaDepsFrom } from '../../src/api/deps';
import { SagaGateway } from '../../src/api/saga-gateway';
import { openAuditStore, type AuditStore } from '../../src/audit';
import { auditConfigFrom, ConfigError, DEV_AUDIT_SIGNING_KEYS, DEV_AUDITOR_KEYS, loadConfig } from '../../src/config';
import { DEFAULT_TUNING } from '../../src/domain/saga';

const CLIENT_KEY = 'audit-client-key-0001';
const OPERATOR_KEY = 'audit-operator-key-0002';
const AUDITOR_KEY = 'audit-auditor-key-0003';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('the audit routes', () => {
  let dir: string;
  let store: AuditStore;
  let app: FastifyInstance;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sagaway-audit-api-'));
    const env = { SAGAWAY_ENV: 'development', SAGAWAY_DATA_DIR: dir, SAGAWAY_API_KEYS: `shop:${CLIENT_KEY}`, SAGAWAY_OPERATOR_KEYS: `ops:${OPERATOR_KEY}`, SAGAWAY_AUDITOR_KEYS: `regulator:${AUDITOR_KEY}` };
    const config = loadConfig(env);
    const audit = auditConfigFrom(env);
    store = openAuditStore(audit);
    await store.append({ sagaId: 'saga-t1', sagaType: 'transfer', kind: 'requested', key: 'requested', actor: { client: 'shop' }, data: { amount: 100 } });
    await store.append({ sagaId: 'saga-t2', sagaType: 'transfer', kind: 'requested', key: 'requested', actor: { client: 'other-bank' }, data: { amount: 7 } });
    await store.append({ sagaId: 'saga-t1', sagaType: 'transfer', kind: 'status', key: 'status:COMPLETED', data: { status: 'COMPLETED' } });
    app = await buildApp({
      gateway: new SagaGateway(new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }), 'nowhere'),
      apiKeys: config.api.keys,
      operatorKeys: config.api.operatorKeys,
      audit: { reader: store, auditorKeys: audit.auditorKeys },
      ...sagaDepsFrom(config, DEFAULT_TUNING),
      protection: { rateLimitPerMinute: 1_000, maxEventLoopDelayMs: 3_600_000 },
    });
  });

  after(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("an auditor reads any client's saga trail, in order, its chain intact", async () => {
    const answer = await app.inject({ method: 'GET', url: '/v1/audit/sagas/saga-t1', headers: bearer(AUDITOR_KEY) });
    assert.equal(answer.statusCode, 200, answer.body);
    const body = answer.json();
    assert.deepEqual(body.entries.map((e: { kind: string; sagaSeq: number }) => [e.sagaSeq, e.kind]), [[1, 'requested'], [2, 'status']]);
    assert.equal(body.sagaChainIntact, true);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/audit/sagas/saga-none', headers: bearer(AUDITOR_KEY) })).statusCode, 404);
  });

  it('an auditor lists entries by time, page by page', async () => {
    const first = await app.inject({ method: 'GET', url: '/v1/audit/entries?since=2000-01-01T00:00:00Z&limit=2', headers: bearer(AUDITOR_KEY) });
    assert.equal(first.statusCode, 200, first.body);
    assert.deepEqual(first.json().entries.map((e: { sagaId: string }) => e.sagaId), ['saga-t1', 'saga-t2']);
    const rest = await app.inject({ method: 'GET', url: `/v1/audit/entries?after=${first.json().next}`, headers: bearer(AUDITOR_KEY) });
    assert.deepEqual(rest.json(), { entries: [rest.json().entries[0]], next: null });
    assert.equal(rest.json().entries[0].globalSeq, 3);
    const future = await app.inject({ method: 'GET', url: '/v1/audit/entries?since=2999-01-01T00:00:00Z', headers: bearer(AUDITOR_KEY) });
    assert.deepEqual(future.json(), { entries: [], next: null });
  });

  it('a client or operator key on the audit is 403, no key 401; an auditor key anywhere else is 403', async () => {
    for (const key of [CLIENT_KEY, OPERATOR_KEY]) {
      assert.equal((await app.inject({ method: 'GET', url: '/v1/audit/sagas/saga-t1', headers: bearer(key) })).statusCode, 403, key);
      assert.equal((await app.inject({ method: 'GET', url: '/v1/audit/entries', headers: bearer(key) })).statusCode, 403, key);
    }
    assert.equal((await app.inject({ method: 'GET', url: '/v1/audit/entries' })).statusCode, 401);
    for (const [method, url] of [['GET', '/v1/sagas'], ['GET', '/v1/sagas/saga-t1'], ['POST', '/v1/orders'], ['POST', '/codec/decode']] as const) {
      const answer = await app.inject({ method, url, headers: { ...bearer(AUDITOR_KEY), 'content-type': 'application/json' }, payload: method === 'POST' ? '{}' : undefined });
      assert.equal(answer.statusCode, 403, `${method} ${url}: ${answer.body}`);
    }
  });
});

describe('the audit configuration', () => {
  it('production refuses the development signing key and auditor key, and a key shared with a client', () => {
    assert.throws(() => auditConfigFrom({ SAGAWAY_ENV: 'production' }), ConfigError);
    assert.throws(() => auditConfigFrom({ SAGAWAY_ENV: 'production', SAGAWAY_AUDIT_SIGNING_KEYS: DEV_AUDIT_SIGNING_KEYS }), /SAGAWAY_AUDIT_SIGNING_KEYS/);
    const own = `prod-1:${Buffer.alloc(32, 9).toString('base64')}`;
    assert.throws(() => auditConfigFrom({ SAGAWAY_ENV: 'production', SAGAWAY_AUDIT_SIGNING_KEYS: own, SAGAWAY_AUDITOR_KEYS: DEV_AUDITOR_KEYS }), /SAGAWAY_AUDITOR_KEYS/);
    assert.throws(() => auditConfigFrom({ SAGAWAY_ENV: 'development', SAGAWAY_API_KEYS: `shop:${AUDITOR_KEY}`, SAGAWAY_AUDITOR_KEYS: `r:${AUDITOR_KEY}` }), /must not also be/);
    assert.equal(auditConfigFrom({ SAGAWAY_ENV: 'production', SAGAWAY_AUDIT_SIGNING_KEYS: own }).auditorKeys.size, 0);
  });
});
