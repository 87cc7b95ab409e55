/**
 * The allocator's moveAllocation signal at its edges: a time it must not read, a move after allocation,
 * and a moved time carried across continue-as-new.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AllocatorState } from '../../src/domain/allocation';
import { seatAllocatorV2 } from '../../src/workflows';
import { allocationQuery, moveAllocationSignal } from '../../src/workflows/messages';
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
const state = (allocationInMs: number, maxHistory = 5_000): AllocatorState => ({
  section: { sectionId: `sec-${Math.random().toString(36).slice(2)}`, capacity: 1, allocationAt: new Date(Date.now() + allocationInMs).toISOString(), windowClosesAt: new Date(Date.now() + 2 * HOUR).toISOString() },
  granted: [],
  queue: [],
  allocated: false,
  closed: false,
  maxHistory,
  generation: 0,
});

describe('moveAllocation', { concurrency: true }, () => {
  it('ignores a time without a zone, a time that is no string, and one at or past the window close', async () => {
    const initial = state(HOUR);
    const handle = await env.start(seatAllocatorV2, [initial], {});
    for (const allocationAt of ['2020-01-01T00:00:00', 'now', 1, initial.section.windowClosesAt]) {
      await handle.signal(moveAllocationSignal, { allocationAt } as never);
    }
    await new Promise((r) => setTimeout(r, 500));
    const view = await handle.query(allocationQuery);
    assert.equal(view.allocated, false);
    assert.equal(view.allocationAt, initial.section.allocationAt);
    await handle.terminate();
  });

  it('moves to the past means now, kept as UTC ISO; a move after allocation changes nothing', async () => {
    const handle = await env.start(seatAllocatorV2, [state(HOUR)], {});
    await handle.signal(moveAllocationSignal, { allocationAt: '2020-01-01T01:00:00+01:00' });
    const view = await waitFor('allocated', async () => { const v = await handle.query(allocationQuery); return v.allocated && v; }, 10_000);
    assert.equal(view.allocationAt, '2020-01-01T00:00:00.000Z');
    await handle.signal(moveAllocationSignal, { allocationAt: new Date(Date.now() + HOUR).toISOString() });
    await new Promise((r) => setTimeout(r, 500));
    const later = await handle.query(allocationQuery);
    assert.equal(later.allocated, true);
    assert.equal(later.allocationAt, '2020-01-01T00:00:00.000Z');
    await handle.terminate();
  });

  it('carries a moved time across continue-as-new and allocates at it', async () => {
    // A history limit of one: the allocator continues as new after every wake-up.
    const handle = await env.start(seatAllocatorV2, [state(HOUR, 1)], {});
    const movedTo = new Date(Date.now() + 3_000).toISOString();
    await handle.signal(moveAllocationSignal, { allocationAt: movedTo });
    const moved = await waitFor('a new run with the moved time', async () => {
      const v = await env.client.workflow.getHandle(handle.workflowId).query(allocationQuery);
      const d = await env.client.workflow.getHandle(handle.workflowId).describe();
      return d.runId !== handle.firstExecutionRunId && v;
    }, 10_000);
    assert.equal(moved.allocationAt, movedTo);
    const view = await waitFor('allocated at the moved time', async () => { const v = await env.client.workflow.getHandle(handle.workflowId).query(allocationQuery); return v.allocated && v; }, 15_000);
    assert.ok(Date.now() >= Date.parse(movedTo));
    assert.equal(view.allocationAt, movedTo);
    await env.client.workflow.getHandle(handle.workflowId).terminate();
  });
});
