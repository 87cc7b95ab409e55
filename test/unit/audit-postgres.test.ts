import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuditSigner } from '../../src/audit/chain';
import { PostgresDatabase } from '../../src/audit/sql';
import { AuditStore } from '../../src/audit/store';
import { DEV_AUDIT_SIGNING_KEYS } from '../../src/config';
import { postgresBinDir, startPostgres, type RunningService } from '../../src/dev/cluster-stores';
import { freePort } from '../../src/dev/temporal-server';

const entry = (sagaId: string, key: string) => ({ sagaId, sagaType: 'transfer', kind: 'status', key, data: { key } });

// The same store on PostgreSQL (the cluster's), where several workers append at once through their own pools.
describe('the audit store on PostgreSQL', { skip: postgresBinDir() === null ? 'PostgreSQL is not installed' : false }, () => {
  let dir: string;
  let postgres: RunningService;
  let url: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sagaway-audit-pg-'));
    chmodSync(dir, 0o755);
    const port = await freePort();
    postgres = await startPostgres({ dataDir: join(dir, 'postgres'), port, user: 'audit', password: 'audit-test', logFile: join(dir, 'postgres.log'), log: () => undefined });
    url = `postgres://audit:audit-test@127.0.0.1:${port}/sagaway_audit`;
  });

  after(async () => {
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates its database, appends once per key from two workers at once, and verifies', async () => {
    const signer = new AuditSigner(DEV_AUDIT_SIGNING_KEYS);
    const [one, two] = [new AuditStore(new PostgresDatabase(url), signer), new AuditStore(new PostgresDatabase(url), signer)];
    try {
      await one.append(entry('p-0', 'first'));
      const receipts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).append(entry(`p-${i % 2}`, `k-${i % 10}`))));
      assert.equal(new Set(receipts.map((r) => r.globalSeq)).size, 10, 'each (saga, key) written once');
      assert.ok(await two.signHead());
      const report = await one.verify();
      assert.equal(report.ok, true, JSON.stringify(report.problem));
      assert.equal(report.entries, 11);
      assert.equal(report.unsignedTail, 0);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});
