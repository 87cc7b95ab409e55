import { randomBytes } from 'node:crypto';
import { TERMINAL_STATUSES, type SagaView } from '../domain/saga';
import { transitions, type Transition } from './saga-transitions';

export type FeedEvent = Transition & { id: string };

export interface Subscriber {
  send(event: FeedEvent): void;
  /** The saga ended (or is gone): the stream closes after the events already sent. */
  end(): void;
}

export interface FeedOptions {
  /** How often one feed reads the saga's view (the state query); one read serves every subscriber. */
  pollMs: number;
  /** How long a feed goes on after its last subscriber left, so a client that reconnects resumes in it. */
  lingerMs: number;
  /** Transitions a feed keeps for subscribers that resume with Last-Event-ID. */
  keep?: number;
}

/**
 * Live transitions of sagas for Server-Sent Events. One feed per saga per API instance reads the view
 * with the state query (which adds nothing to the workflow's history) and fans the transitions out to
 * every open stream. Event ids are `<feed>.<n>`: a resume within the same feed gets exactly what it
 * missed; a resume from another feed (another API instance, or after the feed closed) gets the saga's
 * path again from the start. The feed stops polling when the saga ends, or `lingerMs` after its last
 * subscriber left.
 */
export class SagaFeeds {
  private readonly feeds = new Map<string, Feed>();

  constructor(
    private readonly read: (sagaId: string, owner: string) => Promise<SagaView | null>,
    private readonly options: FeedOptions,
  ) {}

  /** `owner` is the client the caller has shown owns the saga. */
  subscribe(sagaId: string, owner: string, lastEventId: string | undefined, subscriber: Subscriber): () => void {
    let feed = this.feeds.get(sagaId);
    if (!feed) {
      feed = new Feed(() => this.read(sagaId, owner), this.options, () => this.feeds.delete(sagaId));
      this.feeds.set(sagaId, feed);
    }
    return feed.add(lastEventId, subscriber);
  }

  /** Open feeds (for tests and metrics). */
  get size(): number {
    return this.feeds.size;
  }

  /** Ends every stream: the API is closing. */
  close(): void {
    for (const feed of [...this.feeds.values()]) feed.finish();
  }
}

class Feed {
  private readonly name = randomBytes(4).toString('hex');
  private readonly subscribers = new Set<Subscriber>();
  private readonly events: FeedEvent[] = [];
  private seq = 0;
  private last: SagaView | null = null;
  private timer: NodeJS.Timeout | null = null;
  private linger: NodeJS.Timeout | null = null;
  private ended = false;

  constructor(
    private readonly read: () => Promise<SagaView | null>,
    private readonly options: FeedOptions,
    private readonly onClose: () => void,
  ) {
    this.timer = setTimeout(() => void this.poll(), 0);
  }

  add(lastEventId: string | undefined, subscriber: Subscriber): () => void {
    for (const event of this.missedSince(lastEventId)) subscriber.send(event);
    if (this.ended) {
      subscriber.end();
      return () => undefined;
    }
    if (this.linger) clearTimeout(this.linger);
    this.linger = null;
    this.subscribers.add(subscriber);
    return () => {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0 && !this.ended) this.linger = setTimeout(() => this.stop(), this.options.lingerMs);
    };
  }

  finish(): void {
    this.ended = true;
    for (const subscriber of this.subscribers) subscriber.end();
    this.subscribers.clear();
    this.stop();
  }

  private missedSince(lastEventId: string | undefined): FeedEvent[] {
    const [feed, n] = (lastEventId ?? '').split('.');
    if (feed !== this.name) return this.events;
    return this.events.filter((e) => Number(e.id.split('.')[1]) > Number(n));
  }

  private async poll(): Promise<void> {
    this.timer = null;
    let view: SagaView | null | undefined;
    try {
      view = await this.read();
    } catch {
      view = undefined; // Temporal or the worker is away for now: try again on the next tick.
    }
    if (this.ended) return;
    if (view === null) return this.finish();
    if (view) this.publish(view);
    if (view && TERMINAL_STATUSES.has(view.status)) return this.finish();
    this.timer = setTimeout(() => void this.poll(), this.options.pollMs);
  }

  private publish(view: SagaView): void {
    for (const transition of transitions(this.last, view)) {
      this.seq += 1;
      const event = { ...transition, id: `${this.name}.${this.seq}` } as FeedEvent;
      this.events.push(event);
      if (this.events.length > (this.options.keep ?? 500)) this.events.shift();
      for (const subscriber of this.subscribers) subscriber.send(event);
    }
    this.last = view;
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.linger) clearTimeout(this.linger);
    this.timer = null;
    this.linger = null;
    this.ended = true;
    this.onClose();
  }
}
