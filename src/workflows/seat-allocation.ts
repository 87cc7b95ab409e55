/**
 * The seat allocator's state and what each message does to it, shared by both of its loops (carried
 * whole, or folded again from its ledger). Deterministic: decisions go to the outbox, and sendBatch sends them.
 */
import { getExternalWorkflowHandle, log, patched } from '@temporalio/workflow';
import { ALLOCATION_PAGE, byPriority, UNOWNED_LIMIT, type AllocationPage, type AllocationView, type AllocatorState, type ClientAllocation, type SeatDecision, type SeatRequest } from '../domain/allocation';
import { seatDecisionSignal } from './messages';

export type Message = { kind: 'file'; request: SeatRequest } | { kind: 'release'; sagaId: string } | { kind: 'move'; allocationAt: unknown };

/** Outgoing signals in flight at once: far below Temporal's 2,000 pending per run. */
export const SIGNAL_BATCH = 500;

const REMEMBER_RELEASES_PATCH = 'allocator-remembers-releases';

/** Entries of one client one read returns at most, per list. */
export const CLIENT_ENTRY_LIMIT = 2_000;

/** A UTC or offset ISO time only: a time without a zone would be read in the worker's own time zone. */
const ZONED_ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Who is held (seated or in line), by saga and by student: a filing is checked in constant time. */
interface Held {
  bySaga: Map<string, SeatRequest>;
  students: Set<string>;
}
const heldOf = new WeakMap<AllocatorState, Held>();

function held(state: AllocatorState): Held {
  let index = heldOf.get(state);
  if (!index) {
    index = { bySaga: new Map(), students: new Set() };
    for (const r of [...state.granted, ...state.queue]) hold(index, r);
    heldOf.set(state, index);
  }
  return index;
}

function hold(index: Held, r: SeatRequest): void {
  index.bySaga.set(r.sagaId, r);
  index.students.add(r.studentId);
}

function forget(state: AllocatorState, r: SeatRequest): void {
  const index = held(state);
  index.bySaga.delete(r.sagaId);
  index.students.delete(r.studentId);
}

export function heldCount(state: AllocatorState): number {
  return state.granted.length + state.queue.length;
}

export function handle(state: AllocatorState, message: Message, released: Set<string>): void {
  if (message.kind === 'release') return releaseFor(state, message.sagaId, released);
  if (message.kind === 'move') return moveAllocation(state, message.allocationAt);
  const { request } = message;
  // A filing that arrives after its registration was undone (its call was in flight when the saga was
  // cancelled) is for a saga that can no longer take a seat. Patched: histories from before seated it.
  if (released.has(request.sagaId) && patched(REMEMBER_RELEASES_PATCH)) {
    return log.info('a filing of a registration already undone is not seated', { sagaId: request.sagaId });
  }
  const index = held(state);
  const known = index.bySaga.get(request.sagaId);
  if (known) return state.allocated ? tell(state, known.sagaId, decisionFor(state, known.sagaId)!) : undefined;
  if (index.students.has(request.studentId)) return tell(state, request.sagaId, { status: 'DUPLICATE' });
  if (state.closed) return tell(state, request.sagaId, { status: 'CLOSED' });
  hold(index, request);
  if (state.allocated && state.granted.length < state.section.capacity) {
    state.granted.push(request);
    return tell(state, request.sagaId, { status: 'GRANTED' });
  }
  // Before allocation the line is sorted once, when it is allocated: filing stays cheap however big the section.
  if (!state.allocated) return void state.queue.push(request);
  const at = insertByPriority(state.queue, request);
  tell(state, request.sagaId, { status: 'WAITLISTED', position: at + 1 });
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

/** Inserts into a list kept in priority order (binary search). */
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

export function release(state: AllocatorState, sagaId: string): void {
  const request = held(state).bySaga.get(sagaId);
  if (!request) return;
  forget(state, request);
  const seat = state.granted.indexOf(request);
  if (seat >= 0) state.granted.splice(seat, 1);
  const queued = state.queue.indexOf(request);
  if (queued >= 0) state.queue.splice(queued, 1);
  if (seat >= 0 && state.allocated && !state.closed && state.queue.length > 0) {
    const next = state.queue.shift()!;
    state.granted.push(next);
    tell(state, next.sagaId, { status: 'GRANTED' });
  }
}

export function allocate(state: AllocatorState): void {
  state.queue.sort(byPriority);
  const free = Math.max(state.section.capacity - state.granted.length, 0);
  const seated = state.queue.splice(0, free);
  state.granted.push(...seated);
  state.allocated = true;
  log.info('seats allocated', { sectionId: state.section.sectionId, granted: state.granted.length, waitlisted: state.queue.length });
  for (const r of seated) tell(state, r.sagaId, { status: 'GRANTED' });
  state.queue.forEach((r, i) => tell(state, r.sagaId, { status: 'WAITLISTED', position: i + 1 }));
}

export function close(state: AllocatorState): void {
  const waiting = state.queue;
  state.queue = [];
  state.closed = true;
  for (const r of waiting) {
    forget(state, r);
    tell(state, r.sagaId, { status: 'CLOSED' });
  }
}

export function tell(state: AllocatorState, sagaId: string, decision: SeatDecision): void {
  (state.outbox ??= []).push([sagaId, decision]);
}

/** What a registration holds now: its live waitlist position is read here, not pushed to it. */
export function decisionFor(state: AllocatorState, sagaId: string): SeatDecision | null {
  const request = held(state).bySaga.get(sagaId);
  if (request && state.granted.includes(request)) return { status: 'GRANTED' };
  if (request) return state.allocated ? { status: 'WAITLISTED', position: state.queue.indexOf(request) + 1 } : null;
  return state.closed ? { status: 'CLOSED' } : null;
}

/**
 * The line in priority order. Before allocation it is sorted here, in place, when read: the order of an
 * unallocated line changes nothing (allocation sorts it), and a sorted line sorts again in linear time.
 */
function line(state: AllocatorState): SeatRequest[] {
  return state.allocated ? state.queue : state.queue.sort(byPriority);
}

/** The allocation whole (`page` absent: allocators without a ledger), or a page of each list with their lengths. */
export function viewOf(state: AllocatorState, page?: AllocationPage): AllocationView {
  const entry = (r: SeatRequest) => ({ studentId: r.studentId, registeredAt: r.registeredAt, sagaId: r.sagaId });
  const granted = [...state.granted].sort(byPriority);
  const waitlist = line(state);
  const from = Math.max(page?.from ?? 0, 0);
  const to = page ? from + Math.min(Math.max(page.limit ?? ALLOCATION_PAGE, 0), ALLOCATION_PAGE) : undefined;
  return {
    ...state.section,
    allocated: state.allocated,
    closed: state.closed,
    pendingDecisions: state.outbox?.length ?? 0,
    granted: granted.slice(page ? from : 0, to).map(entry),
    waitlist: waitlist.slice(page ? from : 0, to).map(entry),
    ...(page ? { grantedCount: granted.length, waitlistCount: waitlist.length } : {}),
  };
}

/** One client's entries with their places (at most CLIENT_ENTRY_LIMIT a list), counts for the rest. */
export function clientViewOf(state: AllocatorState, clientId: string): ClientAllocation {
  const entry = (r: SeatRequest, i: number) => ({ studentId: r.studentId, registeredAt: r.registeredAt, sagaId: r.sagaId, position: i + 1 });
  const view: ClientAllocation = { ...state.section, allocated: state.allocated, closed: state.closed, granted: [], waitlist: [], grantedCount: state.granted.length, waitlistCount: state.queue.length, unowned: [] };
  const place = (list: 'granted' | 'waitlist', r: SeatRequest, i: number) => {
    if (r.clientId === clientId && view[list].length < CLIENT_ENTRY_LIMIT) view[list].push(entry(r, i));
    else if (r.clientId === undefined && view.unowned.length < UNOWNED_LIMIT) view.unowned.push({ ...entry(r, i), list });
  };
  [...state.granted].sort(byPriority).forEach((r, i) => place('granted', r, i));
  line(state).forEach((r, i) => place('waitlist', r, i));
  return view;
}

/**
 * Sends the next batch of decisions, and answers the sagas that could not be told. A saga that already
 * ended cannot be told; its request may still have been filed after it ended (its filing call was in
 * flight when it was cancelled), so whatever it holds must be given back (the caller does): a seat nobody
 * can take up would otherwise be lost to the whole waitlist.
 */
export async function sendBatch(state: AllocatorState): Promise<string[]> {
  const batch = state.outbox!.splice(0, SIGNAL_BATCH);
  const undeliverable: string[] = [];
  await Promise.all(
    batch.map(async ([sagaId, decision]: [string, SeatDecision]) => {
      try {
        await getExternalWorkflowHandle(sagaId).signal(seatDecisionSignal, decision);
      } catch (err) {
        log.warn('a registration that ended cannot take its decision; releasing what it holds', { sagaId, decision: decision.status, error: (err as Error).message });
        if (decision.status === 'GRANTED' || decision.status === 'WAITLISTED') undeliverable.push(sagaId);
      }
    }),
  );
  return undeliverable;
}
