import { TERMINAL_STATUSES, type SagaView } from '../domain/saga';

export interface CachedView {
  clientId: string;
  view: SagaView;
}

/**
 * The API's memory of saga views. A finished saga's view never changes, so it is kept (the newest
 * `maxFinal` of them) and read without asking Temporal or a worker. A running saga's view is kept for
 * `liveTtlMs`, so a burst of reads of one saga asks its worker once; it is also the answer when the worker
 * is too slow to answer in time.
 */
export class ViewCache {
  private readonly finals = new Map<string, CachedView>();
  private readonly live = new Map<string, CachedView & { at: number }>();
  /**
   * Which client a saga belongs to, once this API has started or described it. A saga id is a hash of
   * its client and Idempotency-Key, so the owner of an id never changes: a read need not ask Temporal.
   */
  private readonly owners = new Map<string, string>();

  constructor(
    private readonly maxFinal = 20_000,
    private readonly liveTtlMs = 500,
    private readonly now: () => number = Date.now,
  ) {}

  remember(clientId: string, view: SagaView): void {
    if (TERMINAL_STATUSES.has(view.status)) {
      this.live.delete(view.id);
      this.finals.delete(view.id);
      this.finals.set(view.id, { clientId, view });
      if (this.finals.size > this.maxFinal) this.finals.delete(this.finals.keys().next().value!);
      return;
    }
    this.live.set(view.id, { clientId, view, at: this.now() });
    if (this.live.size > this.maxFinal) this.live.delete(this.live.keys().next().value!);
  }

  own(sagaId: string, clientId: string): void {
    if (this.owners.has(sagaId)) return;
    this.owners.set(sagaId, clientId);
    if (this.owners.size > this.maxFinal * 5) this.owners.delete(this.owners.keys().next().value!);
  }

  ownerOf(sagaId: string): string | undefined {
    return this.owners.get(sagaId) ?? this.finals.get(sagaId)?.clientId ?? this.live.get(sagaId)?.clientId;
  }

  /** The view a saga was started with: the answer while nothing newer is known, never fresh. */
  started(clientId: string, view: SagaView): void {
    this.own(view.id, clientId);
    // A new run of the id (its key reused past Temporal's retention): nothing of the old run answers for it.
    this.finals.delete(view.id);
    this.live.set(view.id, { clientId, view, at: Number.NEGATIVE_INFINITY });
    // Sagas started and never read (a client that only waits for a webhook) must not grow this for ever.
    if (this.live.size > this.maxFinal) this.live.delete(this.live.keys().next().value!);
  }

  /** The saga is gone (past Temporal's retention, say): nothing of it is kept. */
  drop(sagaId: string): void {
    this.owners.delete(sagaId);
    this.live.delete(sagaId);
  }

  /** A command changed the saga: its running view is read afresh. */
  forget(sagaId: string): void {
    this.live.delete(sagaId);
  }

  final(sagaId: string): CachedView | undefined {
    return this.finals.get(sagaId);
  }

  /** A running saga's view while it is fresh. */
  fresh(sagaId: string): CachedView | undefined {
    const entry = this.live.get(sagaId);
    return entry && this.now() - entry.at < this.liveTtlMs ? entry : undefined;
  }

  /** The last view seen of a running saga, however old. */
  lastKnown(sagaId: string): CachedView | undefined {
    return this.live.get(sagaId);
  }
}
