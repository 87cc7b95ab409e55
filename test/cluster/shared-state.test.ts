import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app';
import { sagaDepsFrom } from '../../src/api/deps';
import { KioskStockCache, MemoryStockStore } from '../../src/api/kiosk-stock';
import { SagaGateway } from '../../src/api/saga-gateway';
import { RedisStockStore, sharedStateFrom } from '../../src/api/shared-state';
import { FederationSigner } from '../../src/activities/federation';
import { buildBackends, type Backends } from '../../src/backends/app';
import { loadedKeySet } from '../../src/backends/federation';
import { DEV_FEDERATION_KEYS, loadConfig } from '../../src/config';
import { startRedis, type RunningService } from '../../src/dev/cluster-stores';
import { freePort } from '../../src/dev/temporal-server';
import { DEFAULT_TUNING } from '../../src/domain/saga';
import { addKiosk, bikeBody } from '../support/bikes';
import { call } from '../support/http';
import { API_KEY } from '../support/stack';

/** Every key is new: the kiosk check is what answers, and nothing asks Temporal. */
class NoSagasYet extends SagaGateway {
  override async existing(): Promise<null> {
    return null;
  }
}

/**
 * Two API instances in front of one Redis (Debian's redis-server): a client's rate limit is spent across
 * both, and a kiosk emptied through one is known empty at the other. Temporal is not needed: the kiosk
 * check answers before a saga would start.
 */
describe('API instances sharing Redis', () => {
  let redis: RunningService & { url: string };
  let backends: Backends;
  let backendsUrl: string;
  const dir = mkdtempSync(join(tmpdir(), 'sagaway-redis-'));
  const apps: FastifyInstance[] = [];

  before(async () => {
    chmodSync(dir, 0o755);
    redis = await startRedis({ port: await freePort(), dir, logFile: join(dir, 'redis.log'), log: () => undefined });
    const signer = new FederationSigner(DEV_FEDERATION_KEYS);
    backends = await buildBackends({ journalPath: null, admin: true, federationKeys: loadedKeySet(() => signer.jwks()), paymentsClient: { id: 'w', secret: 's'.repeat(20) } });
    backendsUrl = await backends.app.listen({ host: '127.0.0.1', port: 0 });
  });

  after(async () => {
    for (const app of apps) await app.close();
    await backends.app.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function instance(env: Record<string, string>): Promise<string> {
    const config = loadConfig({ SAGAWAY_ENV: 'development', SAGAWAY_BACKENDS_URL: backendsUrl, SAGAWAY_API_KEYS: `test:${API_KEY}`, ...env });
    const nowhere = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}` }) });
    const app = await buildApp({ gateway: new NoSagasYet(nowhere, 'q'), apiKeys: config.api.keys, ...sagaDepsFrom(config, DEFAULT_TUNING) });
    apps.push(app);
    return app.listen({ host: '127.0.0.1', port: 0 });
  }

  it('spends one rate limit across both instances, and /readyz says the state is shared', async () => {
    await addKiosk(backendsUrl, 'kiosk-empty-a', 0);
    const env = { SAGAWAY_REDIS_URL: redis.url, SAGAWAY_RATE_LIMIT_PER_MINUTE: '4' };
    const [a, b] = [await instance(env), await instance(env)];
    const statuses: number[] = [];
    for (const api of [a, b, a, b, a]) statuses.push((await call(api, 'POST', '/v1/bike-checkouts', { body: bikeBody({ kioskId: 'kiosk-empty-a' }) })).status);
    assert.deepEqual(statuses, [409, 409, 409, 409, 429]);
    assert.deepEqual((await call(b, 'GET', '/readyz')).body.sharedState, { store: 'redis', reachable: true });
  });

  it('without SAGAWAY_REDIS_URL, each instance counts on its own and /readyz says so', async () => {
    await addKiosk(backendsUrl, 'kiosk-empty-b', 0);
    const env = { SAGAWAY_RATE_LIMIT_PER_MINUTE: '4' };
    const [a, b] = [await instance(env), await instance(env)];
    const statuses: number[] = [];
    for (const api of [a, b, a, b, a]) statuses.push((await call(api, 'POST', '/v1/bike-checkouts', { body: bikeBody({ kioskId: 'kiosk-empty-b' }) })).status);
    assert.deepEqual(statuses, [409, 409, 409, 409, 409]);
    assert.deepEqual((await call(a, 'GET', '/readyz')).body.sharedState, { store: 'per-instance' });
  });

  it('a kiosk emptied through one instance is known empty at the other, without asking storage', async () => {
    const shared = sharedStateFrom(redis.url);
    let asked = 0;
    const storage = { kioskStock: async () => ((asked += 1), 1) };
    const [one, two] = [new KioskStockCache(storage, 60_000, new RedisStockStore(shared.redis!)), new KioskStockCache(storage, 60_000, new RedisStockStore(shared.redis!))];
    assert.equal(await one.stock('kiosk-shared'), 1);
    await one.taken('kiosk-shared', 1);
    assert.equal(await two.stock('kiosk-shared'), 0);
    assert.equal(asked, 1);
    const [three, four] = [new KioskStockCache(storage, 60_000, new MemoryStockStore()), new KioskStockCache(storage, 60_000, new MemoryStockStore())];
    await three.stock('kiosk-own');
    await three.taken('kiosk-own', 1);
    assert.equal(await four.stock('kiosk-own'), 1, 'per instance, the other one asks storage and still sees the bike');
    await shared.close();
  });

  it('with Redis gone, the cache asks storage and the limits let requests through', async () => {
    const gone = `redis://127.0.0.1:${await freePort()}`;
    const shared = sharedStateFrom(gone);
    const cache = new KioskStockCache({ kioskStock: async () => 3 }, 60_000, shared.stockStore!);
    assert.equal(await cache.stock('kiosk-x'), 3);
    await cache.taken('kiosk-x', 1);
    await shared.close();
    await addKiosk(backendsUrl, 'kiosk-empty-c', 0);
    const api = await instance({ SAGAWAY_REDIS_URL: gone, SAGAWAY_RATE_LIMIT_PER_MINUTE: '1' });
    for (let i = 0; i < 2; i += 1) assert.equal((await call(api, 'POST', '/v1/bike-checkouts', { body: bikeBody({ kioskId: 'kiosk-empty-c' }) })).status, 409);
    assert.deepEqual((await call(api, 'GET', '/readyz')).body.sharedState, { store: 'redis', reachable: false });
  });
});
