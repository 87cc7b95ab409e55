import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { setupTracing, type Tracing } from '../../src/observability/tracing';
import { call } from '../support/http';
import { orderBody } from '../support/orders';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
let tracing: Tracing;
const spans = new InMemorySpanExporter();

before(async () => {
  tracing = setupTracing('sagaway-test', { exporter: spans })!;
  stack = await startStack({ env: { SAGAWAY_LOCAL_STEPS: 'false' }, tracing });
});

after(async () => {
  await stack?.stop();
  await tracing?.shutdown();
});

/** The names from a span up to its trace's root, following parent ids. */
function chain(span: ReadableSpan, all: ReadableSpan[]): string[] {
  const byId = new Map(all.map((s) => [s.spanContext().spanId, s]));
  const names: string[] = [];
  for (let at: ReadableSpan | undefined = span; at; at = at.parentSpanId ? byId.get(at.parentSpanId) : undefined) names.push(at.name);
  return names.reverse();
}

describe('one trace per saga', () => {
  it('the HTTP request is the root of the workflow start, its workflow task, each activity and each backend call', async () => {
    const answer = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody(), prefer: 'wait=20' });
    assert.equal(answer.body.status, 'COMPLETED');
    const deadline = Date.now() + 10_000;
    let capture: ReadableSpan | undefined;
    while (!capture && Date.now() < deadline) {
      capture = spans.getFinishedSpans().find((s) => s.name.startsWith('payments POST') && s.name.includes('capture'));
      if (!capture) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(capture, `a span for the payment capture call; spans: ${[...new Set(spans.getFinishedSpans().map((s) => s.name))].join(', ')}`);
    const all = spans.getFinishedSpans().filter((s) => s.spanContext().traceId === capture.spanContext().traceId);
    const names = chain(capture, all);
    const expected = ['POST /v1/orders', 'StartWorkflow:orderCheckout', 'RunWorkflow:orderCheckout', 'StartActivity:capturePayment', 'RunActivity:capturePayment', capture.name];
    for (const name of expected) assert.ok(names.includes(name), `${name} in the chain ${names.join(' > ')}`);
    assert.equal(names[0], 'POST /v1/orders', 'the request is the root');
    assert.deepEqual(names.filter((n) => expected.includes(n)), expected, `in this order: ${names.join(' > ')}`);
    const stepCalls = all.filter((s) => / (POST|GET) /.test(s.name) && !s.name.startsWith('POST /v1'));
    assert.ok(stepCalls.length >= 4, `every backend call is in the saga's trace: ${stepCalls.map((s) => s.name).join(', ')}`);
  });
});
