import { checkpointValid, GENESIS, hashOf, type AuditCheckpoint, type AuditRecord } from './chain';

/** The first thing that does not match, named by the entry where it shows. */
export interface TrailProblem {
  globalSeq: number;
  sagaId: string | null;
  sagaSeq: number | null;
  why: string;
}

export interface TrailReport {
  ok: boolean;
  entries: number;
  sagas: number;
  checkpoints: number;
  /** The last entry a valid signature covers, and how many entries come after it unsigned. */
  signedThrough: number | null;
  unsignedTail: number;
  problem: TrailProblem | null;
}

/**
 * Checks entries one by one, in the order they are stored (or written in an export): each must hash to
 * its own `hash`, follow the previous entry in the global chain and its saga's previous entry, and match
 * every signed checkpoint at its position. `fromStart`: the first entry must be the chain's very first
 * (a whole store); an export from a date starts where it starts, anchored by the signed checkpoints.
 */
export class TrailVerifier {
  private readonly signed = new Map<number, AuditCheckpoint>();
  private readonly lastOfSaga = new Map<string, { sagaSeq: number; hash: string }>();
  private previous: AuditRecord | null = null;
  private lastGoodCheckpoint = 0;
  private entries = 0;
  private signedThrough: number | null = null;
  private problem: TrailProblem | null = null;

  constructor(checkpoints: AuditCheckpoint[], publicKeys: Record<string, string>, private readonly fromStart: boolean) {
    for (const checkpoint of checkpoints) {
      if (!checkpointValid(checkpoint, publicKeys)) {
        this.problem ??= { globalSeq: checkpoint.globalSeq, sagaId: null, sagaSeq: null, why: `the checkpoint at entry ${checkpoint.globalSeq} has no valid signature (key ${checkpoint.keyId})` };
        continue;
      }
      this.signed.set(checkpoint.globalSeq, checkpoint);
    }
  }

  /** Checks the next entry; false once a problem is found (the rest is not judged). */
  check(record: AuditRecord): boolean {
    if (this.problem) return false;
    this.entries += 1;
    const why = this.whyNot(record);
    if (why) {
      this.problem = { globalSeq: record.globalSeq, sagaId: record.sagaId, sagaSeq: record.sagaSeq, why };
      return false;
    }
    this.previous = record;
    this.lastOfSaga.set(record.sagaId, { sagaSeq: record.sagaSeq, hash: record.hash });
    if (this.signed.has(record.globalSeq)) {
      this.signedThrough = record.globalSeq;
      this.lastGoodCheckpoint = record.globalSeq;
    }
    return true;
  }

  report(): TrailReport {
    const last = this.previous?.globalSeq ?? 0;
    return {
      ok: this.problem === null,
      entries: this.entries,
      sagas: this.lastOfSaga.size,
      checkpoints: this.signed.size,
      signedThrough: this.signedThrough,
      unsignedTail: this.signedThrough === null ? this.entries : last - this.signedThrough,
      problem: this.problem,
    };
  }

  private whyNot(record: AuditRecord): string | null {
    if (hashOf(record) !== record.hash) return 'its content does not match its hash (the entry was edited)';
    const previous = this.previous;
    if (previous === null) {
      if (this.fromStart && (record.globalSeq !== 1 || record.prevGlobalHash !== GENESIS)) return 'the chain does not start at entry 1 (entries before it were deleted)';
    } else {
      if (record.globalSeq !== previous.globalSeq + 1) return `expected entry ${previous.globalSeq + 1} after entry ${previous.globalSeq} (an entry was deleted or moved)`;
      if (record.prevGlobalHash !== previous.hash) return `it does not follow entry ${previous.globalSeq} in the global chain (an entry was replaced or moved)`;
    }
    const sagaPrevious = this.lastOfSaga.get(record.sagaId);
    if (sagaPrevious) {
      if (record.sagaSeq !== sagaPrevious.sagaSeq + 1) return `expected the saga's entry ${sagaPrevious.sagaSeq + 1} (a saga entry was deleted or moved)`;
      if (record.prevSagaHash !== sagaPrevious.hash) return `it does not follow the saga's entry ${sagaPrevious.sagaSeq} (a saga entry was replaced or moved)`;
    } else if ((this.fromStart || record.sagaSeq === 1) && (record.sagaSeq !== 1 || record.prevSagaHash !== GENESIS)) {
      return "the saga's chain does not start at its entry 1";
    }
    const checkpoint = this.signed.get(record.globalSeq);
    if (checkpoint && checkpoint.hash !== record.hash) {
      return `it does not match the signed checkpoint at entry ${record.globalSeq}: the chain was rewritten after entry ${this.lastGoodCheckpoint}`;
    }
    return null;
  }
}

/** One saga's entries, in its order: each hashes to itself and links to the one before, from its entry 1. */
export function sagaChainIntact(entries: AuditRecord[]): boolean {
  return entries.every((entry, index) => {
    const previous = entries[index - 1];
    return hashOf(entry) === entry.hash && entry.sagaSeq === index + 1 && entry.prevSagaHash === (previous?.hash ?? GENESIS);
  });
}
