/**
 * A large section (20,000 requests in npm test, past the 2 MB a continue-as-new could carry before the
 * ledger; SAGAWAY_ALLOCATOR_TEST_REQUESTS=50000 for the size, which takes minutes on 2 cores): the allocator keeps every filing exactly once, in priority order, across
 * many continue-as-new runs, and no run starts with more than a bounded state (its requests live in ledger
 * pages). Filed in batches (one fileRequests signal per thousand) so the test measures the allocator.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { historyOf, inPriorityOrder, TASK_QUEUE, withAllocatorWorker } from '../../bench/allocator';
import { ALLOCATION_PAGE, allocatorId, AllocatorMessages, type AllocationPage, type AllocationView, type AllocatorState, type SeatRequest } from '../../src/domain/allocation';
import { resolveTemporalCli } from '../../src/dev/temporal-cli';
import { freePort, startDevServer, type RunningDevServer } from '../../src/dev/temporal-server';
import { allocatorLoadBundle } from '../support/workflow-bundle';

const REQUESTS = Number(process.env.SAGAWAY_ALLOCATOR_TEST_REQUESTS ?? 20_000);
const BATCH = 1_000;
/** The whole test's time: 50,000 requests take minutes on 2 shared cores. */
const BUDGET_MS = Math.max(600_000, REQUESTS * 40);
/**
 * What one run carries: less than a page of operations (about 150 KB) plus what came in while it wrote its
 * last pages (patch allocator-folds-inbox: a batch of a thousand filings or two on a loaded machine; 345 KB
 * seen once here). Bounded whatever the section's size, and half of Temporal's 2 MB.
 */
const INPUT_BOUND = 1024 * 1024;
/** Any one payload (a signal, a ledger page, a continue-as-new input: the last the largest): as above. */
const PAYLOAD_BOUND = INPUT_BOUND;
let temporal: RunningDevServer;
let connection: Connection;
let client: Client;

before(async () => {
  temporal = await startDevServer({ cli: await resolveTemporalCli(), port: await freePort(), uiPort: null, dbFile: null });
  // One batch of a run's events (the ledger pages it read back, ~150 KB each) may pass gRPC's default 4 MB.
  connection = await Connection.connect({ address: temporal.address, channelArgs: { 'grpc.max_receive_message_length': 64 * 1024 * 1024 } });
  client = new Client({ connection, namespace: 'default' });
});

after(async () => {
  await connection?.close();
  await temporal?.stop();
});

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
  it('holds every filing exactly once, in priority order, and carries a bounded state across continue-as-new', { timeout: BUDGET_MS }, async () => {
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
      const handle = client.workflow.getHandle(allocatorId(sectionId));
      // At most eight batches (141 KB each) ahead of the allocator: fifteen sent while one task runs would pass the
      // 2 MB of events the server buffers, and it would fail that task (the client's doing, not the allocator's).
      let firstRun = '';
      for (let i = 0; i < REQUESTS; i += BATCH) {
        const { signaledRunId } = await file(requests.slice(i, i + BATCH));
        if (i === 0) firstRun = signaledRunId;
        await until('the batches taken', 60_000, async () => (await handle.query<number>(AllocatorMessages.requestCountQuery)) >= i - 7 * BATCH || false);
      }
      await until('every filing held', BUDGET_MS / 2, async () => {
        const view = await handle.query<AllocationView, [AllocationPage]>(AllocatorMessages.allocationQuery, { from: 0, limit: 1 });
        return view.waitlistCount === REQUESTS || false;
      });

      // The first batch again (a retried filing), once all are held: nothing is held twice. Sent until the
      // allocator has continued as new at least once, so the line below is read from a run that read its pages back.
      for (let retry = 0; (await handle.describe()).runId === firstRun; retry++) {
        assert.ok(retry < 10, 'the allocator never continued as new');
        await file(requests.slice(0, BATCH));
        await new Promise((r) => setTimeout(r, 2_000));
      }

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

      const history = await historyOf(client, handle.workflowId);
      const kb = (b: number) => (b / 1024).toFixed(1);
      process.stdout.write(
        `allocator ${REQUESTS}: ${history.runs} runs, continue-as-new inputs (KB): ${history.inputBytes.map(kb).join(' ')}; ` +
          `largest payload ${kb(history.maxPayloadBytes)} KB, longest workflow task ${history.maxTaskMs} ms (${history.maxTaskAt}), ${history.failedTasks} failed tasks, ${history.redone} redone for a signal that came as it continued as new\n`,
      );
      assert.ok(history.runs > 1, `continued as new (${history.runs} runs)`);
      assert.ok(history.maxInputBytes < INPUT_BOUND, `largest input ${history.maxInputBytes} bytes`);
      assert.ok(history.maxPayloadBytes < PAYLOAD_BOUND, `largest payload ${history.maxPayloadBytes} bytes`);
      // A task the deadlock detector stopped (2 s in the sandbox) or the server refused is a failed task.
      assert.deepEqual(history.trouble, [], 'failed or timed-out workflow tasks');
      await handle.terminate('done');
      for await (const page of client.workflow.list({ query: `WorkflowType = 'allocatorLedger' AND ExecutionStatus = 'Running'` })) {
        await client.workflow.getHandle(page.workflowId).terminate('done').catch(() => undefined);
      }
    }, await allocatorLoadBundle());
  });
});
