/**
 * The `overload` rows: orders sent at three times the rate the stack sustains, for several minutes, to an
 * API with admission control off, then on. Each row reports the accepted and refused starts per second,
 * the start-to-end latency of the accepted sagas (from Temporal's start and close times), and how many of
 * them completed; every order neither refused nor completed counts as failed. Off, the backlog grows and
 * every saga gets slower; on, the excess is refused at the door and the accepted sagas' p99 stays near the
 * unloaded one. The APIs run in the bench process, in front of the stack's Temporal and worker.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Admission, temporalCounter } from '../src/api/admission';
import { buildApp } from '../src/api/app';
import { sagaDepsFrom } from '../src/api/deps';
import { SagaGateway } from '../src/api/saga-gateway';
import { loadConfig } from '../src/config';
import { DEFAULT_TUNING, SearchAttribute } from '../src/domain/saga';
import { histogram, runAtRate, watchProcesses } from './metrics';
import { orderBody, type ScenarioResult } from './scenarios';
import type { BenchStack } from './stack';

export interface OverloadPlan {
  /** Orders per second sent: three times what the stack sustains (about 20 a second on 2 cores). */
  perSecond: number;
  seconds: number;
  /** With admission on: running sagas in all (what the worker finishes within the accepted latency). */
  maxRunning: number;
}

export const OVERLOAD: OverloadPlan = { perSecond: 60, seconds: 180, maxRunning: 60 };

export async function overloadRows(stack: BenchStack, plan: OverloadPlan = OVERLOAD): Promise<ScenarioResult[]> {
  return [await overloadRow(stack, plan, false), await overloadRow(stack, plan, true)];
}

async function overloadRow(stack: BenchStack, plan: OverloadPlan, admitting: boolean): Promise<ScenarioResult> {
  const name = `overload-admission-${admitting ? 'on' : 'off'}`;
  // Sagas of an earlier row still running would count against admission's bound, and slow this row.
  await untilQuiet(stack, Date.now() + 600_000);
  const config = loadConfig({ SAGAWAY_ENV: 'development', SAGAWAY_BACKENDS_URL: stack.backendsUrl, SAGAWAY_API_KEYS: `bench:${stack.apiKey}` });
  const admission = admitting ? new Admission(temporalCounter(stack.client), { perClient: 0, total: plan.maxRunning }) : undefined;
  const app = await buildApp({ gateway: new SagaGateway(stack.client, stack.taskQueue), apiKeys: config.api.keys, ...sagaDepsFrom(config, DEFAULT_TUNING), protection: undefined, admission });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const watch = watchProcesses(stack.pids);
  const accepted: string[] = [];
  let refused = 0;
  const started = Date.now();
  const planned = plan.perSecond * plan.seconds;
  process.stdout.write(`bench: ${name}, ${plan.perSecond} orders/s for ${plan.seconds} s\n`);
  try {
    await runAtRate(name, planned, plan.perSecond, started + plan.seconds * 1_000 + 5_000, async () => {
      const res = await fetch(`${url}/v1/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: JSON.stringify(orderBody(false)),
      });
      const body = (await res.json()) as { id?: string };
      if (res.status === 202 || res.status === 200) accepted.push(body.id!);
      else if (res.status === 429 || res.status === 503) refused += 1;
      else throw new Error(`start: HTTP ${res.status}`);
    });
  } finally {
    await app.close();
  }
  const sendSeconds = (Date.now() - started) / 1000;
  const { latencies, completed } = await endToEnd(stack, accepted, Date.now() + 600_000);
  const summary = latencies.summary();
  // A refusal is admission doing its work. Every other order that did not complete failed: a start that
  // errored, one not sent by the deadline, an accepted saga that did not end or ended otherwise.
  const failed = planned - refused - completed;
  process.stdout.write(`  ${name}: ${(accepted.length / sendSeconds).toFixed(1)} accepted/s, ${(refused / sendSeconds).toFixed(1)} refused/s, p99 ${summary.p99Ms} ms, ${completed} of ${accepted.length} completed\n`);
  return {
    name,
    concurrency: plan.perSecond,
    ...summary,
    perSec: +(accepted.length / sendSeconds).toFixed(1),
    eventsPerSaga: null,
    workflowTasksPerSaga: null,
    workerRssMb: 0,
    processes: watch.stop(),
    failed,
    note: `${(refused / sendSeconds).toFixed(1)} refused/s; ${completed} of ${accepted.length} accepted sagas completed`,
  };
}

/**
 * Each accepted saga's start-to-close time, from Temporal's record, once it has completed (or the deadline
 * passed). A saga that closed otherwise (failed, terminated, timed out) is left out.
 */
async function endToEnd(stack: BenchStack, ids: string[], deadline: number) {
  const latencies = histogram();
  let completed = 0;
  for (const id of ids) {
    const handle = stack.client.workflow.getHandle(id);
    for (;;) {
      const description = await handle.describe().catch((err: unknown) => (err instanceof WorkflowNotFoundError ? null : Promise.reject(err)));
      if (description?.closeTime) {
        if (description.status.name === 'COMPLETED') {
          completed += 1;
          latencies.record(description.closeTime.getTime() - description.startTime.getTime());
        }
        break;
      }
      if (!description || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return { latencies, completed };
}

/** Waits until no saga started through an API is running (or the deadline passes, said on stdout). */
async function untilQuiet(stack: BenchStack, deadline: number): Promise<void> {
  const count = temporalCounter(stack.client);
  const query = `${SearchAttribute.client} IS NOT NULL AND ExecutionStatus = "Running"`;
  let running = await count(query);
  while (running > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 2_000));
    running = await count(query);
  }
  if (running > 0) process.stdout.write(`bench: ${running} sagas of earlier rows still running\n`);
}
