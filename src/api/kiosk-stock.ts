import type { StorageClient } from '../activities/storage-client';

/**
 * The seed's caching case: the API remembers each kiosk's stock for a short while, so a request at a
 * kiosk known to be empty is answered at once, without a saga. Filled from the storage API on a miss;
 * lowered when a saga is started for bikes there, so taking the last bike makes the kiosk "known empty"
 * until the entry expires. It is per API instance (see the README for what a second instance needs).
 */
export class KioskStockCache {
  private readonly entries = new Map<string, { stock: number; expiresAt: number }>();

  constructor(
    private readonly storage: Pick<StorageClient, 'kioskStock'>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The kiosk's stock, from the cache while fresh; null when storage cannot be asked right now. */
  async stock(kioskId: string): Promise<number | null> {
    const entry = this.entries.get(kioskId);
    if (entry && entry.expiresAt > this.now()) return entry.stock;
    try {
      const stock = await this.storage.kioskStock(kioskId);
      this.entries.set(kioskId, { stock, expiresAt: this.now() + this.ttlMs });
      return stock;
    } catch {
      // Not knowing is not "empty": the saga itself will find out.
      return null;
    }
  }

  taken(kioskId: string, bikes: number): void {
    const entry = this.entries.get(kioskId);
    if (entry) entry.stock = Math.max(0, entry.stock - bikes);
  }
}
