import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { workflowBundleFile } from '../support/workflow-bundle';

/** The workflows bundled once for the suite (the workers would each run webpack otherwise). */
let bundle = '';
before(async () => {
  bundle = await workflowBundleFile();
});

describe('npm run bench -- --quick', () => {
  it('runs every scenario and writes a results file a reader can use', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bench-')), 'quick.json');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out], { cwd: join(__dirname, '..', '..'), env: { ...process.env, SAGAWAY_WORKFLOW_BUNDLE: bundle }, encoding: 'utf8', timeout: 240_000 });
    assert.equal(run.status, 0, run.stderr.slice(-2_000));
    const results = JSON.parse(readFileSync(out, 'utf8'));
    assert.match(results.machine, /cores/);
    const names = results.scenarios.map((s: any) => s.name);
    for (const expected of ['baseline-c1', 'order-c1', 'order-declined-half-c1', 'baseline-c8', 'order-c8', 'api-start-202-c32', 'api-get-saga-c32', 'trip-c1', 'trip-c8', 'transfer-c1', 'transfer-c8']) {
      assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`);
    }
    assert.ok(names.some((n: string) => n.startsWith('bike-held-')));
    for (const s of results.scenarios) {
      assert.ok(s.count > 0, `${s.name} ran`);
      assert.ok(s.perSec > 0 && s.p50Ms > 0 && s.p50Ms <= s.p95Ms && s.p95Ms <= s.p99Ms, `${s.name} has sane numbers`);
    }
    const order = results.scenarios.find((s: any) => s.name === 'order-c1');
    assert.ok(order.eventsPerSaga > 10 && order.workflowTasksPerSaga >= 2);
    assert.ok(typeof order.vsBaseline === 'number');
    assert.match(readFileSync(out.replace(/\.json$/, '.md'), 'utf8'), /\| order-c8 \| 8 \|/);
  });
});
