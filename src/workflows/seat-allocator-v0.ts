/**
 * The seat allocator of release 0.1.0, kept unchanged so its running workflows (and committed histories)
 * still replay; new sections get `seatAllocatorV2` (seat-allocator.ts), which scales to big sections.
 *
 * Seat allocator: one long-lived entity workflow per class section (id `allocator-<sectionId>`),
 * started on first use by signal-with-start, so concurrent first requests cannot make two.
 *
 *   before allocationAt: collect requests, in priority order
 *   at allocationAt:     grant seats in priority order, waitlist the rest in order
 *   after it:            grant at once if a seat is free, else waitlist by priority
 *   a released seat:     goes to the first on the waitlist
 *   at windowClosesAt:   the waitlist is told the window closed
 *
 * It answers each registration saga by signal, never grants more seats than the capacity, and continues
 * as new before its history grows large, carrying every request in order.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { byPriority, type AllocationView, type AllocatorState, type SeatDecision, type SeatRequest } from '../domain/allocation';
import { allocationQuery, fileRequestSignal, releaseSeatSignal, seatDecisionSignal } from './messages';

type Message = { kind: 'file'; request: SeatRequest } | { kind: 'release'; sagaId: string };

export async function seatAllocator(state: AllocatorState): Promise<void> {
  const inbox: Message[] = [];
  setHandler(fileRequestSignal, (request) => void inbox.push({ kind: 'file', request }));
  setHandler(releaseSeatSignal, ({ sagaId }) => void inbox.push({ kind: 'release', sagaId }));
  setHandler(allocationQuery, () => viewOf(state));
  const allocationAt = Date.parse(state.section.allocationAt);
  const closesAt = Date.parse(state.section.windowClosesAt);

  for (;;) {
    const next = !state.allocated ? allocationAt : !state.closed ? closesAt : null;
    if (next === null) await condition(() => inbox.length > 0);
    else await condition(() => inbox.length > 0, Math.max(next - Date.now(), 0));
    while (inbox.length > 0) await handle(state, inbox.shift()!);
    if (!state.allocated && Date.now() >= allocationAt) await allocate(state);
    if (!state.closed && Date.now() >= closesAt) await close(state);
    if (historyIsLarge(state) && inbox.length === 0) {
      await condition(allHandlersFinished);
      if (inbox.length === 0) await continueAsNew<typeof seatAllocator>({ ...state, generation: state.generation + 1 });
    }
  }
}

function historyIsLarge(state: AllocatorState): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > state.maxHistory;
}

async function handle(state: AllocatorState, message: Message): Promise<void> {
  if (message.kind === 'release') return release(state, message.sagaId);
  const { request } = message;
  const known = [...state.granted, ...state.queue].find((r) => r.sagaId === request.sagaId);
  if (known) return state.allocated ? tell(state, known.sagaId, decisionOf(state, known)) : undefined;
  if ([...state.granted, ...state.queue].some((r) => r.studentId === request.studentId)) return tell(state, request.sagaId, { status: 'DUPLICATE' });
  if (state.closed) return tell(state, request.sagaId, { status: 'CLOSED' });
  if (state.allocated && state.granted.length < state.section.capacity) {
    state.granted.push(request);
    return tell(state, request.sagaId, { status: 'GRANTED' });
  }
  state.queue.push(request);
  state.queue.sort(byPriority);
  if (state.allocated) await tellWaitlist(state, state.queue.indexOf(request));
}

async function release(state: AllocatorState, sagaId: string): Promise<void> {
  const wasGranted = state.granted.some((r) => r.sagaId === sagaId);
  const queued = state.queue.findIndex((r) => r.sagaId === sagaId);
  state.granted = state.granted.filter((r) => r.sagaId !== sagaId);
  if (queued >= 0) state.queue.splice(queued, 1);
  if (wasGranted && state.allocated && !state.closed && state.queue.length > 0) {
    const next = state.queue.shift()!;
    state.granted.push(next);
    await tell(state, next.sagaId, { status: 'GRANTED' });
    await tellWaitlist(state, 0);
  } else if (queued >= 0 && state.allocated) {
    await tellWaitlist(state, queued);
  }
}

async function allocate(state: AllocatorState): Promise<void> {
  const ordered = [...state.queue].sort(byPriority);
  const free = state.section.capacity - state.granted.length;
  state.granted.push(...ordered.slice(0, free));
  state.queue = ordered.slice(free);
  state.allocated = true;
  log.info('seats allocated', { sectionId: state.section.sectionId, granted: state.granted.length, waitlisted: state.queue.length });
  await Promise.all(state.granted.map((r) => tell(state, r.sagaId, { status: 'GRANTED' })));
  await tellWaitlist(state, 0);
}

async function close(state: AllocatorState): Promise<void> {
  const waiting = state.queue;
  state.queue = [];
  state.closed = true;
  await Promise.all(waiting.map((r) => tell(state, r.sagaId, { status: 'CLOSED' })));
}

/** Tells everyone from `from` on the waitlist their (new) position. */
async function tellWaitlist(state: AllocatorState, from: number): Promise<void> {
  await Promise.all(state.queue.slice(from).map((r, i) => tell(state, r.sagaId, { status: 'WAITLISTED', position: from + i + 1 })));
}

function decisionOf(state: AllocatorState, request: SeatRequest): SeatDecision {
  if (state.granted.includes(request)) return { status: 'GRANTED' };
  if (state.closed) return { status: 'CLOSED' };
  return { status: 'WAITLISTED', position: state.queue.indexOf(request) + 1 };
}

/**
 * A saga that already ended cannot be told. Its request may still have been filed after it ended (its
 * filing call was in flight when it was cancelled), so whatever it holds here is given back: a seat
 * nobody can take up would otherwise be lost to the whole waitlist.
 */
async function tell(state: AllocatorState, sagaId: string, decision: SeatDecision): Promise<void> {
  try {
    await getExternalWorkflowHandle(sagaId).signal(seatDecisionSignal, decision);
  } catch (err) {
    log.warn('a registration that ended cannot take its decision; releasing what it holds', { sagaId, decision: decision.status, error: (err as Error).message });
    if (decision.status === 'GRANTED' || decision.status === 'WAITLISTED') await release(state, sagaId);
  }
}

function viewOf(state: AllocatorState): AllocationView {
  const entry = (r: SeatRequest) => ({ studentId: r.studentId, registeredAt: r.registeredAt, sagaId: r.sagaId });
  return {
    ...state.section,
    allocated: state.allocated,
    closed: state.closed,
    granted: [...state.granted].sort(byPriority).map(entry),
    waitlist: state.queue.map(entry),
  };
}
