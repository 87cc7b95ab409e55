/**
 * The faults the campaign injects into the backends, counted when they FIRE: each is injected with a
 * label of its own, and the backend's fault list says, per label, how many calls it hit. Faults live in
 * the backends' memory: the ledger reads what fired before the backends are killed and arms them again
 * (what is left of them) once they are back.
 */
type Fault = Record<string, unknown>;

interface Armed {
  service: string;
  kind: string;
  /** Unique to this injection: how the backend's list names it. */
  label: string;
  fault: Fault;
  /** What had fired when last read, since it was last armed. */
  seen: number;
  /** A counted fault's calls left when last read (null: not counted). */
  remaining: number | null;
}

interface Listed {
  label?: string;
  fired: number;
  remaining: number | null;
}

export class FaultLedger {
  private armed: Armed[] = [];
  private injected = 0;
  /** The backends are down (killed, not yet restarted): injections wait for the re-arm. */
  private down = false;
  /** Injections, re-arms and clears one at a time: each reads and changes both the list here and the backends'. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Calls each kind of fault hit, by kind. */
  readonly fired: Record<string, number> = {};
  /** Injections the backends did not accept (`kind: status`). */
  readonly refused: string[] = [];
  injections = 0;

  constructor(private readonly backendsUrl: () => string) {}

  /**
   * A fault at a rate is preceded by one that hits the op's next call, so each kind fires in a small
   * campaign too (`--quick`), and the rate spreads the rest.
   */
  inject(kind: string, service: string, fault: Fault): Promise<void> {
    return this.exclusive(() => this.injectNow(kind, service, fault));
  }

  private async injectNow(kind: string, service: string, fault: Fault): Promise<void> {
    this.fired[kind] ??= 0;
    const first = fault.rate !== undefined && fault.count === undefined ? [{ ...fault, rate: undefined, count: 1 }] : [];
    for (const f of [...first, fault]) {
      this.injected += 1;
      const count = typeof f.count === 'number' ? f.count : null;
      const entry: Armed = { service, kind, label: `${kind}#${this.injected}`, fault: f, seen: 0, remaining: count };
      this.armed.push(entry);
      if (!this.down) await this.post(entry, f);
    }
  }

  /** Adds what fired since the last reading; call before the faults are lost or cleared. */
  async tally(): Promise<void> {
    for (const service of new Set(this.armed.map((a) => a.service))) {
      const res = await fetch(`${this.backendsUrl()}/${service}/_admin/faults`, { signal: AbortSignal.timeout(10_000) }).catch(() => null);
      if (res?.status === 200) this.read(service, ((await res.json()) as { faults: Listed[] }).faults);
    }
  }

  /** Adds what the service's list says fired since the last reading. */
  private read(service: string, faults: Listed[]): void {
    const byLabel = new Map(faults.filter((f) => f.label !== undefined).map((f) => [f.label!, f]));
    for (const a of this.armed.filter((x) => x.service === service)) {
      const listed = byLabel.get(a.label);
      if (!listed) continue;
      this.fired[a.kind] = (this.fired[a.kind] ?? 0) + listed.fired - a.seen;
      a.seen = listed.fired;
      a.remaining = listed.remaining;
    }
  }

  /** Before the backends are killed: what fired so far is read, and injections wait for the re-arm. */
  beforeKill(): Promise<void> {
    return this.exclusive(async () => {
      await this.tally();
      this.down = true;
    });
  }

  /** After the backends restarted with none of their faults: every fault in force, armed again with what is left of it. */
  rearm(): Promise<void> {
    return this.exclusive(() => this.rearmNow());
  }

  private async rearmNow(): Promise<void> {
    const armed = [...this.armed];
    this.down = false;
    for (const a of armed) {
      a.seen = 0;
      if (a.remaining === 0) continue;
      await this.post(a, a.remaining === null ? a.fault : { ...a.fault, count: a.remaining });
    }
  }

  /**
   * Waits (bounded) until every kind armed so far has fired: on a loaded machine the restarts hold most
   * sagas back, and a kind cleared before the calls it targets were made proves nothing. Returns the kinds
   * still at zero.
   */
  async untilEveryKindFired(timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.tally();
      const campaignWide = this.armed.filter((a) => a.fault.sagaId === undefined);
      const unfired = [...new Set(campaignWide.map((a) => a.kind))].filter((kind) => !(this.fired[kind]! > 0));
      if (unfired.length === 0 || Date.now() >= deadline) return unfired;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }

  /**
   * Reads what fired, then removes every campaign-wide fault armed so far; a fault scoped to one saga stays
   * (armed again with what is left of it: the backends clear all at once).
   */
  clear(): Promise<void> {
    return this.exclusive(() => this.clearNow());
  }

  private async clearNow(): Promise<void> {
    for (const service of new Set(this.armed.map((a) => a.service))) {
      // The backend answers a clear with what was in force, so what fired up to the clear is counted exactly.
      const res = await fetch(`${this.backendsUrl()}/${service}/_admin/faults`, { method: 'DELETE', signal: AbortSignal.timeout(10_000) }).catch(() => null);
      if (res?.status === 200) this.read(service, ((await res.json()) as { faults: Listed[] }).faults);
      const cleared = this.armed.filter((a) => a.service === service);
      this.armed = this.armed.filter((a) => a.service !== service || a.fault.sagaId !== undefined);
      for (const a of cleared.filter((x) => x.fault.sagaId !== undefined && x.remaining !== 0)) {
        a.seen = 0;
        await this.post(a, a.remaining === null ? a.fault : { ...a.fault, count: a.remaining });
      }
    }
  }

  private exclusive<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async post(a: Armed, fault: Fault): Promise<void> {
    this.injections += 1;
    const res = await fetch(`${this.backendsUrl()}/${a.service}/_admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...fault, label: a.label }),
      signal: AbortSignal.timeout(10_000),
    }).catch(() => null);
    if (res?.status !== 201) this.refused.push(`${a.kind}: ${res?.status ?? 'no answer'}`);
  }
}
