import { appendFileSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * An append-only JSON-lines file: every state change of the simulated backends is one line, and a
 * restarted process replays them. Without a path the journal only lives in memory (tests, benchmarks).
 */
export class Journal {
  private seq = 0;

  constructor(private readonly path: string | null) {
    if (path) mkdirSync(dirname(path), { recursive: true });
  }

  /** A number that orders every change across all services, so tests can read the order of undos. */
  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  append(entry: JournalEntry): void {
    if (this.path) appendFileSync(this.path, `${JSON.stringify(entry)}\n`);
  }

  read(): JournalEntry[] {
    if (!this.path || !existsSync(this.path)) return [];
    const entries: JournalEntry[] = [];
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const entry = JSON.parse(line) as JournalEntry;
        if (entry.kind === 'record') this.seq = Math.max(this.seq, entry.record.seq ?? 0);
        entries.push(entry);
      } catch {
        // A line cut short by a kill -9 mid-write is the only way to get here; it never committed.
      }
    }
    return entries;
  }
}

export type JournalEntry =
  | { service: string; kind: 'record'; record: BackendRecord }
  | { service: string; kind: 'reply'; key: string; reply: StoredReply };

export interface BackendRecord {
  id: string;
  kind: string;
  sagaId: string | null;
  status: string;
  /** The Idempotency-Key of the call that created it: undo calls name the record by it. */
  reference: string | null;
  /** Set on every save: the order of changes across all services. */
  seq?: number;
  [field: string]: unknown;
}

export interface StoredReply {
  status: number;
  body: unknown;
  contentType?: string;
}
