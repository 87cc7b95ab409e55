import { HttpProblem } from './problems';

/**
 * Caps the `Prefer: wait` requests one client holds open: each holds a connection and a Temporal
 * long-poll, so past the cap the client is told to come back (429 with Retry-After) instead.
 */
export class WaitLimit {
  private readonly open = new Map<string, number>();

  constructor(private readonly perClient: number) {}

  /** Takes a place for the client, or throws the 429; the returned function gives it back. */
  acquire(clientId: string): () => void {
    const held = this.open.get(clientId) ?? 0;
    if (held >= this.perClient) {
      throw new HttpProblem(429, 'too-many-waits', 'Too many waiting requests', `more than ${this.perClient} requests with Prefer: wait are open for this client; retry shortly or poll GET /v1/sagas/{id}`, {}, { 'retry-after': '1' });
    }
    this.open.set(clientId, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(clientId) ?? 1) - 1;
      if (left > 0) this.open.set(clientId, left);
      else this.open.delete(clientId);
    };
  }
}
