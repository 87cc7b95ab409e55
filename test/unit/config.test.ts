import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config';

describe('config', () => {
  it('runs on embedded defaults', () => {
    const config = loadConfig({});
    assert.equal(config.api.port, 3000);
    assert.equal(config.backends.urls.payments, 'http://127.0.0.1:4000/payments');
    assert.equal(config.api.keys.get('sagaway-dev-key-change-me'), 'demo');
  });

  it('names the variable that is wrong', () => {
    assert.throws(() => loadConfig({ SAGAWAY_API_PORT: 'eighty' }), (err: Error) => err instanceof ConfigError && /SAGAWAY_API_PORT/.test(err.message));
    assert.throws(() => loadConfig({ SAGAWAY_PAYMENTS_URL: 'not a url' }), /SAGAWAY_PAYMENTS_URL/);
    assert.throws(() => loadConfig({ SAGAWAY_API_KEYS: 'nokey' }), /SAGAWAY_API_KEYS: expected clientId:key pairs/);
  });

  it('refuses the dev key in production, and production without keys', () => {
    assert.throws(() => loadConfig({ SAGAWAY_ENV: 'production' }), /SAGAWAY_API_KEYS: must be set in production/);
    assert.throws(() => loadConfig({ SAGAWAY_ENV: 'production', SAGAWAY_API_KEYS: 'demo:sagaway-dev-key-change-me' }), /dev default key is refused/);
    assert.throws(() => loadConfig({ SAGAWAY_ENV: 'production', SAGAWAY_API_KEYS: 'shop:0123456789abcdef0123' }), /SAGAWAY_CODEC_KEYS: the dev default key is refused/);
    const codecKeys = `k1:${Buffer.alloc(32, 7).toString('base64')}`;
    const config = loadConfig({ SAGAWAY_ENV: 'production', SAGAWAY_API_KEYS: 'shop:0123456789abcdef0123', SAGAWAY_CODEC_KEYS: codecKeys });
    assert.equal(config.api.keys.get('0123456789abcdef0123'), 'shop');
    assert.throws(() => loadConfig({ SAGAWAY_CODEC_KEYS: 'k1:tooshort' }), /SAGAWAY_CODEC_KEYS: expected keyId:base64key pairs, each key 32 bytes/);
  });

  it('lets one backend move elsewhere while the others stay', () => {
    const config = loadConfig({ SAGAWAY_PAYMENTS_URL: 'https://payments.internal/v2' });
    assert.equal(config.backends.urls.payments, 'https://payments.internal/v2');
    assert.equal(config.backends.urls.inventory, 'http://127.0.0.1:4000/inventory');
  });
});
