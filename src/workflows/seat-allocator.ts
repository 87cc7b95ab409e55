/**
 * Seat allocator: one long-lived entity workflow per class section (id `allocator-<sectionId>`),
 * started on first use by signal-with-start, so concurrent first requests cannot make two.
 *
 *   before allocationAt: collect requests, in priority order
 *   at allocationAt:     grant seats in priority order, waitlist the rest in order
 *   after it:            grant at once if a seat is free, else waitlist by priority
 *   a released seat:     goes to the first on the waitlist
 *   at windowClosesAt:   the waitlist is told the window closed
 *   moveAllocation:      a registrar moves the allocation time (before it has passed; the past means now)
 *
 * Built for big sections: each registration gets at most a few signals in its whole life (its decision,
 * and GRANTED or CLOSED later if it waited), never one each time the line moves; a waitlist position is
 * read (positionQuery), not pushed. Decisions go out through an outbox in batches well under Temporal's
 * limit of pending outgoing signals, and the allocator continues as new between batches once its history
 * is large.
 *
 * What it carries across continue-as-new is bounded whatever the section's size: its requests live in
 * ledger pages (seat-allocator-ledger.ts, patched 'allocator-ledger'); runs from before carry them whole.
 */
import { allHandlersFinished, condition, continueAsNew, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { AllocatorState } from '../domain/allocation';
import { allocationQuery, clientAllocationQuery, fileRequestSignal, moveAllocationSignal, positionQuery, releaseSeatSignal, requestCountQuery } from './messages';
import { ledgerAllocator } from './seat-allocator-ledger';
import { allocate, clientViewOf, close, decisionFor, handle, heldCount, release, sendBatch, viewOf, type Message } from './seat-allocation';

const MOVE_ALLOCATION_PATCH = 'allocator-move-allocation';
const LEDGER_PATCH = 'allocator-ledger';

export async function seatAllocatorV2(state: AllocatorState): Promise<void> {
  if (state.ledger || patched(LEDGER_PATCH)) return ledgerAllocator(state);
  state.outbox ??= [];
  const released = new Set(state.released ?? []);
  const inbox: Message[] = [];
  setHandler(fileRequestSignal, (request) => void inbox.push({ kind: 'file', request }));
  setHandler(releaseSeatSignal, ({ sagaId }) => void inbox.push({ kind: 'release', sagaId }));
  setHandler(allocationQuery, () => viewOf(state));
  setHandler(positionQuery, (sagaId) => decisionFor(state, sagaId));
  setHandler(clientAllocationQuery, (clientId) => clientViewOf(state, clientId));
  setHandler(requestCountQuery, () => heldCount(state) + inbox.filter((m) => m.kind === 'file').length);
  // Patched: an allocator whose history holds a move its worker had no handler for (a worker from before
  // moveAllocation, during a rolling deploy) replays without it, as it ran.
  setHandler(moveAllocationSignal, (move) => {
    if (patched(MOVE_ALLOCATION_PATCH)) inbox.push({ kind: 'move', allocationAt: (move as { allocationAt?: unknown } | null)?.allocationAt });
  });
  const closesAt = Date.parse(state.section.windowClosesAt);

  for (;;) {
    const allocationAt = Date.parse(state.section.allocationAt);
    const next = !state.allocated ? allocationAt : !state.closed ? closesAt : null;
    const ready = () => inbox.length > 0 || state.outbox!.length > 0;
    if (next === null) await condition(ready);
    else await condition(ready, Math.max(next - Date.now(), 0));
    while (inbox.length > 0) handle(state, inbox.shift()!, released);
    if (!state.allocated && Date.now() >= Date.parse(state.section.allocationAt)) allocate(state);
    if (!state.closed && Date.now() >= closesAt) close(state);
    for (const sagaId of await sendBatch(state)) release(state, sagaId);
    if (historyIsLarge(state) && inbox.length === 0) {
      await condition(allHandlersFinished);
      if (inbox.length === 0) await continueAsNew<typeof seatAllocatorV2>({ ...state, generation: state.generation + 1 });
    }
  }
}

function historyIsLarge(state: AllocatorState): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > state.maxHistory;
}
