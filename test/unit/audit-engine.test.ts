/**
 * The audit store's PGlite runs in an engine process of its own (src/audit/pglite-engine.ts): PostgreSQL's
 * errors reach the caller with their codes, a transaction that fails leaves nothing, an engine that dies is
 * replaced on the next transaction, and an engine whose parent was killed ends and frees the store.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loaderFlags } from '../../src/child-flags';
import { ownerGone, PgliteDatabase } from '../../src/audit/sql';
import { waitFor } from '../support/http';

const dir = join(mkdtempSync(join(tmpdir(), 'audit-engine-')), 'pglite');
let db: PgliteDatabase;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const enginePid = () => Number(readFileSync(join(`${dir}.lock`, 'child-pid'), 'utf8'));

before(async () => {
  db = new PgliteDatabase(dir);
  await db.transaction((sql) => sql.query('CREATE TABLE things (id int PRIMARY KEY, body text NOT NULL)'));
});

after(async () => {
  await db?.close();
});

describe('the audit store engine', () => {
  it('runs PGlite in another process, and answers rows', async () => {
    await db.transaction((sql) => sql.query('INSERT INTO things VALUES ($1, $2)', [1, 'one']));
    assert.notEqual(enginePid(), process.pid);
    assert.ok(alive(enginePid()));
    assert.deepEqual(await db.transaction((sql) => sql.query('SELECT id, body FROM things ORDER BY id')), [{ id: 1, body: 'one' }]);
  });

  it("gives PostgreSQL's error code, and a failed transaction leaves nothing", async () => {
    const err = await db
      .transaction(async (sql) => {
        await sql.query('INSERT INTO things VALUES ($1, $2)', [2, 'two']);
        await sql.query('INSERT INTO things VALUES ($1, $2)', [1, 'again']);
      })
      .then(() => null, (e: unknown) => e as Error & { code?: string });
    assert.equal(err?.code, '23505', String(err));
    assert.match(err!.message, /duplicate key/);
    assert.deepEqual(await db.transaction((sql) => sql.query('SELECT id FROM things ORDER BY id')), [{ id: 1 }]);
  });

  it('starts a new engine when the one it had was killed', async () => {
    const first = enginePid();
    process.kill(first, 'SIGKILL');
    await waitFor('the engine gone', async () => !alive(first), 5_000);
    const failed = await db.transaction((sql) => sql.query('SELECT 1')).then(() => null, (e: Error) => e);
    // The transaction that saw it die may fail with why; the next one has a new engine.
    if (failed) assert.match(failed.message, /engine process ended/);
    assert.deepEqual(await db.transaction((sql) => sql.query('SELECT id FROM things ORDER BY id')), [{ id: 1 }]);
    assert.notEqual(enginePid(), first);
  });

  it('keeps answering through a Ctrl-C sent to its process group: it ends only when closed', async () => {
    await db.transaction((sql) => sql.query('SELECT 1'));
    const engine = enginePid();
    process.kill(engine, 'SIGINT');
    process.kill(engine, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await db.transaction((sql) => sql.query('SELECT id FROM things ORDER BY id')), [{ id: 1 }]);
    assert.equal(enginePid(), engine, 'the same engine answered');
  });

  it('holds the lock from the moment the engine starts, even for a parent killed before the store opened', async () => {
    await db.close();
    const script = `const { PgliteDatabase } = require(${JSON.stringify(require.resolve('../../src/audit/sql'))});
      new PgliteDatabase(${JSON.stringify(dir)}).transaction((sql) => sql.query('SELECT 1'));
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, [...loaderFlags(process.execArgv), '-e', script], { stdio: 'ignore' });
    const lock = `${dir}.lock`;
    await waitFor('the engine named in the lock', async () => existsSync(join(lock, 'child-pid')), 20_000);
    const engine = enginePid();
    parent.kill('SIGKILL');
    await new Promise((r) => parent.on('exit', r));
    // While the engine lives the lock is not taken over, whatever it is doing.
    if (alive(engine)) assert.equal(ownerGone(lock), false);
    await waitFor('the orphaned engine to end', async () => !alive(engine), 20_000);
    assert.equal(ownerGone(lock), true);
    db = new PgliteDatabase(dir);
    assert.deepEqual(await db.transaction((sql) => sql.query('SELECT id FROM things ORDER BY id')), [{ id: 1 }]);
  });

  it('ends when the process that started it is killed, and the store can be opened again', async () => {
    await db.close();
    const script = `const { PgliteDatabase } = require(${JSON.stringify(require.resolve('../../src/audit/sql'))});
      const db = new PgliteDatabase(${JSON.stringify(dir)});
      db.transaction((sql) => sql.query('SELECT 1')).then(() => process.stdout.write('open\\n'));
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, [...loaderFlags(process.execArgv), '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => parent.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('open') && resolve()));
    const engine = enginePid();
    parent.kill('SIGKILL');
    await waitFor('the orphaned engine to end', async () => !alive(engine), 10_000);
    db = new PgliteDatabase(dir);
    assert.deepEqual(await db.transaction((sql) => sql.query('SELECT id FROM things ORDER BY id')), [{ id: 1 }]);
    assert.ok(existsSync(`${dir}.lock`));
  });
});
