import { TERMINAL_STATUSES, type SagaView } from '../domain/saga';
import { advance, decodeCursor, encodeCursor, NOTHING_SEEN, transitions, type Cursor, type Transition } from './saga-transitions';

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
}

/**
 * Live transitions of sagas for Server-Sent Events. One feed per saga per API instance reads the view
 * with the state query (which adds nothing to the workflow's history) and sends each open stream the
 * transitions from what that stream was told to the view. An event's id is what its stream has been told
 * after it (a cursor, see saga-transitions.ts), so a resume with Last-Event-ID gets exactly what it missed
 * in any feed: this one, another API instance's, or a new one after the saga ended. The feed stops polling
 * when the saga ends, or `lingerMs` after its last subscriber left.
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
    return feed.add(decodeCursor(lastEventId) ?? NOTHING_SEEN, subscriber);
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

/** A stream of the feed and what it has been told. */
interface Follower {
  subscriber: Subscriber;
  cursor: Cursor;
}

class Feed {
  private readonly followers = new Set<Follower>();
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

  add(cursor: Cursor, subscriber: Subscriber): () => void {
    const follower = { subscriber, cursor };
    if (this.last) tell(follower, this.last);
    if (this.ended) {
      subscriber.end();
      return () => undefined;
    }
    if (this.linger) clearTimeout(this.linger);
    this.linger = null;
    this.followers.add(follower);
    return () => {
      this.followers.delete(follower);
      if (this.followers.size === 0 && !this.ended) this.linger = setTimeout(() => this.stop(), this.options.lingerMs);
    };
  }

  finish(): void {
    this.ended = true;
    for (const { subscriber } of this.followers) subscriber.end();
    this.followers.clear();
    this.stop();
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
    this.last = view;
    for (const follower of this.followers) tell(follower, view);
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

/** Sends a follower the transitions from what it was told to `view`, each with the cursor after it as its id. */
function tell(follower: Follower, view: SagaView): void {
  for (const transition of transitions(follower.cursor, view)) {
    follower.cursor = advance(follower.cursor, transition);
    follower.subscriber.send({ ...transition, id: encodeCursor(follower.cursor) } as FeedEvent);
  }
}
