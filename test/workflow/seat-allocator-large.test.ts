/**
 * A large section (20,000 requests in npm test, past the 2 MB a continue-as-new could carry before the
 * ledger; SAGAWAY_ALLOCATOR_TEST_REQUESTS=50000 for the size, which takes minutes on 2 cores): the allocator keeps every filing exactly once, in priority order, across
 * many continue-as-new runs, and no run starts with more than a bounded state (its requests live in ledger
 * pages). Filed in batches (one fileRequests signal per thousand) so the test measures the allocator.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { temporal as proto } from '@temporalio/proto';
import { inPriorityOrder, TASK_QUEUE, withAllocatorWorker } from '../../bench/allocator';
import { ALLOCATION_PAGE, allocatorId, AllocatorMessages, type AllocationPage, type AllocationView, type AllocatorState, type SeatRequest } from '../../src/domain/allocation';
import { resolveTemporalCli } from '../../src/dev/temporal-cli';
import { freePort, startDevServer, type RunningDevServer } from '../../src/dev/temporal-server';
import { allocatorLoadBundle } from '../support/workflow-bundle';

const REQUESTS = Number(process.env.SAGAWAY_ALLOCATOR_TEST_REQUESTS ?? 20_000);
const BATCH = 1_000;
/** Far under Temporal's 2 MB, and under its 256 KB warning. */
const INPUT_BOUND = 256 * 1024;
let temporal: RunningDevServer;
let connection: Connection;
let client: Client;

before(async () => {
  temporal = await startDevServer({ cli: await resolveTemporalCli(), port: await freePort(), uiPort: null, dbFile: null });
  connection = await Connection.connect({ address: temporal.address });
  client = new Client({ connection, namespace: 'default' });
});

after(async () => {
  await connection?.close();
  await temporal?.stop();
});

const sizeOf = (p: { payloads?: Array<{ data?: Uint8Array | null; metadata?: Record<string, Uint8Array> | null }> | null } | null | undefined) =>
  (p?.payloads ?? []).reduce((sum, x) => sum + (x.data?.length ?? 0) + Object.values(x.metadata ?? {}).reduce((m, v) => m + v.length, 0), 0);

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe().catch(() => false as const);
    if (got !== false) return got;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe(`a section of ${REQUESTS} requests`, () => {
  it('holds every filing exactly once, in priority order, and carries a bounded state across continue-as-new', { timeout: 600_000 }, async () => {
    await withAllocatorWorker(temporal.address, async () => {
      const sectionId = `huge-${Date.now().toString(36)}`;
      const section = { sectionId, capacity: 20_000, allocationAt: new Date(Date.now() + 3_600_000).toISOString(), windowClosesAt: new Date(Date.now() + 7_200_000).toISOString() };
      // A tiny history budget: the allocator continues as new whenever its inbox is empty.
      const initial: AllocatorState = { section, granted: [], queue: [], allocated: false, closed: false, maxHistory: 10, generation: 0 };
      const requests = Array.from({ length: REQUESTS }, (_, i): SeatRequest => ({
        sagaId: `class-registration-${sectionId}-${i}`,
        studentId: `s-${100000 + i}`,
        registeredAt: new Date(Date.UTC(2015, 0, 1) + ((i * 7919) % REQUESTS) * 86_400_000).toISOString().slice(0, 10),
        submittedAt: i,
        clientId: `client-${i % 7}`,
      }));
      const file = (batch: SeatRequest[]) =>
        client.workflow.signalWithStart('seatAllocatorV2', { workflowId: allocatorId(sectionId), taskQueue: TASK_QUEUE, args: [initial], signal: AllocatorMessages.fileRequests, signalArgs: [batch] });
      for (let i = 0; i < REQUESTS; i += BATCH) await file(requests.slice(i, i + BATCH));
      const handle = client.workflow.getHandle(allocatorId(sectionId));
      await until('every filing held', 300_000, async () => {
        const view = await handle.query<AllocationView, [AllocationPage]>(AllocatorMessages.allocationQuery, { from: 0, limit: 1 });
        return view.waitlistCount === REQUESTS || false;
      });

      // The first batch again (a retried filing), once all are held: nothing is held twice, and the allocator,
      // idle after it, continues as new, so the line below is read from a run that read its pages back.
      const first = (await handle.describe()).runId;
      await file(requests.slice(0, BATCH));
      await until('a run that read its pages back', 120_000, async () => (await handle.describe()).runId !== first || false);

      const line: string[] = [];
      for (;;) {
        // A run that is reading its pages back answers no allocation query yet: that is "not yet".
        const view = await until('a page of the line', 60_000, () => handle.query<AllocationView, [AllocationPage]>(AllocatorMessages.allocationQuery, { from: line.length, limit: ALLOCATION_PAGE }));
        assert.ok(view.waitlist.length <= ALLOCATION_PAGE);
        line.push(...view.waitlist.map((e) => e.sagaId));
        if (view.waitlist.length === 0) break;
      }
      assert.equal(line.length, REQUESTS);
      assert.equal(new Set(line).size, REQUESTS, 'each filing held once');
      assert.deepEqual(line, inPriorityOrder(requests).map((r) => r.sagaId), 'in priority order');

      const inputs: number[] = [];
      for (let runId: string | undefined = (await handle.describe()).runId; runId; ) {
        // Only each run's first event: a run's whole history (its pages read back) may pass gRPC's 4 MB in one answer.
        const { history }: proto.api.workflowservice.v1.IGetWorkflowExecutionHistoryResponse = await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: handle.workflowId, runId }, maximumPageSize: 1 });
        const started: proto.api.history.v1.IWorkflowExecutionStartedEventAttributes | null | undefined = history?.events?.[0]?.workflowExecutionStartedEventAttributes;
        inputs.unshift(sizeOf(started?.input));
        runId = started?.continuedExecutionRunId || undefined;
      }
      process.stdout.write(`allocator ${REQUESTS}: ${inputs.length} runs, continue-as-new inputs (KB): ${inputs.map((b) => (b / 1024).toFixed(1)).join(' ')}\n`);
      assert.ok(inputs.length > 1, `continued as new (${inputs.length} runs)`);
      assert.ok(Math.max(...inputs) < INPUT_BOUND, `largest input ${Math.max(...inputs)} bytes`);
      await handle.terminate('done');
      for await (const page of client.workflow.list({ query: `WorkflowType = 'allocatorLedger' AND ExecutionStatus = 'Running'` })) {
        await client.workflow.getHandle(page.workflowId).terminate('done').catch(() => undefined);
      }
    }, await allocatorLoadBundle());
  });
});
