import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';

const secret32 = (fill: number) => Buffer.alloc(32, fill).toString('base64');
/** Everything production needs, with no SAGAWAY_ENV: the part must take itself for production. */
const PRODUCTION = {
  SAGAWAY_API_KEYS: 'shop:0123456789abcdef0123',
  SAGAWAY_CODEC_KEYS: `k1:${secret32(7)}`,
  SAGAWAY_PAGE_TOKEN_SECRET: 'p'.repeat(40),
  SAGAWAY_FEDERATION_KEYS: `f1:${secret32(9)}`,
  SAGAWAY_PAYMENTS_CLIENT_SECRET: 's'.repeat(24),
  SAGAWAY_API_PORT: '0',
  SAGAWAY_BACKENDS_PORT: '0',
};

/** Starts one part as a deployment would (`npm run api`), and returns how it ended within 30 s. */
function startAlone(entry: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SAGAWAY_')));
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { env: { ...clean, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('a part started alone', () => {
  for (const entry of ['src/api/server.ts', 'src/worker.ts', 'src/backends/server.ts']) {
    it(`${entry} refuses the development API key, whatever client id carries it`, async () => {
      const ended = await startAlone(entry, { ...PRODUCTION, SAGAWAY_API_KEYS: 'ops:sagaway-dev-key-change-me' });
      assert.equal(ended.code, 2, ended.stderr);
      assert.match(ended.stderr, /SAGAWAY_API_KEYS: a development default key is refused in production/);
    });
  }

  it('refuses the development codec key under another key id', async () => {
    const devCodec = Buffer.from('sagaway-dev-codec-key-not-secret').toString('base64');
    const ended = await startAlone('src/api/server.ts', { ...PRODUCTION, SAGAWAY_CODEC_KEYS: `prod-1:${devCodec}` });
    assert.equal(ended.code, 2, ended.stderr);
    assert.match(ended.stderr, /SAGAWAY_CODEC_KEYS: a development default key is refused in production/);
  });

  it('refuses to start without its keys, naming each variable', async () => {
    const ended = await startAlone('src/api/server.ts', {});
    assert.equal(ended.code, 2, ended.stderr);
    for (const variable of ['SAGAWAY_API_KEYS', 'SAGAWAY_CODEC_KEYS', 'SAGAWAY_PAGE_TOKEN_SECRET']) assert.match(ended.stderr, new RegExp(`${variable}: must be set in production`));
  });
});
