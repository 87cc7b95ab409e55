import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app';
import { sagaDepsFrom } from '../../src/api/deps';
import { SagaGateway } from '../../src/api/saga-gateway';
import { AesGcmCodec, parseCodecKeys } from '../../src/codec/aes-gcm-codec';
import { loadConfig } from '../../src/config';
import { DEFAULT_TUNING } from '../../src/domain/saga';
import { orderBody } from '../support/orders';

const CLIENT_KEY = 'roles-client-key-0001';
const OPERATOR_KEY = 'roles-operator-key-0002';
const UI_ORIGIN = 'http://127.0.0.1:8233';

/** The API alone: these routes answer before anything reaches Temporal, so a lazy client to nowhere will do. */
async function apiWith(env: Record<string, string>, rateLimitPerMinute = 1_000): Promise<{ app: FastifyInstance; codec: AesGcmCodec }> {
  const config = loadConfig({ SAGAWAY_ENV: 'development', SAGAWAY_API_KEYS: `shop:${CLIENT_KEY}`, SAGAWAY_OPERATOR_KEYS: `ops:${OPERATOR_KEY}`, ...env });
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const deps = sagaDepsFrom(config, DEFAULT_TUNING);
  const app = await buildApp({
    gateway: new SagaGateway(client, 'nowhere'),
    apiKeys: config.api.keys,
    operatorKeys: config.api.operatorKeys,
    ...deps,
    // Load shedding is another test's subject: a loaded CI machine must not turn these answers into 503s.
    protection: { rateLimitPerMinute, maxEventLoopDelayMs: 3_600_000 },
  });
  return { app, codec: new AesGcmCodec(parseCodecKeys(config.codecKeys)) };
}

const sealedPayload = async (codec: AesGcmCodec) => {
  const [sealed] = await codec.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"line1":"1 Analytical Way"}') }]);
  return { payloads: [{ metadata: Object.fromEntries(Object.entries(sealed!.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])), data: Buffer.from(sealed!.data!).toString('base64') }] };
};

const decode = (app: FastifyInstance, body: unknown, headers: Record<string, string>, remoteAddress = '127.0.0.1') =>
  app.inject({ method: 'POST', url: '/codec/decode', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body), remoteAddress });

describe('roles', () => {
  let dev: { app: FastifyInstance; codec: AesGcmCodec };
  before(async () => {
    dev = await apiWith({});
  });
  after(async () => {
    await dev.app.close();
  });

  it('the codec decodes for an operator key only: a client key is 403, no key 401', async () => {
    const body = await sealedPayload(dev.codec);
    assert.equal((await decode(dev.app, body, { authorization: `Bearer ${CLIENT_KEY}` })).statusCode, 403);
    assert.equal((await decode(dev.app, body, {})).statusCode, 401);
    const decoded = await decode(dev.app, body, { authorization: `Bearer ${OPERATOR_KEY}` });
    assert.equal(decoded.statusCode, 200);
    assert.match(Buffer.from(decoded.json().payloads[0].data, 'base64').toString(), /Analytical Way/);
  });

  it('lets the embedded UI decode without a key only in development and only from loopback', async () => {
    const body = await sealedPayload(dev.codec);
    assert.equal((await decode(dev.app, body, { origin: UI_ORIGIN })).statusCode, 200);
    assert.equal((await decode(dev.app, body, { origin: UI_ORIGIN }, '203.0.113.9')).statusCode, 401, 'the UI origin from another machine');
    const prod = await apiWith({ SAGAWAY_ENV: 'production', SAGAWAY_CODEC_KEYS: `k1:${Buffer.alloc(32, 3).toString('base64')}`, SAGAWAY_PAGE_TOKEN_SECRET: 'p'.repeat(40), SAGAWAY_FEDERATION_KEYS: `f1:${Buffer.alloc(32, 4).toString('base64')}`, SAGAWAY_PAYMENTS_CLIENT_SECRET: 's'.repeat(24) });
    assert.equal((await decode(prod.app, await sealedPayload(prod.codec), { origin: UI_ORIGIN })).statusCode, 401);
    await prod.app.close();
  });

  it('caps the codec body like every route', async () => {
    const answer = await decode(dev.app, { payloads: [{ data: 'A'.repeat(200_000) }] }, { authorization: `Bearer ${OPERATOR_KEY}` });
    assert.equal(answer.statusCode, 413, answer.body);
  });

  it('an operator key does not act as a client', async () => {
    const answer = await dev.app.inject({ method: 'GET', url: '/v1/sagas', headers: { authorization: `Bearer ${OPERATOR_KEY}` } });
    assert.equal(answer.statusCode, 403);
  });
});

describe('limits', () => {
  it('counts rejected requests: 40 bad bodies against a limit of 20 a minute meet 429', async () => {
    const { app } = await apiWith({}, 20);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i += 1) {
      const answer = await app.inject({ method: 'POST', url: '/v1/orders', headers: { authorization: `Bearer ${CLIENT_KEY}`, 'idempotency-key': `bad-${i}`, 'content-type': 'application/json' }, payload: JSON.stringify(orderBody({ items: 'not a list' })) });
      statuses.push(answer.statusCode);
    }
    await app.close();
    assert.deepEqual([...new Set(statuses)], [400, 429]);
    assert.equal(statuses.filter((s) => s === 400).length, 20);
  });

  it('limits an unauthenticated flood per address, and another address keeps its budget', async () => {
    const { app } = await apiWith({}, 5);
    const anonymous = (remoteAddress: string) => app.inject({ method: 'GET', url: '/v1/sagas', headers: { authorization: 'Bearer not-a-key-at-all-0000' }, remoteAddress });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i += 1) statuses.push((await anonymous('198.51.100.7')).statusCode);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
    assert.equal((await anonymous('198.51.100.8')).statusCode, 401);
    const codec = await decode(app, { payloads: [] }, {}, '198.51.100.9');
    assert.equal(codec.statusCode, 401);
    await app.close();
  });
});
