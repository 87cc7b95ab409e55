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
