import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { logFormatOf, temporalLoggerFrom } from '../../src/logger';
import { bundlerLoggerFrom } from '../../src/worker';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, logger: pino({ level: 'trace' }, stream) };
}

describe('temporalLoggerFrom', () => {
  it('writes one JSON line per event with the saga id, whatever the SDK calls it', () => {
    const { lines, logger } = capture();
    const log = temporalLoggerFrom(logger);
    log.info('step done', { workflowId: 'saga-abc', activityId: 'reserveInventory', taskToken: 'opaque' });
    log.warn('compensating', { sagaId: 'saga-def' });
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.sagaId, 'saga-abc');
    assert.equal(lines[0]!.msg, 'step done');
    assert.equal(lines[0]!.taskToken, undefined);
    assert.equal(lines[1]!.sagaId, 'saga-def');
    assert.equal(lines[1]!.level, 40);
  });
});

describe('log format', () => {
  it('pretty-prints on a terminal and writes JSON lines into a pipe or file, unless told otherwise', () => {
    assert.equal(logFormatOf({ env: {}, stdout: { isTTY: true } }), 'pretty');
    assert.equal(logFormatOf({ env: {}, stdout: {} }), 'json');
    assert.equal(logFormatOf({ env: { SAGAWAY_LOG_FORMAT: 'pretty' }, stdout: {} }), 'pretty');
    assert.equal(logFormatOf({ env: { SAGAWAY_LOG_FORMAT: 'json' }, stdout: { isTTY: true } }), 'json');
  });
});

describe('bundlerLoggerFrom', () => {
  it("puts webpack's multi-line report at debug, one entry per line, and keeps an error an error", () => {
    const { lines, logger } = capture();
    const log = bundlerLoggerFrom(logger);
    log.info('asset workflow-bundle.js 1.2 MiB [emitted]\nruntime modules 1 KiB\nwebpack compiled successfully');
    log.error('ERROR in ./src/workflows/x.ts\nModule not found');
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.level, 20);
    assert.equal(lines[0]!.msg, 'webpack report');
    assert.deepEqual(lines[0]!.webpack, ['asset workflow-bundle.js 1.2 MiB [emitted]', 'runtime modules 1 KiB', 'webpack compiled successfully']);
    assert.equal(lines[1]!.level, 50);
    assert.deepEqual(lines[1]!.webpack, ['ERROR in ./src/workflows/x.ts', 'Module not found']);
  });
});
