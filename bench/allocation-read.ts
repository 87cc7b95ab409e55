/**
 * The `allocation-read-N` row: a section holding N requests of two clients, read by one of them through
 * the API's allocation route as the registration desk polls it. The latency columns are the reads'; the
 * note says how many Temporal calls one read made (bounded, whatever N).
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { buildApp } from '../src/api/app';
import { sagaDepsFrom } from '../src/api/deps';
import { SagaGateway } from '../src/api/saga-gateway';
import { loadConfig } from '../src/config';
import { allocatorId, AllocatorMessages, type AllocatorState, type SeatRequest } from '../src/domain/allocation';
import { DEFAULT_TUNING } from '../src/domain/saga';
import { TASK_QUEUE, withAllocatorWorker } from './allocator';
import { histogram, runPool, watchProcesses } from './metrics';
import type { ScenarioResult } from './scenarios';

const KEY = 'bench-allocation-key-0001';
const READS = 300;
const CONCURRENCY = 8;

export async function allocationReadRow(client: Client, temporalAddress: string, requests: number): Promise<ScenarioResult> {
  const sectionId = `read-${Date.now().toString(36)}`;
  const section = { sectionId, capacity: Math.floor(requests / 2), allocationAt: new Date(Date.now() + 3_600_000).toISOString(), windowClosesAt: new Date(Date.now() + 7_200_000).toISOString() };
  const initial: AllocatorState = { section, granted: [], queue: [], allocated: false, closed: false, maxHistory: 5_000, generation: 0 };
  const deadline = Date.now() + 1_200_000;
  const watch = watchProcesses({});
  const latencies = histogram();
  let own = 0;
  let filed = 0;
  let read = 0;
  await withAllocatorWorker(temporalAddress, async () => {
    filed = await runPool('requests filed', requests, 64, deadline, async (i) => {
      const request: SeatRequest = { sagaId: `saga-${randomUUID()}`, studentId: `s-${100000 + i}`, registeredAt: '2020-09-01', submittedAt: i, clientId: i % 10 === 0 ? 'bench' : 'other' };
      await client.workflow.signalWithStart('seatAllocatorV2', { workflowId: allocatorId(sectionId), taskQueue: TASK_QUEUE, args: [initial], signal: AllocatorMessages.fileRequest, signalArgs: [request] });
    });
    const handle = client.workflow.getHandle(allocatorId(sectionId));
    // A filing that failed may not be in the section: wait for the ones that went through, not forever.
    while ((await handle.query<number>(AllocatorMessages.requestCountQuery)) < filed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    const config = loadConfig({ SAGAWAY_ENV: 'development', SAGAWAY_API_KEYS: `bench:${KEY}` });
    const app = await buildApp({ gateway: new SagaGateway(client, TASK_QUEUE), apiKeys: config.api.keys, ...sagaDepsFrom(config, DEFAULT_TUNING), protection: undefined });
    try {
      read = await runPool('allocation reads', READS, CONCURRENCY, deadline, async () => {
        const started = performance.now();
        const res = await app.inject({ url: `/v1/sections/${sectionId}/allocation`, headers: { authorization: `Bearer ${KEY}` } });
        // A read that errored is a failure of the row, left out of its latencies as every row does.
        if (res.statusCode !== 200) throw new Error(`allocation read: HTTP ${res.statusCode}`);
        latencies.record(performance.now() - started);
        own = (res.json() as { waitlist: unknown[] }).waitlist.length;
      });
    } finally {
      await app.close();
      await handle.terminate('read done');
    }
  });
  const summary = latencies.summary();
  process.stdout.write(`  allocation-read-${requests}: p50 ${summary.p50Ms} ms, p99 ${summary.p99Ms} ms, ${own} own entries per read\n`);
  return {
    name: `allocation-read-${requests}`,
    concurrency: CONCURRENCY,
    ...summary,
    perSec: 0,
    eventsPerSaga: null,
    workflowTasksPerSaga: null,
    workerRssMb: 0,
    processes: watch.stop(),
    // Filings and reads that failed or were not made by the deadline.
    failed: requests - filed + READS - read,
    note: `one allocator query per read; the caller owns ${own} of ${requests} entries`,
  };
}
