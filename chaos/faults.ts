/**
 * The faults the campaign injects into the backends, counted when they FIRE: each is injected as a
 * counted fault (a large count), so the backend's own fault list says how many calls it hit
 * (`count - remaining`). Faults live in the backends' memory: the ledger reads what fired before the
 * backends are killed and arms them again once they are back.
 */
type Fault = Record<string, unknown>;

interface Armed {
  service: string;
  kind: string;
  fault: Fault;
  /** What had fired when last read, since it was last armed. */
  seen: number;
}

/** Large enough never to run out: the count is only there to be read back. */
const UNLIMITED = 1_000_000;

export class FaultLedger {
  private armed: Armed[] = [];
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
  async inject(kind: string, service: string, fault: Fault): Promise<void> {
    this.fired[kind] ??= 0;
    const first = fault.rate !== undefined && fault.count === undefined ? [{ ...fault, rate: undefined, count: 1 }] : [];
    for (const f of [...first, { count: UNLIMITED, ...fault }]) {
      const entry = { service, kind, fault: f, seen: 0 };
      this.armed.push(entry);
      await this.post(entry);
    }
  }

  /** Adds what fired since the last reading; call before the faults are lost or cleared. */
  async tally(): Promise<void> {
    for (const service of new Set(this.armed.map((a) => a.service))) {
      const res = await fetch(`${this.backendsUrl()}/${service}/_admin/faults`, { signal: AbortSignal.timeout(10_000) }).catch(() => null);
      if (res?.status !== 200) continue;
      const { faults } = (await res.json()) as { faults: Array<{ count?: number; remaining: number | null }> };
      // A service lists its faults in the order they were added, as the ledger armed them.
      this.armed
        .filter((a) => a.service === service)
        .forEach((a, i) => {
          const listed = faults[i];
          if (!listed || listed.remaining === null || listed.count === undefined) return;
          const now = listed.count - listed.remaining;
          this.fired[a.kind] = (this.fired[a.kind] ?? 0) + now - a.seen;
          a.seen = now;
        });
    }
  }

  /** After the backends restarted with none of their faults: every fault in force, armed again. */
  async rearm(): Promise<void> {
    for (const a of this.armed) {
      a.seen = 0;
      await this.post(a);
    }
  }

  async clear(): Promise<void> {
    await this.tally();
    for (const service of new Set(this.armed.map((a) => a.service))) {
      await fetch(`${this.backendsUrl()}/${service}/_admin/faults`, { method: 'DELETE', signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
    }
    this.armed = [];
  }

  private async post(a: Armed): Promise<void> {
    this.injections += 1;
    const res = await fetch(`${this.backendsUrl()}/${a.service}/_admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(a.fault),
      signal: AbortSignal.timeout(10_000),
    }).catch(() => null);
    if (res?.status !== 201) this.refused.push(`${a.kind}: ${res?.status ?? 'no answer'}`);
  }
}
