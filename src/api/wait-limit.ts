import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { HttpProblem } from './problems';

const SLOTS_PREFIX = 'sagaway:slots:';
/** A place held in Redis lives this long unless its holder renews it, so a crashed instance's places come back. */
const LEASE_MS = 30_000;

/**
 * Takes a place if fewer than `cap` unexpired places are held: places are members of a sorted set scored
 * by their lease's end, so the places of an instance that died lapse by themselves.
 */
const TAKE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

/**
 * Places one client may hold at once (open waits, open event streams). With Redis the count is every API
 * instance's (a client behind a balancer holds the cap, not N times it); a Redis that does not answer
 * falls back to this instance's count, as the rate limits fail open. `acquire` answers null when full.
 */
export class ClientSlots {
  private readonly local = new Map<string, number>();

  constructor(
    private readonly name: string,
    readonly perClient: number,
    private readonly redis: Redis | null = null,
  ) {}

  async acquire(clientId: string): Promise<(() => void) | null> {
    const shared = this.redis ? await this.takeShared(clientId).catch(() => undefined) : undefined;
    if (shared === null) return null;
    if (shared) return shared;
    return this.takeLocal(clientId);
  }

  private async takeShared(clientId: string): Promise<(() => void) | null> {
    const redis = this.redis!;
    const key = `${SLOTS_PREFIX}${this.name}:${clientId}`;
    const member = randomUUID();
    const take = () => redis.eval(TAKE, 1, key, String(Date.now()), String(Date.now() + LEASE_MS), String(this.perClient), member, String(LEASE_MS * 2));
    if ((await take()) !== 1) return null;
    const renew = setInterval(() => redis.zadd(key, 'XX', Date.now() + LEASE_MS, member).catch(() => undefined), LEASE_MS / 3);
    renew.unref();
    return once(() => {
      clearInterval(renew);
      redis.zrem(key, member).catch(() => undefined);
    });
  }

  private takeLocal(clientId: string): (() => void) | null {
    const held = this.local.get(clientId) ?? 0;
    if (held >= this.perClient) return null;
    this.local.set(clientId, held + 1);
    return once(() => {
      const left = (this.local.get(clientId) ?? 1) - 1;
      if (left > 0) this.local.set(clientId, left);
      else this.local.delete(clientId);
    });
  }
}

function once(release: () => void): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    release();
  };
}

/**
 * Caps the `Prefer: wait` requests one client holds open: each holds a connection and a Temporal
 * long-poll, so past the cap the client is told to come back (429 with Retry-After) instead.
 */
export class WaitLimit {
  private readonly slots: ClientSlots;

  constructor(perClient: number, redis: Redis | null = null) {
    this.slots = new ClientSlots('waits', perClient, redis);
  }

  /** Takes a place for the client, or null when it holds the cap; the returned function gives it back. */
  tryAcquire(clientId: string): Promise<(() => void) | null> {
    return this.slots.acquire(clientId);
  }

  /** Takes a place for the client, or throws the 429; the returned function gives it back. */
  async acquire(clientId: string): Promise<() => void> {
    const release = await this.slots.acquire(clientId);
    if (release) return release;
    throw tooManyWaits(this.slots.perClient);
  }
}

export function tooManyWaits(perClient: number): HttpProblem {
  return new HttpProblem(429, 'too-many-waits', 'Too many waiting requests', `more than ${perClient} requests with Prefer: wait are open for this client; retry shortly or poll GET /v1/sagas/{id}`, {}, { 'retry-after': '1' });
}
