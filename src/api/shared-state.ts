import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { KioskStockStore } from './kiosk-stock';

/**
 * What API instances share. With SAGAWAY_REDIS_URL, rate-limit counters and the kiosk stock cache live
 * in Redis, so every instance behind a load balancer sees the same numbers; without it, each instance
 * keeps its own (one instance, or limits that are per instance: /readyz says which).
 */
export interface SharedState {
  kind: 'redis' | 'per-instance';
  /** The Redis client the rate limiter uses; null per instance. */
  redis: Redis | null;
  /** The kiosk stock store; null per instance (the cache keeps its own map). */
  stockStore: KioskStockStore | null;
  /** What /readyz shows. Redis down does not make the API unready: limits fail open, the cache misses. */
  describe(): Promise<{ store: 'redis' | 'per-instance'; reachable?: boolean }>;
  close(): Promise<void>;
}

const KEY_PREFIX = 'sagaway:';

export function perInstanceState(): SharedState {
  return { kind: 'per-instance', redis: null, stockStore: null, describe: async () => ({ store: 'per-instance' }), close: async () => undefined };
}

export function sharedStateFrom(redisUrl: string | null, logger?: Logger): SharedState {
  if (!redisUrl) return perInstanceState();
  const redis = new Redis(redisUrl, {
    // A slow or absent Redis must not hold requests: a command fails after half a second and the
    // caller falls back (rate limit skipped, stock read from storage).
    commandTimeout: 500,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let lastError = '';
  redis.on('error', (err: Error) => {
    if (err.message !== lastError) logger?.warn({ err: err.message }, 'redis unreachable; rate limits and kiosk stock fall back');
    lastError = err.message;
  });
  redis.on('ready', () => (lastError = ''));
  return {
    kind: 'redis',
    redis,
    stockStore: new RedisStockStore(redis),
    describe: async () => ({ store: 'redis', reachable: await redis.ping().then(() => true, () => false) }),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** Lowers a fresh entry without touching its expiry, and never below 0; a missing entry stays missing. */
const LOWER = `
local v = redis.call('GET', KEYS[1])
if not v then return -1 end
local left = math.max(0, tonumber(v) - tonumber(ARGV[1]))
redis.call('SET', KEYS[1], left, 'KEEPTTL')
return left
`;

export class RedisStockStore implements KioskStockStore {
  constructor(private readonly redis: Redis) {}

  async get(kioskId: string): Promise<number | null> {
    const value = await this.redis.get(stockKey(kioskId));
    return value === null ? null : Number(value);
  }

  async set(kioskId: string, stock: number, ttlMs: number): Promise<void> {
    if (ttlMs <= 0) return;
    await this.redis.set(stockKey(kioskId), String(stock), 'PX', ttlMs);
  }

  async lower(kioskId: string, bikes: number): Promise<void> {
    await this.redis.eval(LOWER, 1, stockKey(kioskId), String(bikes));
  }
}

function stockKey(kioskId: string): string {
  return `${KEY_PREFIX}kiosk-stock:${kioskId}`;
}

export const RATE_LIMIT_PREFIX = `${KEY_PREFIX}rate-limit:`;
