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

describe('npm run chaos -- --quick', () => {
  it('keeps every promise while parts are killed, restarted and backends fail', () => {
    const json = join(mkdtempSync(join(tmpdir(), 'chaos-result-')), 'result.json');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'chaos/run.ts', '--quick', '--json', json], {
      cwd: join(__dirname, '..', '..'),
      // The workers (restarted after each SIGKILL) read the suite's bundle instead of each running webpack.
      env: { ...process.env, SAGAWAY_WORKFLOW_BUNDLE: bundle },
      encoding: 'utf8',
      timeout: 360_000,
    });
    process.stdout.write(run.stdout);
    const result = JSON.parse(readFileSync(json, 'utf8')) as {
      sagas: number;
      outcomes: Record<string, number>;
      faults: Record<string, number>;
      events: Record<string, number>;
      invariants: Array<{ name: string; cases: number; held: boolean; detail: string }>;
    };
    const broken = result.invariants.filter((i) => !i.held);
    assert.deepEqual(broken, [], 'every invariant holds');
    assert.equal(run.status, 0, run.stderr);
    assert.ok(result.sagas >= 20);
    assert.equal(Object.values(result.outcomes).reduce((a, b) => a + b, 0), result.sagas);
    for (const type of ['order', 'bike-checkout', 'class-registration', 'trip', 'transfer']) {
      assert.ok(Object.keys(result.outcomes).some((k) => k.startsWith(`${type} `)), `the load had ${type} sagas`);
    }
    for (const invariant of result.invariants) assert.ok(invariant.cases > 0, `${invariant.name} judged some cases`);
    for (const [kind, fired] of Object.entries({ ...result.faults, ...result.events })) assert.ok(fired > 0, `${kind} happened`);
    for (const kind of ['worker SIGKILL', 'api SIGKILL', 'temporal SIGKILL', 'backends SIGKILL']) assert.ok(result.events[kind]! > 0, `the campaign caused ${kind}`);
    assert.ok(result.faults['lost response']! > 0, 'a lost response fired');
  });
});
