import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { loadHistories } from '../support/history-files';
import { dataConverterFrom } from '../../src/codec';
import { loadConfig } from '../../src/config';
import { workflowBundle } from '../support/workflow-bundle';

describe('committed histories replay against today\'s workflow code', () => {
  const histories = loadHistories();

  it('has the histories of a completed and a compensated run of every saga', () => {
    const names = histories.map((h) => h.name);
    assert.ok(names.includes('v0.1.0/class-registration-waitlisted-completed.json'));
    for (const saga of ['order', 'bike-checkout', 'class-registration']) {
      assert.ok(names.includes(`v0.1.0/${saga}-completed.json`), saga);
      assert.ok(names.includes(`v0.1.0/${saga}-compensated.json`), saga);
    }
    for (const trip of ['trip-completed', 'trip-compensated', 'trip-price-accepted']) assert.ok(names.includes(`v0.2.0/${trip}.json`), trip);
  });

  it('has the histories of this release, the pivot and the operator\'s retry among them', () => {
    const names = histories.map((h) => h.name);
    for (const name of ['order-completed', 'order-lost-capture-completed', 'order-refused-void-operator-retry', 'bike-checkout-completed', 'class-registration-completed']) {
      assert.ok(names.includes(`v0.2.0/${name}.json`), name);
    }
  });

  for (const recorded of histories) {
    it(`replays ${recorded.name} (${recorded.workflowId}) without a determinism error`, async () => {
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), dataConverter: dataConverterFrom(loadConfig({ SAGAWAY_ENV: 'development' }).codecKeys, true) }, recorded.history, recorded.workflowId);
    });
  }

  // Turning tracing on (OTEL_EXPORTER_OTLP_ENDPOINT) must not break sagas already running without it.
  for (const recorded of histories) {
    it(`replays ${recorded.name} with the tracing interceptors`, async () => {
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle(true), dataConverter: dataConverterFrom(loadConfig({ SAGAWAY_ENV: 'development' }).codecKeys, true) }, recorded.history, recorded.workflowId);
    });
  }
});
