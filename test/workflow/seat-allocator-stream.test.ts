/**
 * A steady stream of filings: the allocator continues as new while requests are still arriving, not only
 * once they stop. Before, it continued only at a turn that ended with its inbox empty, which a stream never
 * gives it: its history grew for as long as the stream lasted, past Temporal's limit for a big section.
 * Judged from what Temporal recorded (the runs whose history holds a filing) and from the allocator's lists.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inPriorityOrder } from '../../bench/allocator';
import { allocatorLoadOutcome } from '../support/allocator-load';

// Four filings in flight at once, one signal each, once the allocator runs: it is never without one arriving.
const LOAD = { requests: 400, capacity: 150, released: 0, maxHistory: 40, readDecisions: false, pageOps: 25, filers: 4 };
const outcomeOf = allocatorLoadOutcome(LOAD);

describe(`${LOAD.requests} requests filed in a steady stream`, () => {
  it('continues as new while the stream lasts, and keeps its runs short', () => {
    const outcome = outcomeOf();
    const trouble = `${outcome.failedTasks} failed and ${outcome.redone} redone tasks${outcome.trouble.length > 0 ? `: ${outcome.trouble.slice(0, 5).join(' | ')}` : ''}`;
    process.stdout.write(`allocator stream: ${outcome.filedPerSec.toFixed(0)} requests/s filed; ${outcome.runsFiledTo} runs took filings, ${outcome.runs} in all; the first run took filings in ${outcome.firstRunFilingTasks} tasks; longest run ${outcome.maxRunEvents} events (${trouble})\n`);
    // Judged from the histories. A first run passes its budget of 40 events within about ten tasks of
    // filings (each at least 4 events), and continuing as new takes a few more (its page writes): one that
    // took the stream in 20 tasks or more should have ended long before the stream did, so more than one
    // run must hold filings. Before the patch, one run took them all, in 31 tasks. A worker too busy to
    // keep pace hands the stream over in a few tasks, which is no stream to judge: printed, not asserted.
    if (outcome.firstRunFilingTasks >= 20) assert.ok(outcome.runsFiledTo > 1, `one run took every filing, in ${outcome.firstRunFilingTasks} tasks (${outcome.runs} runs in all)`);
    // A run ends at the first turn past its budget; the longest is the one that sends every decision (two
    // events a signal). With one run for the whole stream it was over 1,250 events.
    assert.ok(outcome.maxRunEvents < LOAD.maxHistory + 2 * LOAD.requests + 200, `longest run: ${outcome.maxRunEvents} events (${trouble})`);
  });

  it('holds every filing exactly once, in priority order, across the runs', () => {
    const outcome = outcomeOf();
    // Judged from the allocator's own lists, read page by page once every decision was sent.
    const ordered = inPriorityOrder(outcome.requests).map((r) => r.sagaId);
    assert.deepEqual([...outcome.grantedAtAllocation].sort(), ordered.slice(0, LOAD.capacity).sort());
    assert.deepEqual(outcome.waitlistAtEnd, ordered.slice(LOAD.capacity), 'the rest wait, each once, in priority order');
  });
});
