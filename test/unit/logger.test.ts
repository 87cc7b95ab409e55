import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { temporalLoggerFrom } from '../../src/logger';

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
