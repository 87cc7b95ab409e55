import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { freePort } from '../../src/dev/temporal-server';
import { call, clearFaults, injectFault, waitForView } from '../support/http';
import { orderBody } from '../support/orders';
import { startStack, type Stack, stuckUndoLog } from '../support/stack';

let stack: Stack;
let workerMetricsUrl: string;

before(async () => {
  const port = await freePort();
  workerMetricsUrl = `http://127.0.0.1:${port}/metrics`;
  stack = await startStack({ env: { SAGAWAY_LOCAL_STEPS: 'false', SAGAWAY_WORKER_METRICS_ADDRESS: `127.0.0.1:${port}` }, tuning: { stuckAfterAttempts: 2 }, expectErrorLogs: [stuckUndoLog('authorizePayment', 'gave up after retries: payments POST /voids: HTTP 500')] });
});

after(async () => {
  await stack?.stop();
});

const root = join(__dirname, '..', '..');

/** Metric names a Prometheus text exposition holds (histograms as their _bucket/_sum/_count series). */
async function exported(url: string): Promise<Set<string>> {
  const text = await (await fetch(url)).text();
  return new Set(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]!));
}

/** Every sagaway_/temporal_ series named in the alert rules and the dashboard. */
function namedInDeploy(): Set<string> {
  const rules = parse(readFileSync(join(root, 'deploy/prometheus/alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ expr: string }> }> };
  const dashboard = JSON.parse(readFileSync(join(root, 'deploy/grafana/sagaway.json'), 'utf8')) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
  const exprs = [...rules.groups.flatMap((g) => g.rules.map((r) => r.expr)), ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr))];
  return new Set(exprs.flatMap((e) => e.match(/\b(?:sagaway|temporal)_[a-z0-9_]+/g) ?? []));
}

describe('metrics after a run of orders', () => {
  it('the API and the worker export every metric the alert rules and the dashboard name', async () => {
    const done = await Promise.all(Array.from({ length: 3 }, () => call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody(), prefer: 'wait=20' })));
    assert.deepEqual(done.map((d) => d.body.status), ['COMPLETED', 'COMPLETED', 'COMPLETED']);
    await injectFault(stack.backendsUrl, 'payments', { op: 'void', mode: 'error', status: 500, count: 1_000 });
    await injectFault(stack.backendsUrl, 'shipping', { op: 'create', mode: 'error', status: 422, count: 1_000 });
    const stuck = await call(stack.apiUrl, 'POST', '/v1/orders', { body: orderBody() });
    await waitForView(stack.apiUrl, stuck.body.id, (v) => v.steps.some((s: any) => s.status === 'STUCK'));
    const api = await exported(`${stack.apiUrl}/metrics`);
    const apiText = await (await fetch(`${stack.apiUrl}/metrics`)).text();
    assert.match(apiText, /sagaway_sagas_stuck 1\b/);
    assert.match(apiText, /sagaway_sagas_started_total\{saga_type="order"\} 4\b/);
    assert.match(apiText, /sagaway_http_requests_total\{method="POST",route="\/v1\/orders",status="200"\} 3\b/);
    await clearFaults(stack.backendsUrl, 'payments');
    await clearFaults(stack.backendsUrl, 'shipping');
    await waitForView(stack.apiUrl, stuck.body.id, (v) => v.status === 'COMPENSATED');
    // A workflow task that fails is counted, by workflow type and reason: WorkflowTaskFailing pages on it.
    // Here a saga started around the API with no input, whose code cannot read it.
    const broken = await stack.client.workflow.start('orderCheckout', { taskQueue: stack.config.taskQueue, workflowId: `metrics-broken-${Date.now()}`, args: [null] });
    const failedTasks = /temporal_workflow_task_execution_failed_total\{[^}]*failure_reason="WorkflowError"[^}]*workflow_type="orderCheckout"[^}]*\} [1-9]/;
    for (let i = 0; i < 100 && !failedTasks.test(await (await fetch(workerMetricsUrl)).text()); i += 1) await sleep(100);
    await broken.terminate('the metrics test is done with it');
    const worker = await exported(workerMetricsUrl);
    const workerText = await (await fetch(workerMetricsUrl)).text();
    assert.match(workerText, failedTasks);
    assert.match(workerText, /sagaway_sagas_ended_total\{[^}]*outcome="COMPLETED"[^}]*\} 3\b/);
    const missing = [...namedInDeploy()].filter((name) => !api.has(name) && !worker.has(name));
    assert.deepEqual(missing, [], `named in deploy/ but not exported; worker exports ${[...worker].filter((n) => n.startsWith('sagaway')).join(', ')}`);
  });
});
