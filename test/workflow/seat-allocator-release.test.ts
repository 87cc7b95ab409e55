/**
 * A registration undone before its filing reached the allocator (a late `fileWithAllocator`): the
 * allocator remembers the release and never seats it, so the seat goes to someone who can take it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AllocatorMessages, type AllocatorState, type SeatRequest } from '../../src/domain/allocation';
import { seatAllocatorV2 } from '../../src/workflows';
import { allocationQuery, fileRequestSignal, releaseSeatSignal } from '../../src/workflows/messages';
import { PAGE_WINDOW } from '../../src/workflows/seat-allocator-ledger';
import { waitFor } from '../support/http';
import { startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';

let env: WorkflowEnv;
before(async () => {
  env = await startWorkflowEnv();
});
after(async () => {
  await env?.teardown();
});

const HOUR = 3_600_000;
const section = (allocationInMs: number) => ({
  sectionId: `sec-${Math.random().toString(36).slice(2)}`,
  capacity: 1,
  allocationAt: new Date(Date.now() + allocationInMs).toISOString(),
  windowClosesAt: new Date(Date.now() + 2 * HOUR).toISOString(),
});
const state = (allocationInMs: number, maxHistory = 5_000): AllocatorState => ({ section: section(allocationInMs), granted: [], queue: [], allocated: false, closed: false, maxHistory, generation: 0 });
const request = (sagaId: string, studentId: string): SeatRequest => ({ sagaId, studentId, registeredAt: '2026-01-01T00:00:00.000Z', submittedAt: Date.now() });

/** The seat decisions a workflow was sent, from its history: what the registration itself would have seen. */
async function decisionsTo(workflowId: string): Promise<string[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) => (e.workflowExecutionSignaledEventAttributes?.signalName === 'seatDecision' ? [JSON.stringify(e.workflowExecutionSignaledEventAttributes.input)] : []));
}

/** How many ledger pages each workflow task of the current run asked for, for the tasks that asked any. */
async function pagesAskedPerTask(workflowId: string): Promise<number[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const asks: number[] = [];
  let n = 0;
  for (const e of history.events ?? []) {
    if (e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === AllocatorMessages.sendPage) n += 1;
    if (e.workflowTaskCompletedEventAttributes && n > 0) {
      asks.push(n);
      n = 0;
    }
  }
  return n > 0 ? [...asks, n] : asks;
}

describe('a registration released before its filing arrived', { concurrency: true }, () => {
  it('is never seated; the seat goes to the next filing, across continue-as-new too', async () => {
    // Both saga ids name running workflows (other allocators, which take any signal), so a decision sent to
    // either is delivered: only the allocator's memory of the release keeps the seat from the late one. A
    // saga id naming no workflow cannot be told its seat, and the allocator gives that seat back (as for a
    // registration that ended), which once made this test pass or fail by when it read the allocation.
    const undone = await env.start(seatAllocatorV2, [state(HOUR)], {});
    const next = await env.start(seatAllocatorV2, [state(HOUR)], {});
    const handle = await env.start(seatAllocatorV2, [state(-1_000, 1)], {});
    const allocator = () => env.client.workflow.getHandle(handle.workflowId);
    await handle.signal(releaseSeatSignal, { sagaId: undone.workflowId });
    // A second signal: two are past the history bound of 1 even when both come in the run's first task (a
    // worker slow to pick it up), where one is not and the run would wait for more.
    await handle.signal(releaseSeatSignal, { sagaId: 'never-filed' });
    await waitFor('a new run', async () => (await allocator().describe()).runId !== handle.firstExecutionRunId, 60_000);
    await allocator().signal(fileRequestSignal, request(undone.workflowId, 'late-student'));
    await allocator().signal(fileRequestSignal, request(next.workflowId, 'next-student'));
    await waitFor('the next registration told its seat', async () => (await decisionsTo(next.workflowId)).length > 0, 30_000);
    const view = await allocator().query(allocationQuery);
    assert.deepEqual(view.granted.map((e) => e.sagaId), [next.workflowId], JSON.stringify(view));
    assert.equal(view.waitlist.length, 0);
    assert.equal((await decisionsTo(next.workflowId)).length, 1);
    assert.deepEqual(await decisionsTo(undone.workflowId), [], 'the undone registration was told something');
    for (const h of [handle, next, undone]) await env.client.workflow.getHandle(h.workflowId).terminate();
  });

  it('keeps every filing and release sent while it continues as new after every event', async () => {
    // Pages of two operations: each run writes pages (awaiting their start, when more signals come in)
    // before it continues, and reads them all again after.
    const handle = await env.start(seatAllocatorV2, [{ ...state(HOUR, 1), pageOps: 2 }], {});
    const allocator = () => env.client.workflow.getHandle(handle.workflowId);
    const filed = Array.from({ length: 40 }, (_, i) => request(`saga-${i}`, `student-${i}`));
    const undone = filed.filter((_, i) => i % 4 === 0).map((r) => r.sagaId);
    // One after another, so they keep arriving while runs write their pages and end; a release of every
    // fourth comes just after its filing.
    for (const r of filed) {
      await allocator().signal(fileRequestSignal, r);
      if (undone.includes(r.sagaId)) await allocator().signal(releaseSeatSignal, { sagaId: r.sagaId });
    }
    const held = filed.filter((r) => !undone.includes(r.sagaId)).map((r) => r.sagaId).sort();
    // Read from a run that began after the last signal: what it holds came through continue-as-new and its pages.
    // One more signal after the run seen now makes sure a later run begins (maxHistory 1).
    const lastRun = (await allocator().describe()).runId;
    await allocator().signal(releaseSeatSignal, { sagaId: 'never-filed' });
    await waitFor('a run after the last signal', async () => (await allocator().describe()).runId !== lastRun, 30_000);
    // The new run answers once it has read its pages back.
    const view = await waitFor('the new run to answer', async () => allocator().query(allocationQuery).catch(() => null), 30_000);
    assert.deepEqual(view.waitlist.map((e) => e.sagaId).sort(), held, JSON.stringify(view));
    // The run read its pages back a window at a time: no workflow task asked more (their answers, 140 KB each
    // in production, would otherwise all land while one task runs, past what the server buffers).
    const asks = await pagesAskedPerTask(handle.workflowId);
    assert.ok(asks.length > 1 && Math.max(...asks) <= PAGE_WINDOW, `pages asked per task: ${asks.join(' ')}`);
    console.log(`${filed.length} filings and ${undone.length} releases sent; ${view.waitlist.length} held; pages asked per task: ${asks.join(' ')}`);
    await allocator().terminate();
  });
});
