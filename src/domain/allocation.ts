/** The seat allocator's language, shared by the allocator, the registration saga and the API. */
export interface SectionInfo {
  sectionId: string;
  capacity: number;
  allocationAt: string;
  windowClosesAt: string;
}

/** One registration as the allocator files it. Priority: earlier registeredAt first, then submission. */
export interface SeatRequest {
  sagaId: string;
  studentId: string;
  registeredAt: string;
  submittedAt: number;
  /** The client whose saga filed it (absent in requests filed before owners were recorded). */
  clientId?: string;
}

export type SeatDecision =
  | { status: 'GRANTED' }
  | { status: 'WAITLISTED'; position: number }
  | { status: 'CLOSED' }
  | { status: 'DUPLICATE' };

export interface AllocationEntry {
  studentId: string;
  registeredAt: string;
  sagaId: string;
}

export interface AllocationView extends SectionInfo {
  allocated: boolean;
  closed: boolean;
  /** Decisions the allocator has yet to send (seatAllocatorV2). */
  pendingDecisions?: number;
  granted: AllocationEntry[];
  waitlist: AllocationEntry[];
  /** The whole lists' lengths when the answer is a page of them (allocators with a ledger). */
  grantedCount?: number;
  waitlistCount?: number;
}

/** A page of a section's allocation: entries from `from` on (in each list), at most `limit` (ALLOCATION_PAGE). */
export interface AllocationPage {
  from?: number;
  limit?: number;
}

/** An entry with its place: among all seats (granted), or in the whole line (waitlist). */
export type PlacedEntry = AllocationEntry & { position: number };

/** How many entries whose owner the allocator does not know (filed by an older worker) one read returns. */
export const UNOWNED_LIMIT = 100;

/** A section's allocation for one client: its own entries, counts for everyone else's (one query, any size). */
export interface ClientAllocation extends SectionInfo {
  allocated: boolean;
  closed: boolean;
  granted: PlacedEntry[];
  waitlist: PlacedEntry[];
  grantedCount: number;
  waitlistCount: number;
  /** Entries filed without an owner, at most UNOWNED_LIMIT: the API asks Temporal whose they are. */
  unowned: Array<PlacedEntry & { list: 'granted' | 'waitlist' }>;
}

export interface AllocatorState {
  section: SectionInfo;
  granted: SeatRequest[];
  /** Collected before allocation, the waitlist after it; always in priority order. */
  queue: SeatRequest[];
  allocated: boolean;
  closed: boolean;
  maxHistory: number;
  /** How many times it continued as new, for operators. */
  generation: number;
  /** Decisions not sent yet, in order (seatAllocatorV2; carried across continue-as-new). */
  outbox?: Array<[sagaId: string, decision: SeatDecision]>;
  /** Registrations that were undone: a filing of theirs that arrives late is never seated. */
  released?: string[];
  /**
   * Set once the allocator keeps its requests in ledger pages (patched 'allocator-ledger'): the fields
   * above are then the state it started from, and what happened since is the ledger's operations.
   */
  ledger?: AllocatorLedger;
  /** Operations per ledger page (LEDGER_PAGE_OPS unless set: tests set it small to write many pages). */
  pageOps?: number;
}

/**
 * What happened to an allocator, one operation at a time, in the order it applied them: folding them over
 * the state it started from gives its state again. Tuples, to keep pages small.
 */
export type LedgerOp =
  | [op: 'f', sagaId: string, studentId: string, registeredAt: string, submittedAt: number, clientId: string | null]
  | [op: 'r', sagaId: string]
  | [op: 'u', sagaId: string]
  | [op: 'm', allocationAt: unknown]
  | [op: 'a']
  | [op: 'c'];

/** Operations one ledger page holds (and one filing batch carries): each page's payload stays far under 2 MB. */
export const LEDGER_PAGE_OPS = 1_000;

/** What an allocator carries across continue-as-new: page ids and counts, never the requests themselves. */
export interface AllocatorLedger {
  pages: Array<{ id: string; ops: number }>;
  /** Operations not yet written to a page (fewer than LEDGER_PAGE_OPS). */
  tail: LedgerOp[];
  /** Decisions sent so far, counted from the start of the outbox the fold rebuilds. */
  told: number;
  /** Requests held when it continued, for the count asked while the next run reads its pages. */
  held: number;
}

/** Entries one allocation query answers at most, per list: a page of the whole section. */
export const ALLOCATION_PAGE = 1_000;

export const AllocatorMessages = {
  fileRequest: 'fileRequest',
  fileRequests: 'fileRequests',
  sendPage: 'sendPage',
  pageContent: 'pageContent',
  releaseSeat: 'releaseSeat',
  moveAllocation: 'moveAllocation',
  seatDecision: 'seatDecision',
  allocationQuery: 'allocation',
  clientAllocationQuery: 'clientAllocation',
  requestCountQuery: 'requestCount',
  positionQuery: 'seatPosition',
} as const;

/** Who holds a student's one live registration for a section (see the registrationClaim workflow). */
export interface ClaimHolder {
  sagaId: string;
  clientId: string;
  /** When it was claimed (ms since the epoch). */
  since: number;
  /** The request the claim was made for: a saga of the same id started for another request does not hold it. */
  requestHash?: string;
}

export function claimId(sectionId: string, studentId: string): string {
  return `claim-${sectionId}-${studentId}`;
}

export function allocatorId(sectionId: string): string {
  return `allocator-${sectionId}`;
}

export function byPriority(a: SeatRequest, b: SeatRequest): number {
  if (a.registeredAt !== b.registeredAt) return a.registeredAt < b.registeredAt ? -1 : 1;
  if (a.submittedAt !== b.submittedAt) return a.submittedAt - b.submittedAt;
  return a.sagaId < b.sagaId ? -1 : a.sagaId > b.sagaId ? 1 : 0;
}
