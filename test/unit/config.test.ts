import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config';

const dev = { SAGAWAY_ENV: 'development' } as const;
const secret32 = (fill: number) => Buffer.alloc(32, fill).toString('base64');
const production = {
  SAGAWAY_API_KEYS: 'shop:0123456789abcdef0123',
  SAGAWAY_CODEC_KEYS: `k1:${secret32(7)}`,
  SAGAWAY_PAGE_TOKEN_SECRET: 'p'.repeat(40),
  SAGAWAY_FEDERATION_KEYS: `f1:${secret32(9)}`,
  SAGAWAY_PAYMENTS_CLIENT_SECRET: 's'.repeat(24),
};

describe('config', () => {
  it('runs on embedded defaults in development', () => {
    const config = loadConfig(dev);
    assert.equal(config.api.port, 3000);
    assert.equal(config.backends.urls.payments, 'http://127.0.0.1:4000/payments');
    assert.equal(config.api.keys.get('sagaway-dev-key-change-me'), 'demo');
    assert.equal(config.security.backendsAdmin, false);
  });

  it('names the variable that is wrong', () => {
    assert.throws(() => loadConfig({ ...dev, SAGAWAY_API_PORT: 'eighty' }), (err: Error) => err instanceof ConfigError && /SAGAWAY_API_PORT/.test(err.message));
    assert.throws(() => loadConfig({ ...dev, SAGAWAY_PAYMENTS_URL: 'not a url' }), /SAGAWAY_PAYMENTS_URL/);
    assert.throws(() => loadConfig({ ...dev, SAGAWAY_API_KEYS: 'nokey' }), /SAGAWAY_API_KEYS: expected clientId:key pairs/);
    assert.throws(() => loadConfig({ ...dev, SAGAWAY_CODEC_KEYS: 'k1:tooshort' }), /SAGAWAY_CODEC_KEYS: expected keyId:base64key pairs, each key 32 bytes/);
  });

  it('takes the step retry knob in development only, and never past the forward steps\' 5 s maximum interval', () => {
    assert.equal(loadConfig({ ...dev, SAGAWAY_STEP_RETRY_INITIAL_MS: '20' }).sagas.stepRetryInitialMs, 20);
    assert.equal(loadConfig(dev).sagas.stepRetryInitialMs, null);
    assert.throws(() => loadConfig({ ...production, SAGAWAY_STEP_RETRY_INITIAL_MS: '20' }), /SAGAWAY_STEP_RETRY_INITIAL_MS: for tests and development only/);
    assert.throws(() => loadConfig({ ...dev, SAGAWAY_STEP_RETRY_INITIAL_MS: '6000' }), /SAGAWAY_STEP_RETRY_INITIAL_MS/);
  });

  it('takes the local holds and the local capture in development only, and runs both as activities by default', () => {
    for (const variable of ['SAGAWAY_LOCAL_HOLDS', 'SAGAWAY_LOCAL_PIVOT']) {
      assert.equal(loadConfig({ ...dev, [variable]: 'true' }).sagas[variable === 'SAGAWAY_LOCAL_HOLDS' ? 'localHolds' : 'localPivot'], true);
      assert.throws(() => loadConfig({ ...production, [variable]: 'true' }), new RegExp(`${variable}: for measurement in development only`));
      assert.equal(loadConfig({ ...production, [variable]: 'false' }).sagas.localHolds, false);
    }
    assert.equal(loadConfig(dev).sagas.localPivot, false, 'the capture is an activity by default');
  });

  it('is production unless told otherwise, and production refuses every development secret by value', () => {
    assert.throws(() => loadConfig({}), /SAGAWAY_API_KEYS: must be set in production/);
    const config = loadConfig(production);
    assert.equal(config.env, 'production');
    assert.equal(config.api.keys.get('0123456789abcdef0123'), 'shop');
    assert.equal(config.security.codecAcceptPlaintext, false);
    assert.throws(() => loadConfig({ ...production, SAGAWAY_API_KEYS: 'ops:sagaway-dev-key-change-me' }), /SAGAWAY_API_KEYS: a development default key is refused/);
    assert.throws(() => loadConfig({ ...production, SAGAWAY_API_KEYS: 'shop:0123456789abcdef0123,x:sagaway-dev-operator-key-change-me' }), /SAGAWAY_API_KEYS: a development default/);
    assert.throws(() => loadConfig({ ...production, SAGAWAY_OPERATOR_KEYS: 'root:sagaway-dev-operator-key-change-me' }), /SAGAWAY_OPERATOR_KEYS: a development default/);
    assert.throws(() => loadConfig({ ...production, SAGAWAY_CODEC_KEYS: `mine:${Buffer.from('sagaway-dev-codec-key-not-secret').toString('base64')}` }), /SAGAWAY_CODEC_KEYS: a development default/);
    for (const variable of ['SAGAWAY_CODEC_KEYS', 'SAGAWAY_PAGE_TOKEN_SECRET', 'SAGAWAY_FEDERATION_KEYS', 'SAGAWAY_PAYMENTS_CLIENT_SECRET']) {
      assert.throws(() => loadConfig({ ...production, [variable]: undefined }), new RegExp(`${variable}: must be set in production`));
    }
  });

  it('keeps operator keys apart from client keys', () => {
    assert.throws(() => loadConfig({ ...dev, SAGAWAY_API_KEYS: 'a:0123456789abcdef0123', SAGAWAY_OPERATOR_KEYS: 'root:0123456789abcdef0123' }), /SAGAWAY_OPERATOR_KEYS: an operator key must not also be a client key/);
    assert.equal(loadConfig(dev).api.operatorKeys.get('sagaway-dev-operator-key-change-me'), 'ops');
    assert.equal(loadConfig(production).api.operatorKeys.size, 0, 'production without SAGAWAY_OPERATOR_KEYS has no operator');
  });

  it('lets one backend move elsewhere while the others stay', () => {
    const config = loadConfig({ ...dev, SAGAWAY_PAYMENTS_URL: 'https://payments.internal/v2' });
    assert.equal(config.backends.urls.payments, 'https://payments.internal/v2');
    assert.equal(config.backends.urls.inventory, 'http://127.0.0.1:4000/inventory');
  });
});
