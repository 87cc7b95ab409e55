import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call } from '../support/http';
import { startOtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { orderBody } from '../support/orders';
import { startStack, type Stack } from '../support/stack';
import { workflowBundleFile } from '../support/workflow-bundle';

let stack: Stack;
let collector: Awaited<ReturnType<typeof startOtlpReceiver>>;

before(async () => {
  collector = await startOtlpReceiver();
  stack = await startStack({
    env: { SAGAWAY_LOCAL_STEPS: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, SAGAWAY_WORKFLOW_BUNDLE: await workflowBundleFile(true) },
  });
});

after(async () => {
  await stack?.stop();
  await collector?.close();
});

/** The names from a span up to its trace's root, following parent ids. */
function chain(span: ReceivedSpan, all: ReceivedSpan[]): string[] {
  const byId = new Map(all.map((s) => [s.spanId, s]));
  const names: string[] = [];
  for (let at: ReceivedSpan | undefined = span; at; at = at.parentSpanId ? byId.get(at.parentSpanId) : undefined) names.push(at.name);
  return names.reverse();
}

describe('one trace per saga', () => {
  it('the HTTP request is the root of the workflow start, its workflow task, each activity and each backend call', async () => {
    const answer = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody(), prefer: 'wait=20' });
    assert.equal(answer.body.status, 'COMPLETED');
    const expected = ['POST /v1/orders', 'StartWorkflow:orderCheckout', 'RunWorkflow:orderCheckout', 'StartActivity:capturePayment', 'RunActivity:capturePayment'];
    // Spans leave each process in batches (every few seconds): wait until the whole chain has arrived.
    const deadline = Date.now() + 30_000;
    let names: string[] = [];
    let trace: ReceivedSpan[] = [];
    while (Date.now() < deadline) {
      const capture = collector.spans.find((s) => s.name.startsWith('payments POST') && s.name.includes('capture'));
      if (capture) {
        trace = collector.spans.filter((s) => s.traceId === capture.traceId);
        names = chain(capture, trace);
        if (expected.every((n) => names.includes(n))) break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(names[0], 'POST /v1/orders', `the request is the root: ${names.join(' > ')}`);
    assert.deepEqual(names.filter((n) => expected.includes(n)), expected, `in this order: ${names.join(' > ')}`);
    assert.match(names.at(-1)!, /^payments POST /);
    assert.deepEqual(new Set(trace.map((s) => s.service)), new Set(['sagaway-api', 'sagaway-worker']));
    const backendCalls = trace.filter((s) => /^\w+ (POST|GET) \//.test(s.name) && !s.name.startsWith('POST /v1'));
    assert.ok(backendCalls.length >= 4, `every backend call is in the saga's trace: ${backendCalls.map((s) => s.name).join(', ')}`);
  });
});
