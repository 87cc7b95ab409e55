/**
 * The seat allocator with a big section (the quick variant of the `allocator-5000` bench row): priority
 * order, every saga answered, never over capacity, bounded history, O(1) signals per request.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inPriorityOrder } from '../../bench/allocator';
import { allocatorLoadOutcome } from '../support/allocator-load';

// 120 filings are at least 120 events, far past 60 however the signals are batched into tasks (with 150, a
// loaded machine once batched them so well that the run stayed under it and never continued as new).
const LOAD = { requests: 120, capacity: 40, released: 3, maxHistory: 60, readDecisions: true, pageOps: 25 };
const outcomeOf = allocatorLoadOutcome(LOAD);

describe(`a section of ${LOAD.capacity} seats with ${LOAD.requests} requests`, () => {
  it('grants in priority order and waitlists the rest, never over capacity', () => {
    const outcome = outcomeOf();
    const ordered = inPriorityOrder(outcome.requests).map((r) => r.sagaId);
    assert.deepEqual([...outcome.grantedAtAllocation].sort(), ordered.slice(0, LOAD.capacity).sort());
    const granted = [...outcome.decisions].filter(([, d]) => d.some((x) => x.status === 'GRANTED')).map(([id]) => id);
    assert.equal(granted.length, LOAD.capacity + LOAD.released, 'each seat given back went to exactly one other');
    assert.deepEqual(
      granted.filter((id) => !outcome.grantedAtAllocation.includes(id)).sort(),
      ordered.slice(LOAD.capacity, LOAD.capacity + LOAD.released).sort(),
      'the seats given back went to the first in line',
    );
  });

  it('answers every saga, with at most two signals each, and tells waitlisted ones their position once', () => {
    const outcome = outcomeOf();
    const ordered = inPriorityOrder(outcome.requests).map((r) => r.sagaId);
    for (const request of outcome.requests) {
      const decisions = outcome.decisions.get(request.sagaId) ?? [];
      assert.ok(decisions.length >= 1 && decisions.length <= 2, `${request.sagaId}: ${JSON.stringify(decisions)}`);
      if (decisions[0]!.status === 'WAITLISTED') {
        assert.equal(decisions[0]!.position, ordered.indexOf(request.sagaId) - LOAD.capacity + 1);
      }
    }
  });

  it('keeps its history bounded', () => {
    const outcome = outcomeOf();
    // What went wrong in the tasks, printed with any failure: a loaded machine fails or redoes tasks.
    const trouble = `${outcome.failedTasks} failed and ${outcome.redone} redone tasks${outcome.trouble.length > 0 ? `: ${outcome.trouble.slice(0, 5).join(' | ')}` : ''}`;
    // It continued as new: a run's budget counts every signal it took, even those of its first task, and a
    // stream of filings no longer holds it back (seat-allocator-stream.test.ts).
    assert.ok(outcome.runs > 1, `one run for ${LOAD.requests} requests (${trouble})`);
    assert.ok(outcome.maxRunEvents < LOAD.maxHistory + 600, `longest run: ${outcome.maxRunEvents} events (${trouble})`);
    // A failed or redone task adds its failure and a task scheduled and started again (3 events): that is
    // Temporal's way of losing nothing, not the allocator's cost per request.
    const events = outcome.events - 3 * (outcome.failedTasks + outcome.redone);
    const perRequest = events / LOAD.requests;
    process.stdout.write(`allocator quick: ${outcome.filedPerSec.toFixed(0)} requests/s filed, allocated in ${outcome.allocateMs} ms, ${perRequest.toFixed(1)} events per request over ${outcome.runs} runs (${trouble})\n`);
    assert.ok(perRequest < 8, `${perRequest.toFixed(1)} events per request over ${outcome.runs} runs (${outcome.events} events; ${trouble})`);
  });
});
