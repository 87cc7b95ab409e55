import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { markdown, movedRows, previousRelease, type BenchResults, type ComparedRow } from '../../bench/report';

const row = (name: string, over: Partial<ComparedRow> = {}): ComparedRow => ({ name, count: 40, p50Ms: 350, p99Ms: 400, perSec: 19.4, eventsPerSaga: 47, workerRssMb: 380, ...over });

describe('bench report: what moved since the previous release', () => {
  it('names a row that moved beyond the noise, old -> new, and leaves out one that moved within it', () => {
    const previous = [row('order-c1', { p50Ms: 252, eventsPerSaga: 34, workerRssMb: 321 }), row('baseline-c1')];
    const current = [row('order-c1', { p50Ms: 400, eventsPerSaga: 56, workerRssMb: 613 }), row('baseline-c1', { p50Ms: 380, p99Ms: 480, perSec: 21.1, workerRssMb: 420 })];
    assert.deepEqual(movedRows(previous, current), ['order-c1: p50 252 -> 400 ms (+59%), events/saga 34 -> 56 (+65%), worker RSS 321 -> 613 MB (+91%)']);
  });

  it('takes a large share of a small number for noise when it is within the floor', () => {
    // Tripled, but by 15 ms: one scheduling hiccup on a shared machine.
    assert.deepEqual(movedRows([row('bike-held-2000', { p50Ms: 8 })], [row('bike-held-2000', { p50Ms: 23 })]), []);
  });

  it('says a row that measured nothing on either side is not compared, and skips rows only one run has', () => {
    const previous = [row('overload-admission-off', { count: 0, p50Ms: 0, p99Ms: 0 }), row('api-get-saga-c32')];
    const current = [row('overload-admission-off', { p50Ms: 9_000 }), row('allocator-5000', { p50Ms: 49_000 })];
    assert.deepEqual(movedRows(previous, current), ['overload-admission-off: not compared, it measured nothing in the release run']);
  });

  it('compares with the newest release run not above the package version, by number not by text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-releases-'));
    const run = (date: string): BenchResults => ({ machine: 'm', date, quick: false, scenarios: [] });
    for (const version of ['0.1.0', '0.3.0', '0.9.0', '0.10.0']) writeFileSync(join(dir, `v${version}.json`), JSON.stringify(run(version)));
    writeFileSync(join(dir, 'latest.json'), JSON.stringify(run('latest')));
    assert.equal(previousRelease(dir, '0.3.0')?.version, '0.3.0');
    assert.equal(previousRelease(dir, '0.4.0')?.version, '0.3.0');
    assert.equal(previousRelease(dir, '0.10.1')?.results.date, '0.10.0');
    assert.equal(previousRelease(dir, '0.0.9'), null);
  });
});

describe('bench report: the table', () => {
  it('makes a row that measured nothing as loud as a row with failures', () => {
    const scenario = (name: string, count: number, failed: number) => ({ ...row(name, { count }), concurrency: 60, p95Ms: 0, workflowTasksPerSaga: null, failed, cpuSeconds: {}, peakRssMb: {}, vsBaseline: null });
    const table = markdown({ machine: 'm', date: 'd', quick: false, scenarios: [scenario('overload-admission-on', 0, 0), scenario('bike-held-2000', 1_999, 1), scenario('order-c1', 40, 0)] });
    assert.match(table, /\| \*\*overload-admission-on \(MEASURED NOTHING\)\*\* \| 60 \| \*\*0\*\* \|/);
    assert.match(table, /\| \*\*bike-held-2000 \(1 FAILED\)\*\* \| 60 \| 1999 \| \*\*1\*\* \|/);
    assert.match(table, /\| order-c1 \| 60 \| 40 \| 0 \|/);
  });
});
