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
}

export const AllocatorMessages = {
  fileRequest: 'fileRequest',
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
