/**
 * The audit store's lock folder: a lock whose process is gone is taken over, unless the process that
 * creates the store for it (a child that outlives a killed parent) still runs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ownerGone } from '../../src/audit/sql';

/** A pid no process has: one that ran and ended. */
async function endedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.on('close', r));
  return child.pid!;
}

function lockWith(pid: number, childPid?: number): string {
  const lock = join(mkdtempSync(join(tmpdir(), 'audit-lock-')), 'pglite.lock');
  mkdirSync(lock);
  writeFileSync(join(lock, 'pid'), String(pid));
  if (childPid !== undefined) writeFileSync(join(lock, 'child-pid'), String(childPid));
  return lock;
}

describe('the audit store lock', () => {
  it('is held while its process runs, and taken over once it is gone', async () => {
    assert.equal(ownerGone(lockWith(process.pid)), false);
    assert.equal(ownerGone(lockWith(await endedPid())), true);
  });

  it('is held while the store is still being created by a child of a process that is gone', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
    try {
      assert.equal(ownerGone(lockWith(await endedPid(), child.pid!)), false);
      assert.equal(ownerGone(lockWith(await endedPid(), await endedPid())), true);
    } finally {
      child.kill();
    }
  });
});
