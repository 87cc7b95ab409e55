import type { StorageClient } from '../activities/storage-client';

/**
 * Where the kiosk stock cache keeps its entries: in the API process (the default), or in a store every
 * API instance shares (Redis, see shared-state.ts), so a kiosk emptied through one instance is known
 * empty at all of them.
 */
export interface KioskStockStore {
  /** The stock while the entry is fresh, else null. */
  get(kioskId: string): Promise<number | null>;
  set(kioskId: string, stock: number, ttlMs: number): Promise<void>;
  /** Lowers a fresh entry by `bikes` (not below 0); does nothing when there is none. */
  lower(kioskId: string, bikes: number): Promise<void>;
}

/** Entries in this process only: each API instance has its own view. */
export class MemoryStockStore implements KioskStockStore {
  private readonly entries = new Map<string, { stock: number; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async get(kioskId: string): Promise<number | null> {
    const entry = this.entries.get(kioskId);
    return entry && entry.expiresAt > this.now() ? entry.stock : null;
  }

  async set(kioskId: string, stock: number, ttlMs: number): Promise<void> {
    this.entries.set(kioskId, { stock, expiresAt: this.now() + ttlMs });
  }

  async lower(kioskId: string, bikes: number): Promise<void> {
    const entry = this.entries.get(kioskId);
    if (entry) entry.stock = Math.max(0, entry.stock - bikes);
  }
}

/**
 * The seed's caching case: the API remembers each kiosk's stock for a short while, so a request at a
 * kiosk known to be empty is answered at once, without a saga. Filled from the storage API on a miss;
 * lowered when a saga is started for bikes there, so taking the last bike makes the kiosk "known empty"
 * until the entry expires. Per API instance unless built on a shared store (SAGAWAY_REDIS_URL).
 */
export class KioskStockCache {
  constructor(
    private readonly storage: Pick<StorageClient, 'kioskStock'>,
    private readonly ttlMs: number,
    private readonly store: KioskStockStore = new MemoryStockStore(),
  ) {}

  /** The kiosk's stock, from the cache while fresh; null when storage cannot be asked right now. */
  async stock(kioskId: string): Promise<number | null> {
    // A store that cannot answer is a miss: storage is asked instead.
    const cached = await this.store.get(kioskId).catch(() => null);
    if (cached !== null) return cached;
    try {
      const stock = await this.storage.kioskStock(kioskId);
      await this.store.set(kioskId, stock, this.ttlMs).catch(() => undefined);
      return stock;
    } catch {
      // Not knowing is not "empty": the saga itself will find out.
      return null;
    }
  }

  async taken(kioskId: string, bikes: number): Promise<void> {
    await this.store.lower(kioskId, bikes).catch(() => undefined);
  }
}
