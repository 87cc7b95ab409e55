import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ClientSlots, WaitLimit } from '../../src/api/wait-limit';
import { startRedis, type RunningService } from '../../src/dev/cluster-stores';
import { freePort } from '../../src/dev/temporal-server';

/**
 * The per-client caps on open waits and event streams, as two API instances in front of one Redis hold
 * them: the cap is the client's, not each instance's.
 */
describe('per-client caps shared through Redis', () => {
  let redis: RunningService & { url: string };
  const clients: Redis[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'sagaway-caps-'));

  before(async () => {
    chmodSync(dir, 0o755);
    redis = await startRedis({ port: await freePort(), dir, logFile: join(dir, 'redis.log'), log: () => undefined });
  });

  after(async () => {
    for (const client of clients) client.disconnect();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const connect = () => {
    const client = new Redis(redis.url, { commandTimeout: 500, maxRetriesPerRequest: 1 });
    clients.push(client);
    return client;
  };

  it('two instances together hold no more than the cap; a place given back is free on the other', async () => {
    const [a, b] = [new ClientSlots('streams', 3, connect()), new ClientSlots('streams', 3, connect())];
    const held = [await a.acquire('c1'), await b.acquire('c1'), await a.acquire('c1')];
    assert.ok(held.every(Boolean), 'three places, across both instances');
    assert.equal(await b.acquire('c1'), null, 'the fourth is refused on the other instance');
    assert.ok(await b.acquire('c2'), 'another client has its own places');
    held[0]!();
    held[0]!();
    const again = await b.acquire('c1');
    assert.ok(again, 'a place given back (once, however often it is called) is free for the client everywhere');
    assert.equal(await a.acquire('c1'), null);
  });

  it('the wait cap is a 429 past the cap across instances, and a Redis that does not answer falls back to each instance', async () => {
    const [a, b] = [new WaitLimit(1, connect()), new WaitLimit(1, connect())];
    const release = await a.acquire('w');
    await assert.rejects(b.acquire('w'), (err: { status?: number }) => err.status === 429);
    release();
    const gone = new Redis(`redis://127.0.0.1:${await freePort()}`, { commandTimeout: 200, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    gone.on('error', () => undefined);
    clients.push(gone);
    const alone = new WaitLimit(1, gone);
    const first = await alone.acquire('w');
    await assert.rejects(alone.acquire('w'), (err: { status?: number }) => err.status === 429, 'the cap still holds per instance');
    first();
  });
});
