import { ClientSlots } from './wait-limit';

/**
 * The places a client's event streams hold. A saga's feed goes on polling for `lingerMs` after its last
 * stream closed (so a reconnect resumes in it), so a stream that closes keeps its place that long: handed
 * to the client's next stream on the same saga, given back when the linger is over. Without that, a client
 * opening and closing streams on many sagas kept them all polled while it held none of its cap.
 */
export class StreamPlaces {
  private readonly slots: ClientSlots;
  private readonly kept = new Map<string, Array<{ release: () => void; timer: NodeJS.Timeout }>>();

  constructor(
    name: string,
    readonly perClient: number,
    private readonly lingerMs: number,
    redis: ConstructorParameters<typeof ClientSlots>[2],
  ) {
    this.slots = new ClientSlots(name, perClient, redis);
  }

  /** A place for a stream of `holder` on `sagaId` (one kept from a stream that closed first), or null when the cap is held. */
  async acquire(holder: string, sagaId: string): Promise<(() => void) | null> {
    return this.takeKept(`${holder}\n${sagaId}`) ?? this.slots.acquire(holder);
  }

  /** The stream closed while its saga still runs: the place is kept while the feed lingers. */
  keep(holder: string, sagaId: string, release: () => void): void {
    const key = `${holder}\n${sagaId}`;
    const entry = { release, timer: setTimeout(() => this.takeKept(key, entry)?.(), this.lingerMs) };
    entry.timer.unref();
    this.kept.set(key, [...(this.kept.get(key) ?? []), entry]);
  }

  /** The API is closing: every kept place is given back. */
  close(): void {
    for (const key of [...this.kept.keys()]) for (let release = this.takeKept(key); release; release = this.takeKept(key)) release();
  }

  private takeKept(key: string, which?: { release: () => void; timer: NodeJS.Timeout }): (() => void) | null {
    const list = this.kept.get(key) ?? [];
    const at = which ? list.indexOf(which) : 0;
    const [entry] = at >= 0 ? list.splice(at, 1) : [];
    if (list.length === 0) this.kept.delete(key);
    if (!entry) return null;
    clearTimeout(entry.timer);
    return entry.release;
  }
}
