import type { CallPhase, Outcome } from './schedule';

/**
 * How often each outcome kind, each phase and each event was exercised. A kind never exercised fails the
 * run: the generator must not quietly stop looking somewhere.
 */
export class Coverage {
  readonly counts = new Map<string, number>();

  add(what: string, n = 1): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + n);
  }

  outcome(phase: CallPhase, o: Outcome): void {
    const kind = o.kind === 'ok' || o.kind === 'refused' || o.kind === 'slow' ? o.kind : `${o.kind}/${o.applied ? 'applied' : 'not-applied'}`;
    this.add(`outcome ${kind}`);
    this.add(`phase ${phase}`);
    this.add(`phase ${phase} ${kind}`);
  }

  merge(other: Coverage): void {
    for (const [k, v] of other.counts) this.add(k, v);
  }

  /** The names in `required` never counted. */
  missing(required: readonly string[]): string[] {
    return required.filter((r) => !this.counts.get(r));
  }

  table(): string {
    return [...this.counts].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k.padEnd(48)} ${v}`).join('\n');
  }
}

export const REQUIRED_OUTCOMES = [
  'outcome ok',
  'outcome slow',
  'outcome refused',
  'outcome unreadable/applied',
  'outcome unreadable/not-applied',
  'outcome lost/applied',
  'outcome lost/not-applied',
  'outcome inProgress/applied',
  'outcome inProgress/not-applied',
  // Every schedule's history is replayed: a run that replayed none checked nothing for determinism.
  'history replayed',
] as const;
