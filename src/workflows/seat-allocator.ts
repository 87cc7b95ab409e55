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
 * is large, carrying the requests and the unsent decisions in order.
 */
import { allHandlersFinished, condition, continueAsNew, getExternalWorkflowHandle, log, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { byPriority, UNOWNED_LIMIT, type AllocationView, type AllocatorState, type ClientAllocation, type SeatDecision, type SeatRequest } from '../domain/allocation';
import { allocationQuery, clientAllocationQuery, fileRequestSignal, moveAllocationSignal, positionQuery, releaseSeatSignal, requestCountQuery, seatDecisionSignal } from './messages';

type Message = { kind: 'file'; request: SeatRequest } | { kind: 'release'; sagaId: string } | { kind: 'move'; allocationAt: unknown };

const MOVE_ALLOCATION_PATCH = 'allocator-move-allocation';
const REMEMBER_RELEASES_PATCH = 'allocator-remembers-releases';

/** A UTC or offset ISO time only: a time without a zone would be read in the worker's own time zone. */
const ZONED_ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Outgoing signals in flight at once: far below Temporal's 2,000 pending per run. */
export const SIGNAL_BATCH = 500;

export async function seatAllocatorV2(state: AllocatorState): Promise<void> {
  state.outbox ??= [];
  const released = new Set(state.released ?? []);
  const inbox: Message[] = [];
  setHandler(fileRequestSignal, (request) => void inbox.push({ kind: 'file', request }));
  setHandler(releaseSeatSignal, ({ sagaId }) => void inbox.push({ kind: 'release', sagaId }));
  setHandler(allocationQuery, () => viewOf(state));
  setHandler(positionQuery, (sagaId) => decisionFor(state, sagaId));
  setHandler(clientAllocationQuery, (clientId) => clientViewOf(state, clientId));
  setHandler(requestCountQuery, () => state.granted.length + state.queue.length + inbox.filter((m) => m.kind === 'file').length);
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
    await sendBatch(state);
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

function handle(state: AllocatorState, message: Message, released: Set<string>): void {
  if (message.kind === 'release') return releaseFor(state, message.sagaId, released);
  if (message.kind === 'move') return moveAllocation(state, message.allocationAt);
  const { request } = message;
  // A filing that arrives after its registration was undone (its call was in flight when the saga was
  // cancelled) is for a saga that can no longer take a seat. Patched: histories from before seated it.
  if (released.has(request.sagaId) && patched(REMEMBER_RELEASES_PATCH)) {
    return log.info('a filing of a registration already undone is not seated', { sagaId: request.sagaId });
  }
  const known = state.granted.find((r) => r.sagaId === request.sagaId) ?? state.queue.find((r) => r.sagaId === request.sagaId);
  if (known) return state.allocated ? tell(state, known.sagaId, decisionFor(state, known.sagaId)!) : undefined;
  if (state.granted.some((r) => r.studentId === request.studentId) || state.queue.some((r) => r.studentId === request.studentId)) {
    return tell(state, request.sagaId, { status: 'DUPLICATE' });
  }
  if (state.closed) return tell(state, request.sagaId, { status: 'CLOSED' });
  if (state.allocated && state.granted.length < state.section.capacity) {
    state.granted.push(request);
    return tell(state, request.sagaId, { status: 'GRANTED' });
  }
  const at = insertByPriority(state.queue, request);
  if (state.allocated) tell(state, request.sagaId, { status: 'WAITLISTED', position: at + 1 });
}

/** Only before allocation, and only to a zoned ISO time before the window closes: a section allocated stays allocated. */
function moveAllocation(state: AllocatorState, allocationAt: unknown): void {
  if (state.allocated) return log.warn('allocation time not moved: the section is already allocated', { sectionId: state.section.sectionId });
  const at = typeof allocationAt === 'string' && ZONED_ISO_TIME.test(allocationAt) ? Date.parse(allocationAt) : Number.NaN;
  if (Number.isNaN(at) || at >= Date.parse(state.section.windowClosesAt)) {
    return log.warn('allocation time not moved: not a UTC or offset ISO time before the window closes', { sectionId: state.section.sectionId, allocationAt: String(allocationAt) });
  }
  // Kept as the section's other times are (UTC ISO), so views and the API read it alike.
  state.section = { ...state.section, allocationAt: new Date(at).toISOString() };
}

/** Inserts into a list kept in priority order (binary search): big sections stay cheap to file into. */
function insertByPriority(list: SeatRequest[], request: SeatRequest): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (byPriority(list[mid]!, request) <= 0) low = mid + 1;
    else high = mid;
  }
  list.splice(low, 0, request);
  return low;
}

/** A registration's undo: what it holds is given back, and it is remembered, so a late filing of it is refused. */
function releaseFor(state: AllocatorState, sagaId: string, released: Set<string>): void {
  if (!released.has(sagaId) && patched(REMEMBER_RELEASES_PATCH)) {
    released.add(sagaId);
    (state.released ??= []).push(sagaId);
  }
  release(state, sagaId);
}

function release(state: AllocatorState, sagaId: string): void {
  const wasGranted = state.granted.some((r) => r.sagaId === sagaId);
  state.granted = state.granted.filter((r) => r.sagaId !== sagaId);
  const queued = state.queue.findIndex((r) => r.sagaId === sagaId);
  if (queued >= 0) state.queue.splice(queued, 1);
  if (wasGranted && state.allocated && !state.closed && state.queue.length > 0) {
    const next = state.queue.shift()!;
    state.granted.push(next);
    tell(state, next.sagaId, { status: 'GRANTED' });
  }
}

function allocate(state: AllocatorState): void {
  const free = Math.max(state.section.capacity - state.granted.length, 0);
  const seated = state.queue.splice(0, free);
  state.granted.push(...seated);
  state.allocated = true;
  log.info('seats allocated', { sectionId: state.section.sectionId, granted: state.granted.length, waitlisted: state.queue.length });
  for (const r of seated) tell(state, r.sagaId, { status: 'GRANTED' });
  state.queue.forEach((r, i) => tell(state, r.sagaId, { status: 'WAITLISTED', position: i + 1 }));
}

function close(state: AllocatorState): void {
  const waiting = state.queue;
  state.queue = [];
  state.closed = true;
  for (const r of waiting) tell(state, r.sagaId, { status: 'CLOSED' });
}

function tell(state: AllocatorState, sagaId: string, decision: SeatDecision): void {
  state.outbox!.push([sagaId, decision]);
}

/**
 * Sends the next batch of decisions. A saga that already ended cannot be told; its request may still
 * have been filed after it ended (its filing call was in flight when it was cancelled), so whatever it
 * holds here is given back: a seat nobody can take up would otherwise be lost to the whole waitlist.
 */
async function sendBatch(state: AllocatorState): Promise<void> {
  const batch = state.outbox!.splice(0, SIGNAL_BATCH);
  const undeliverable: string[] = [];
  await Promise.all(
    batch.map(async ([sagaId, decision]) => {
      try {
        await getExternalWorkflowHandle(sagaId).signal(seatDecisionSignal, decision);
      } catch (err) {
        log.warn('a registration that ended cannot take its decision; releasing what it holds', { sagaId, decision: decision.status, error: (err as Error).message });
        if (decision.status === 'GRANTED' || decision.status === 'WAITLISTED') undeliverable.push(sagaId);
      }
    }),
  );
  for (const sagaId of undeliverable) release(state, sagaId);
}

/** What a registration holds now: its live waitlist position is read here, not pushed to it. */
function decisionFor(state: AllocatorState, sagaId: string): SeatDecision | null {
  if (state.granted.some((r) => r.sagaId === sagaId)) return { status: 'GRANTED' };
  const at = state.queue.findIndex((r) => r.sagaId === sagaId);
  if (at >= 0) return state.allocated ? { status: 'WAITLISTED', position: at + 1 } : null;
  return state.closed ? { status: 'CLOSED' } : null;
}

function viewOf(state: AllocatorState): AllocationView {
  const entry = (r: SeatRequest) => ({ studentId: r.studentId, registeredAt: r.registeredAt, sagaId: r.sagaId });
  return {
    ...state.section,
    allocated: state.allocated,
    closed: state.closed,
    pendingDecisions: state.outbox?.length ?? 0,
    granted: [...state.granted].sort(byPriority).map(entry),
    waitlist: state.queue.map(entry),
  };
}

/** One client's entries with their places, counts for the rest: an answer the size of the client's share. */
function clientViewOf(state: AllocatorState, clientId: string): ClientAllocation {
  const entry = (r: SeatRequest, i: number) => ({ studentId: r.studentId, registeredAt: r.registeredAt, sagaId: r.sagaId, position: i + 1 });
  const view: ClientAllocation = { ...state.section, allocated: state.allocated, closed: state.closed, granted: [], waitlist: [], grantedCount: state.granted.length, waitlistCount: state.queue.length, unowned: [] };
  const place = (list: 'granted' | 'waitlist', r: SeatRequest, i: number) => {
    if (r.clientId === clientId) view[list].push(entry(r, i));
    else if (r.clientId === undefined && view.unowned.length < UNOWNED_LIMIT) view.unowned.push({ ...entry(r, i), list });
  };
  [...state.granted].sort(byPriority).forEach((r, i) => place('granted', r, i));
  state.queue.forEach((r, i) => place('waitlist', r, i));
  return view;
}
