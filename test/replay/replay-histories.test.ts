import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { loadHistories, patchesInCode, patchesMarked, RELEASE, recordedSourcesHash, releases, workflowSourcesHash } from '../support/history-files';
import { dataConverterFrom } from '../../src/codec';
import { AesGcmCodec, parseCodecKeys } from '../../src/codec/aes-gcm-codec';
import { loadConfig } from '../../src/config';
import { sagaViewSinks } from '../../src/views/saga-view-store';
import { workflowBundle } from '../support/workflow-bundle';
import * as workflows from '../../src/workflows';

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

  it('has histories recorded by today\'s workflow code, when the version is the newest folder\'s', () => {
    const newest = releases().at(-1)!;
    if (newest !== RELEASE) return;
    assert.equal(
      recordedSourcesHash(newest),
      workflowSourcesHash(),
      `workflow code changed since ${newest}'s histories were recorded: run npm run record-histories, or bump the version`,
    );
  });

  it('has this release\'s history of every workflow type, but the allocator kept only to replay 0.1.0', () => {
    const types = Object.entries(workflows).filter(([name, value]) => typeof value === 'function' && name !== 'seatAllocator').map(([name]) => name);
    const recorded = new Set(histories.filter((h) => h.release === 'v0.3.0').map((h) => h.workflowType));
    assert.deepEqual(types.filter((type) => !recorded.has(type)), []);
  });

  /**
   * The new branch of every patch is what a fresh run takes, so this release's histories take them, but
   * for branches no fresh run reaches any more (pivot-desk, asked only by sagas begun before
   * definite-answers; allocator-move-allocation, taken only by allocators begun before the ledger): the
   * code of their time recorded those (the v0.3.0-dev.<commit> folders).
   */
  it('has a history of the new branch of every patch in the code', () => {
    const marked = new Set(histories.filter((h) => h.release.startsWith('v0.3.0')).flatMap((h) => patchesMarked(h.history)));
    assert.deepEqual(patchesInCode().filter((id) => !marked.has(id)), []);
  });

  it('has this release\'s histories of the paths 0.2.0 did not record', () => {
    const names = histories.map((h) => h.name);
    const paths = [
      'order-cancelled', 'order-deadline-compensated', 'order-stuck-after-pivot-operator-resolve', 'order-unreadable-capture-operator-retry',
      'order-local-pivot-completed', 'bike-checkout-partial', 'registration-claim', 'seat-allocator-moved', 'seat-allocator-continued-as-new', 'allocator-ledger-page',
      'trip-reheld', 'transfer-reviewed-completed', 'transfer-network-rejected', 'transfer-return-completed', 'transfer-return-waited-completed',
      'seat-allocator-pages-read-back',
    ];
    assert.deepEqual(paths.filter((path) => !names.includes(`v0.3.0/${path}.json`)), []);
  });

  /**
   * One replay worker per bundle for every history (a worker per history costs a second each): the
   * results come back in order, and each history is its own test.
   */
  const replayAll = (traced: boolean) => {
    let results: Promise<Array<{ workflowId: string; error: Error | undefined }>> | undefined;
    return () =>
      (results ??= (async () => {
        // The sinks the workflows call, registered to nowhere (an unregistered one logs an error per call).
        const sinks = { ...sagaViewSinks(null), ...(traced ? { exporter: { export: { fn: () => undefined } } } : {}) };
        const options = { workflowBundle: await workflowBundle(traced), sinks, dataConverter: dataConverterFrom(loadConfig({ SAGAWAY_ENV: 'development' }).codecKeys, true) };
        const results: Array<{ workflowId: string; error: Error | undefined }> = [];
        const inputs = histories.map((h) => ({ workflowId: h.workflowId, history: h.history }));
        for await (const result of Worker.runReplayHistories(options, inputs)) results.push({ workflowId: result.workflowId, error: result.error as Error | undefined });
        // Matched by position: one result per history, each for that history's workflow.
        assert.equal(results.length, histories.length, 'one replay result per history');
        return results;
      })());
  };
  const plain = replayAll(false);
  const traced = replayAll(true);

  histories.forEach((recorded, i) => {
    it(`replays ${recorded.name} (${recorded.workflowId}) without a determinism error`, async () => {
      const { workflowId, error } = (await plain())[i]!;
      assert.equal(workflowId, recorded.workflowId, `${recorded.name}: the result is another history's`);
      assert.equal(error, undefined, `${recorded.name}: ${error?.message}`);
    });
  });

  // Turning tracing on (OTEL_EXPORTER_OTLP_ENDPOINT) must not break sagas already running without it.
  histories.forEach((recorded, i) => {
    it(`replays ${recorded.name} with the tracing interceptors`, async () => {
      const { workflowId, error } = (await traced())[i]!;
      assert.equal(workflowId, recorded.workflowId, `${recorded.name}: the result is another history's`);
      assert.equal(error, undefined, `${recorded.name}: ${error?.message}`);
    });
  });

  /**
   * During a rolling deploy an API that knows SAGAWAY_LOCAL_PIVOT may start an order that a worker from
   * before it runs (holds and capture as activities, the flag unread); a newer worker that later replays
   * it must not take the flag and expect local activities. Shown with this release's completed order, its
   * input given the flag.
   */
  it('replays an order whose input asks for the local capture but which an older worker ran with activities', async () => {
    const recorded = loadHistories().find((h) => h.name === 'v0.2.0/order-completed.json')!;
    const codec = new AesGcmCodec(parseCodecKeys(loadConfig({ SAGAWAY_ENV: 'development' }).codecKeys));
    const started = recorded.history.events![0]!.workflowExecutionStartedEventAttributes!;
    const [sealed] = await codec.decode(started.input!.payloads as Payload[]);
    const input = defaultPayloadConverter.fromPayload<Record<string, unknown>>(sealed!);
    assert.equal(input.localPivot, undefined, 'the recorded order predates the flag');
    started.input!.payloads = await codec.encode([defaultPayloadConverter.toPayload({ ...input, localPivot: true })]);
    const sinks = sagaViewSinks(null);
    const options = { workflowBundle: await workflowBundle(false), sinks, dataConverter: dataConverterFrom(loadConfig({ SAGAWAY_ENV: 'development' }).codecKeys, true) };
    await Worker.runReplayHistory(options, recorded.history, recorded.workflowId);
  });
});
