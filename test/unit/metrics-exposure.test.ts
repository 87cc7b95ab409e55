import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { metricsPlugin, serveMetrics } from '../../src/observability/api-metrics';
import { metricsExposureFrom } from '../../src/config';

const KEY = 'metrics-key-0123456789';

describe('/metrics', () => {
  it('behind a key: refused without it, served with it; on its own port: not on the API at all', async () => {
    const keyed = Fastify();
    await metricsPlugin(keyed, { exposure: { kind: 'public', key: KEY } });
    assert.equal((await keyed.inject({ url: '/metrics' })).statusCode, 401);
    assert.equal((await keyed.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
    assert.equal((await keyed.inject({ url: '/metrics', headers: { authorization: KEY } })).statusCode, 401, 'the key as a bearer token only');
    const served = await keyed.inject({ url: '/metrics', headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(served.statusCode, 200);
    assert.match(served.body, /sagaway_http_requests_total/);

    const apart = Fastify();
    await metricsPlugin(apart, { exposure: { kind: 'separate' } });
    assert.equal((await apart.inject({ url: '/metrics' })).statusCode, 404);
    const server = await serveMetrics('127.0.0.1', 0);
    try {
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /sagaway_http_requests_total/);
      assert.equal((await fetch(`http://127.0.0.1:${port}/v1/sagas`)).status, 404);
    } finally {
      server.close();
    }
  });

  it('production serves metrics on their own loopback port unless a key is set; development on the API', () => {
    assert.deepEqual(metricsExposureFrom({ SAGAWAY_ENV: 'production' }), { port: 9465, host: '127.0.0.1', key: null });
    assert.deepEqual(metricsExposureFrom({ SAGAWAY_ENV: 'production', SAGAWAY_METRICS_KEY: KEY }), { port: null, host: '127.0.0.1', key: KEY });
    assert.deepEqual(metricsExposureFrom({ SAGAWAY_ENV: 'development' }), { port: null, host: '127.0.0.1', key: null });
  });

  it('computes the stuck count once for scrapes that arrive together', async () => {
    let counts = 0;
    const app = Fastify();
    await metricsPlugin(app, {
      exposure: { kind: 'public' },
      stuckCacheMs: 0,
      stuckSagas: async () => {
        counts += 1;
        await new Promise((r) => setTimeout(r, 200));
        return 3;
      },
    });
    const scrapes = await Promise.all(Array.from({ length: 8 }, () => app.inject({ url: '/metrics' })));
    assert.equal(counts, 1, `${counts} stuck counts for 8 concurrent scrapes`);
    for (const scrape of scrapes) assert.match(scrape.body, /sagaway_sagas_stuck 3/);
  });
});
