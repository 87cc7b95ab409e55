import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import pino from 'pino';
import { logTraceId, traceIdOf } from '../../src/observability/trace-id';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('trace ids in backend logs', () => {
  it('reads the trace id of a well-formed traceparent only', () => {
    assert.equal(traceIdOf(`00-${TRACE}-00f067aa0ba902b7-01`), TRACE);
    assert.equal(traceIdOf(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`), null);
    assert.equal(traceIdOf('00-not-a-trace'), null);
    assert.equal(traceIdOf(undefined), null);
    assert.equal(traceIdOf(['a', 'b']), null);
  });

  it('every line logged for a traced request carries its trace id', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({ write: (chunk, _enc, done) => { lines.push(JSON.parse(String(chunk))); done(); } });
    const app = Fastify({ loggerInstance: pino({ level: 'warn' }, sink) });
    app.addHook('onRequest', logTraceId);
    app.get('/x', async (request) => {
      request.log.warn('refused');
      return {};
    });
    await app.inject({ url: '/x', headers: { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` } });
    await app.inject({ url: '/x' });
    await app.close();
    assert.deepEqual(lines.map((l) => l.traceId ?? null), [TRACE, null]);
  });
});
