/**
 * The simulated world: one ledger per backend, each recording what was applied by Idempotency-Key. The
 * invariants are judged from these ledgers only, never from what the saga says about itself.
 */
export interface LedgerRecord {
  backend: string;
  key: string;
  /** The step that applied it, unit included and try left out (`reserveBike#2`, `holdHotel#2`). */
  step: string;
  status: string;
  /** What the backend answered (or would have answered) to the call that applied it. */
  value: unknown;
  /** Money held or taken by this record, in minor units, when it is a payment or a charge. */
  amountMinor: number;
  appliedAt: number;
  /** The undo that took effect, if any (a step's effect is gone). */
  undoneAt: number | null;
  /** Whether an operator did it by hand (resolve). */
  byHand: boolean;
  /** The pivot or step after it that moved this record (capture, ticket, commit), by key. */
  movedBy: string[];
}

export interface WorldNote {
  at: number;
  what: string;
}

export class Ledger {
  readonly records = new Map<string, LedgerRecord>();
  /** Keys whose undo arrived before anything was applied: a late forward call must not take effect. */
  readonly tombstones = new Set<string>();
}

/**
 * Ways to break the world on purpose, each of which one invariant must catch (`--sabotage <name>`):
 * undos that answer yes and do nothing, a forward call applied under a second key, a capture that takes a
 * cent more, a pivot that says no and lands anyway, a pivot that says yes and does nothing, a seat
 * allocator that never answers.
 */
export const Sabotages = ['drop-undo', 'double-apply', 'capture-more', 'pivot-lands-late', 'pivot-no-effect', 'no-seat-decision'] as const;
export type Sabotage = (typeof Sabotages)[number];

export class World {
  private clock = 0;
  constructor(readonly sabotage: Sabotage | null = null) {}

  readonly ledgers = new Map<string, Ledger>();
  /** Forward calls applied, per step: more than one key for a step is a double application. */
  readonly appliedKeys = new Map<string, Set<string>>();
  /** The moment the pivot took effect in the world (null: never). */
  pivotAt: number | null = null;
  /** Undo calls that reached a backend after the pivot took effect. */
  readonly undosAfterPivot: string[] = [];
  readonly notes: WorldNote[] = [];
  readonly alerts: Array<{ kind: string; step: string | null }> = [];
  /** Calls per step label, tries apart (`authorizePayment:undo~2`), and the wall-clock time of the last call. */
  readonly calls = new Map<string, number>();
  /** Local activities' calls: a worker that restarts (or caches nothing) may send them again on replay. */
  readonly localCalls = new Map<string, number>();
  lastCallAt = Date.now();
  /** A pivot the `pivot-lands-late` sabotage refused, to land before the next undo. */
  pendingPivot: (() => unknown) | null = null;
  /** Wall-clock time by which every in-progress attempt has landed or given up. */
  lateUntil = 0;
  /** Plain calls (nothing to undo: a door, a notice) that took effect, per step label (`openDoor#1`). */
  readonly plainApplied = new Map<string, number>();
  /** Step labels (`openDoor#1`) of which some attempt's answer never arrived or could not be read. */
  readonly unknownAnswers = new Set<string>();
  /** How an operator applies a step after the pivot by hand, by step name. */
  readonly byHandFor = new Map<string, () => void>();

  /** An operator fixed the step by hand before resolving it: its undo, or the step itself. */
  byHand(step: string, undo: boolean): void {
    if (undo) {
      for (const r of this.live((s) => s === step)) this.applyUndo(r.backend, r.key, 'UNDONE_BY_HAND', true);
      return;
    }
    try {
      this.byHandFor.get(step)?.();
    } catch {
      // Nothing left to apply by hand.
    }
  }

  tick(): number {
    this.clock += 1;
    return this.clock;
  }

  ledger(backend: string): Ledger {
    let ledger = this.ledgers.get(backend);
    if (!ledger) this.ledgers.set(backend, (ledger = new Ledger()));
    return ledger;
  }

  find(backend: string, key: string): LedgerRecord | undefined {
    return this.ledger(backend).records.get(key);
  }

  note(what: string): void {
    this.notes.push({ at: this.clock, what });
  }

  /** Applies a forward call once per key (the backend is idempotent by key); false when a tombstone forbids it. */
  applyForward(backend: string, key: string, step: string, status: string, value: unknown, amountMinor: number): boolean {
    const ledger = this.ledger(backend);
    if (ledger.records.has(key)) return true;
    if (ledger.tombstones.has(key)) return false;
    ledger.records.set(key, { backend, key, step, status, value, amountMinor, appliedAt: this.tick(), undoneAt: null, byHand: false, movedBy: [] });
    const keys = this.appliedKeys.get(step) ?? new Set<string>();
    keys.add(key);
    this.appliedKeys.set(step, keys);
    this.note(`${backend}: ${step} applied (${key})`);
    return true;
  }

  applyUndo(backend: string, reference: string, status: string, byHand = false): void {
    if (this.pivotAt !== null && !byHand) this.undosAfterPivot.push(`${backend}:${reference}`);
    const record = this.find(backend, reference);
    if (!record) {
      this.ledger(backend).tombstones.add(reference);
      return;
    }
    if (record.undoneAt !== null) return;
    Object.assign(record, { status, undoneAt: this.tick(), byHand });
    this.note(`${backend}: ${record.step} undone${byHand ? ' by hand' : ''}`);
  }

  /**
   * Moves an applied record (capture, ticket, commit); false when there is nothing live to move. `amountMinor`:
   * what the move takes of the record's amount (a capture of part of an authorization), all of it when absent.
   */
  move(backend: string, reference: string, key: string, status: string, pivot: boolean, amountMinor?: number): boolean {
    const record = this.find(backend, reference);
    if (!record || record.undoneAt !== null) return false;
    // A backend moves a record by its state: a second capture of a captured authorization changes nothing.
    if (record.status === status) return true;
    if (amountMinor !== undefined) record.amountMinor = amountMinor;
    if (this.sabotage === 'capture-more' && status === 'CAPTURED') record.amountMinor += 1;
    if (!record.movedBy.includes(key)) record.movedBy.push(key);
    record.status = status;
    if (pivot) this.pivotAt ??= this.tick();
    this.note(`${backend}: ${record.step} -> ${status} (${key})`);
    return true;
  }

  /** A plain call took effect (a door opened). */
  applyPlain(backend: string, step: string): void {
    if (!this.plainApplied.has(step)) this.note(`${backend}: ${step} applied`);
    this.plainApplied.set(step, (this.plainApplied.get(step) ?? 0) + 1);
  }

  /** Records applied and never undone, the steps given. */
  live(steps?: (step: string) => boolean): LedgerRecord[] {
    return [...this.ledgers.values()].flatMap((l) => [...l.records.values()]).filter((r) => r.undoneAt === null && (!steps || steps(r.step)));
  }
}
