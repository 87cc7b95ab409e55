import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { sagaViewSinks } from '../../src/views/saga-view-store';
import { workflowBundle } from '../support/workflow-bundle';

/**
 * Histories the simulation (`npm run simulate`) saved from schedules that broke `nondeterminism`, each
 * kept once its cause was fixed: today's workflow code must replay them. They are the simulation's own
 * (mocked activities, payloads without the codec), written to $TMPDIR/sagaway-sim/ as it found them.
 */
const DIR = join(__dirname, '..', 'sim-histories');

describe('histories the simulation found not replaying', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

  it('has at least one', () => {
    assert.ok(files.length > 0, `no history in ${DIR}`);
  });

  for (const file of files) {
    it(`replays ${file}`, async () => {
      const saved = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { workflowId: string; history: unknown };
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle(false), sinks: sagaViewSinks(null) }, historyFromJSON(saved.history), saved.workflowId);
    });
  }
});
