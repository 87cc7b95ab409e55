import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { screenRoutes, type ScreenOptions } from '../../src/api/routes/screens';

async function appWith(options: Partial<ScreenOptions> = {}) {
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  screenRoutes(app, { development: false, visitorMaxBikes: 1, feePerBike: { amountMinor: 350, currency: 'EUR' }, ...options });
  await app.ready();
  return app;
}

describe('the screen routes', () => {
  it('serve the kiosk page with its settings, a strict CSP and no key, and the dev sensor only in development', async () => {
    const app = await appWith();
    const res = await app.inject({ method: 'GET', url: '/kiosk/kiosk-central' });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /data-kiosk-id="kiosk-central" data-development="false" data-visitor-max-bikes="1" data-fee-minor="350" data-fee-currency="EUR"/);
    assert.match(res.headers['content-security-policy'] as string, /default-src 'none'; script-src 'self'/);
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.doesNotMatch(res.body, /\{\{/);
    const dev = await appWith({ development: true });
    assert.match((await dev.inject({ method: 'GET', url: '/kiosk/kiosk-central' })).body, /data-development="true"/);
  });

  it('refuse a kiosk or section id that is not one, so nothing typed in the address reaches the page', async () => {
    const app = await appWith();
    assert.equal((await app.inject({ method: 'GET', url: '/kiosk/%22%3E%3Cscript%3E' })).statusCode, 400);
    assert.equal((await app.inject({ method: 'GET', url: '/sections/a%20b' })).statusCode, 400);
    assert.match((await app.inject({ method: 'GET', url: '/sections/CS101-A' })).body, /data-section-id="CS101-A"/);
  });

  it('serve only the listed assets', async () => {
    const app = await appWith();
    const script = await app.inject({ method: 'GET', url: '/screens/kiosk.js' });
    assert.equal(script.statusCode, 200);
    assert.match(script.headers['content-type'] as string, /^text\/javascript/);
    for (const url of ['/screens/kiosk.html', '/screens/..%2Froutes%2Fscreens.ts', '/screens/nope.js']) {
      assert.equal((await app.inject({ method: 'GET', url })).statusCode, 404, url);
    }
  });
});
