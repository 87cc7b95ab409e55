import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAuditActivities } from '../../src/activities/audit-activities';
import { AuditSigner, canonicalJson, hashOf, type AuditRecord } from '../../src/audit/chain';
import { exportLines, verifyLines } from '../../src/audit/export';
import { PgliteDatabase } from '../../src/audit/sql';
import { AuditStore } from '../../src/audit/store';
import { DEV_AUDIT_SIGNING_KEYS } from '../../src/config';

const OTHER_KEY = `forger-1:${Buffer.alloc(32, 7).toString('base64')}`;
const signer = new AuditSigner(DEV_AUDIT_SIGNING_KEYS);
const pinned = signer.publicKeys();

const entry = (sagaId: string, key: string, data: Record<string, unknown> = { step: key }) => ({ sagaId, sagaType: 'transfer', kind: 'status', key, actor: { client: 'acme', keyId: 'k1' }, data });

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const line of lines) all.push(line);
  return all;
}

const entryLines = (lines: string[]) => lines.map((line, index) => ({ line, index, parsed: JSON.parse(line) as { type: string; entry?: AuditRecord } })).filter((l) => l.parsed.type === 'entry');

describe('the audit store', () => {
  let dir: string;
  let db: PgliteDatabase;
  let store: AuditStore;
  let exported: string[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sagaway-audit-'));
    db = new PgliteDatabase(join(dir, 'pglite'));
    store = new AuditStore(db, signer);
    for (const [saga, key] of [['t-1', 'requested'], ['t-2', 'requested'], ['t-1', 'screened'], ['t-1', 'posted'], ['t-2', 'screened'], ['t-1', 'status']] as const) await store.append(entry(saga, key));
    exported = await collect(exportLines(store, null));
  });

  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes an entry once per saga and key: a retry gets the first receipt', async () => {
    const first = await store.append(entry('t-3', 'requested', { amount: 1 }));
    const again = await store.append(entry('t-3', 'requested', { amount: 1 }));
    assert.deepEqual(again, first);
    assert.equal((await store.sagaEntries('t-3')).length, 1);
  });

  it('chains each saga and the whole store; eight appends at once from two openers take eight places', async () => {
    const second = new AuditStore(new PgliteDatabase(join(dir, 'pglite')), signer);
    try {
      const receipts = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? store : second).append(entry(`c-${i % 3}`, `k-${i}`))));
      assert.equal(new Set(receipts.map((r) => r.globalSeq)).size, 8);
    } finally {
      await second.close();
    }
    const report = await store.verify();
    assert.equal(report.ok, true, JSON.stringify(report.problem));
    assert.ok(report.entries >= 15, `checked ${report.entries} entries`);
    assert.deepEqual((await store.sagaEntries('t-1')).map((e) => [e.sagaSeq, e.key]), [[1, 'requested'], [2, 'screened'], [3, 'posted'], [4, 'status']]);
  });

  it('an export verifies on its own, against the pinned public key', () => {
    const report = verifyLines(exported, pinned);
    assert.equal(report.ok, true, JSON.stringify(report.problem));
    assert.equal(report.entries, 6);
    assert.equal(report.unsignedTail, 0);
  });

  it('an edited entry is named', () => {
    const lines = [...exported];
    const third = entryLines(lines)[2]!;
    const edited = { ...third.parsed.entry!, data: { step: 'screened', result: 'clear' } };
    lines[third.index] = canonicalJson({ type: 'entry', entry: edited });
    assert.deepEqual(verifyLines(lines, pinned).problem, { globalSeq: 3, sagaId: 't-1', sagaSeq: 2, why: 'its content does not match its hash (the entry was edited)' });
  });

  it('an edited entry whose hash and every later link were recomputed fails the signed checkpoint', () => {
    const records = entryLines(exported).map((l) => l.parsed.entry!);
    records[2] = { ...records[2]!, data: { step: 'screened', result: 'clear' } };
    for (let i = 2; i < records.length; i += 1) {
      const sagaPrevious = records.slice(0, i).reverse().find((r) => r.sagaId === records[i]!.sagaId);
      const relinked = { ...records[i]!, prevGlobalHash: records[i - 1]!.hash, prevSagaHash: sagaPrevious?.hash ?? records[i]!.prevSagaHash };
      records[i] = { ...relinked, hash: hashOf(relinked) };
    }
    const lines = exported.map((line) => (JSON.parse(line).type === 'entry' ? canonicalJson({ type: 'entry', entry: records.shift() }) : line));
    const report = verifyLines(lines, pinned);
    assert.equal(report.ok, false);
    assert.match(report.problem!.why, /does not match the signed checkpoint/);
    // The forger's own key in the file does not help against the pinned one.
    assert.equal(verifyLines(lines.map((l) => l.replace(/"publicKeys":\{[^}]*\}/, `"publicKeys":${JSON.stringify(new AuditSigner(OTHER_KEY).publicKeys())}`)), pinned).ok, false);
  });

  it('a deleted entry is named by the one after it', () => {
    const lines = [...exported];
    lines.splice(entryLines(lines)[3]!.index, 1);
    const report = verifyLines(lines, pinned);
    assert.equal(report.problem?.globalSeq, 5);
    assert.match(report.problem!.why, /expected entry 4 after entry 3/);
  });

  it('two entries swapped are caught', () => {
    const lines = [...exported];
    const [a, b] = [entryLines(lines)[1]!, entryLines(lines)[2]!];
    [lines[a.index], lines[b.index]] = [b.line, a.line];
    const report = verifyLines(lines, pinned);
    assert.equal(report.problem?.globalSeq, 3);
    assert.match(report.problem!.why, /expected entry 2 after entry 1/);
  });

  it('a cut-off end, or a checkpoint signed by another key, is caught', () => {
    const withoutCheckpoints = exported.filter((line) => JSON.parse(line).type !== 'checkpoint');
    assert.match(verifyLines(withoutCheckpoints, pinned).problem!.why, /follow the last signed checkpoint/);
    const forged = exported.map((line) => (JSON.parse(line).type === 'checkpoint' ? canonicalJson({ type: 'checkpoint', checkpoint: new AuditSigner(OTHER_KEY).sign({ globalSeq: 6, hash: 'f'.repeat(64) }, 'now') }) : line));
    assert.match(verifyLines(forged, pinned).problem!.why, /no valid signature/);
  });

  it('an entry edited in the database itself is named by verify', async () => {
    const scratch = new AuditStore(new PgliteDatabase(join(dir, 'scratch')), signer);
    try {
      for (const key of ['a', 'b', 'c']) await scratch.append(entry('s-1', key));
      assert.equal((await scratch.verify()).ok, true);
      await (scratch as unknown as { db: PgliteDatabase }).db.transaction((sql) => sql.query("UPDATE audit_entries SET body = replace(body, '\"step\":\"b\"', '\"step\":\"B\"') WHERE global_seq = 2"));
      assert.deepEqual((await scratch.verify()).problem, { globalSeq: 2, sagaId: 's-1', sagaSeq: 2, why: 'its content does not match its hash (the entry was edited)' });
      await (scratch as unknown as { db: PgliteDatabase }).db.transaction((sql) => sql.query('DELETE FROM audit_entries WHERE global_seq = 2'));
      assert.match((await scratch.verify()).problem!.why, /expected entry 2 after entry 1/);
    } finally {
      await scratch.close();
    }
  });
});

describe('appendAudit', () => {
  it('masks account numbers, names, addresses and free text, and keeps the screening hit whole', async () => {
    const written: unknown[] = [];
    const fake = { append: async (input: unknown) => (written.push(input), { sagaSeq: 1, globalSeq: 1, hash: 'h' }) } as unknown as AuditStore;
    await createAuditActivities(fake).appendAudit({
      ...entry('t-9', 'requested'),
      kind: 'requested',
      data: {
        debtorIban: 'DE89 3704 0044 0532 0130 00',
        beneficiary: { name: 'Jane Q. Doe', iban: 'FR1420041010050500013M02606', bic: 'BNPAFRPPXXX', country: 'FR', address: { street: '1 rue X', city: 'Paris', country: 'FR' } },
        remittanceInformation: 'invoice 42 for Jane',
        amount: { minor: 10_000, currency: 'EUR' },
        screeningHit: { name: 'Jane Doe', listEntry: 'EU-123', score: 0.91 },
      },
    });
    const data = (written[0] as { data: Record<string, unknown> }).data;
    assert.equal(data.debtorIban, 'DE****************3000');
    assert.deepEqual(data.beneficiary, { name: 'J. Q. D.', iban: 'FR*********************2606', bic: 'BNPAFRPPXXX', country: 'FR', address: { country: 'FR' } });
    assert.match(String(data.remittanceInformation), /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(data.amount, { minor: 10_000, currency: 'EUR' });
    assert.deepEqual(data.screeningHit, { name: 'Jane Doe', listEntry: 'EU-123', score: 0.91 });
  });
});
