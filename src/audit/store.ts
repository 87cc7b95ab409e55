/**
 * The append-only audit store, outside Temporal (whose histories are deleted after their retention). An
 * entry is stored as the canonical JSON its hash covers, byte for byte; the columns beside it only index it.
 * Appends take one lock for the whole global chain, so two workers never give two entries the same place.
 */
import type { AuditEntryInput, AuditReceipt } from '../domain/audit';
import { AuditSigner, canonicalJson, GENESIS, hashOf, type AuditCheckpoint, type AuditRecord } from './chain';
import type { SqlDatabase, SqlSession } from './sql';
import { TrailVerifier, type TrailReport } from './verify';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_entries (
  global_seq bigint PRIMARY KEY,
  saga_id text NOT NULL,
  saga_seq integer NOT NULL,
  key text NOT NULL,
  at timestamptz NOT NULL,
  body text NOT NULL,
  UNIQUE (saga_id, key),
  UNIQUE (saga_id, saga_seq)
);
CREATE INDEX IF NOT EXISTS audit_entries_at ON audit_entries (at);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  global_seq bigint PRIMARY KEY,
  body text NOT NULL
);`;

/** Any constant both engines agree on: the append lock's id. */
const APPEND_LOCK = 2_024_0024;
const PAGE = 500;

export interface AuditPage {
  entries: AuditRecord[];
  /** The global position to continue after, or null at the end. */
  next: number | null;
}

export class AuditStore {
  private ready: Promise<void> | null = null;
  /** Whether this process appended since it last signed: an idle worker never opens the store to sign. */
  private appended = false;

  constructor(private readonly db: SqlDatabase, private readonly signer: AuditSigner, private readonly clock: () => Date = () => new Date()) {}

  /** Writes the entry once per (sagaId, key): a retry gets the first write's receipt. */
  async append(input: AuditEntryInput): Promise<AuditReceipt> {
    await this.schema();
    this.appended = true;
    return this.db.transaction(async (sql) => {
      await sql.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK]);
      const existing = await sql.query<{ body: string }>('SELECT body FROM audit_entries WHERE saga_id = $1 AND key = $2', [input.sagaId, input.key]);
      if (existing[0]) return receiptOf(JSON.parse(existing[0].body) as AuditRecord);
      const [lastGlobal] = await sql.query<{ body: string }>('SELECT body FROM audit_entries ORDER BY global_seq DESC LIMIT 1');
      const [lastSaga] = await sql.query<{ body: string }>('SELECT body FROM audit_entries WHERE saga_id = $1 ORDER BY saga_seq DESC LIMIT 1', [input.sagaId]);
      const previous = lastGlobal ? (JSON.parse(lastGlobal.body) as AuditRecord) : null;
      const sagaPrevious = lastSaga ? (JSON.parse(lastSaga.body) as AuditRecord) : null;
      const unhashed: Omit<AuditRecord, 'hash'> = {
        v: 1,
        globalSeq: (previous?.globalSeq ?? 0) + 1,
        sagaSeq: (sagaPrevious?.sagaSeq ?? 0) + 1,
        sagaId: input.sagaId,
        sagaType: input.sagaType,
        kind: input.kind,
        key: input.key,
        actor: input.actor ?? null,
        data: input.data,
        at: this.clock().toISOString(),
        prevGlobalHash: previous?.hash ?? GENESIS,
        prevSagaHash: sagaPrevious?.hash ?? GENESIS,
      };
      // Stored as what was hashed: a value JSON cannot carry (undefined, a function) is gone before hashing.
      const record = JSON.parse(canonicalJson({ ...unhashed, hash: hashOf(unhashed) })) as AuditRecord;
      await sql.query('INSERT INTO audit_entries (global_seq, saga_id, saga_seq, key, at, body) VALUES ($1, $2, $3, $4, $5, $6)', [
        record.globalSeq, record.sagaId, record.sagaSeq, record.key, record.at, canonicalJson(record),
      ]);
      return receiptOf(record);
    });
  }

  /** Signs the head when this process appended since it last signed (the worker's timer and its close). */
  async signHeadIfAppended(): Promise<AuditCheckpoint | null> {
    if (!this.appended) return null;
    this.appended = false;
    return this.signHead().catch((err: unknown) => {
      this.appended = true;
      throw err;
    });
  }

  /** Signs the global chain's head when it moved since the last checkpoint; the new checkpoint, or null. */
  async signHead(): Promise<AuditCheckpoint | null> {
    await this.schema();
    return this.db.transaction(async (sql) => {
      await sql.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK]);
      const [head] = await sql.query<{ body: string }>('SELECT body FROM audit_entries ORDER BY global_seq DESC LIMIT 1');
      if (!head) return null;
      const record = JSON.parse(head.body) as AuditRecord;
      const [signed] = await sql.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_checkpoints WHERE global_seq = $1', [record.globalSeq]);
      if (signed && signed.n !== '0') return null;
      const checkpoint = this.signer.sign(record, this.clock().toISOString());
      await sql.query('INSERT INTO audit_checkpoints (global_seq, body) VALUES ($1, $2)', [checkpoint.globalSeq, canonicalJson(checkpoint)]);
      return checkpoint;
    });
  }

  async sagaEntries(sagaId: string): Promise<AuditRecord[]> {
    await this.schema();
    return this.read<AuditRecord>((sql) => sql.query<{ body: string }>('SELECT body FROM audit_entries WHERE saga_id = $1 ORDER BY saga_seq', [sagaId]));
  }

  /** Entries written at or after `since` (and before `until`), in the global chain's order, after position `after`. */
  async page(options: { since?: Date; until?: Date; after?: number; through?: number; limit?: number }): Promise<AuditPage> {
    await this.schema();
    const limit = Math.min(options.limit ?? PAGE, PAGE);
    const entries = await this.read<AuditRecord>((sql) =>
      sql.query<{ body: string }>(
        'SELECT body FROM audit_entries WHERE global_seq > $1 AND global_seq <= $2 AND at >= $3 AND at < $4 ORDER BY global_seq LIMIT $5',
        [options.after ?? 0, options.through ?? Number.MAX_SAFE_INTEGER, (options.since ?? new Date(0)).toISOString(), options.until?.toISOString() ?? '9999-12-31T00:00:00Z', limit + 1],
      ),
    );
    const more = entries.length > limit;
    const shown = entries.slice(0, limit);
    return { entries: shown, next: more ? shown[shown.length - 1]!.globalSeq : null };
  }

  /** Every entry from `since` on (through global position `through`), page by page, in order. */
  async *entriesSince(since?: Date, through?: number): AsyncGenerator<AuditRecord> {
    let after = 0;
    for (;;) {
      const { entries, next } = await this.page({ since, after, through });
      yield* entries;
      if (next === null) return;
      after = next;
    }
  }

  async checkpoints(): Promise<AuditCheckpoint[]> {
    await this.schema();
    return this.read<AuditCheckpoint>((sql) => sql.query<{ body: string }>('SELECT body FROM audit_checkpoints ORDER BY global_seq'));
  }

  /** Checks the whole store from entry 1; `publicKeys` default to the signer's own. */
  async verify(publicKeys: Record<string, string> = this.signer.publicKeys()): Promise<TrailReport> {
    const verifier = new TrailVerifier(await this.checkpoints(), publicKeys, true);
    for await (const record of this.entriesSince()) if (!verifier.check(record)) break;
    return verifier.report();
  }

  publicKeys(): Record<string, string> {
    return this.signer.publicKeys();
  }

  close(): Promise<void> {
    return this.db.close();
  }

  private schema(): Promise<void> {
    this.ready ??= this.db.transaction(async (sql) => void (await runAll(sql, SCHEMA))).catch((err: unknown) => {
      this.ready = null;
      throw err;
    });
    return this.ready;
  }

  private async read<T>(query: (sql: SqlSession) => Promise<Array<{ body: string }>>): Promise<T[]> {
    const rows = await this.db.transaction(query);
    return rows.map((row) => JSON.parse(row.body) as T);
  }
}

async function runAll(sql: SqlSession, script: string): Promise<void> {
  for (const statement of script.split(';').map((s) => s.trim()).filter(Boolean)) await sql.query(statement);
}

const receiptOf = (record: AuditRecord): AuditReceipt => ({ sagaSeq: record.sagaSeq, globalSeq: record.globalSeq, hash: record.hash });
