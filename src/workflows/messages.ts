import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { AllocatorMessages, type AllocationPage, type AllocationView, type ClientAllocation, type LedgerOp, type SeatDecision, type SeatRequest } from '../domain/allocation';
import { Messages } from '../domain/messages';
import type { PriceConfirmation } from '../domain/trip-request';
import type { OperatorAction, OperatorActionResult } from '../domain/operator';

/** The kiosk's door sensor saw a bike in its bay. */
export const bikeSensedUpdate = defineUpdate<{ bikeId: string; bay: number; status: string }, [{ bikeId: string }]>(Messages.bikeSensedUpdate);

/** The traveller accepts or refuses a trip's moved total. */
export const priceConfirmationUpdate = defineUpdate<{ accepted: boolean }, [PriceConfirmation]>(Messages.priceConfirmationUpdate);

/** A registration files its request with the section's allocator. */
export const fileRequestSignal = defineSignal<[SeatRequest]>(AllocatorMessages.fileRequest);
/** A registration gives its seat (or its place in line) back. */
export const releaseSeatSignal = defineSignal<[{ sagaId: string }]>(AllocatorMessages.releaseSeat);
/** A registrar moves the allocation time of a section not yet allocated (an ISO time with a zone; the past means now). */
export const moveAllocationSignal = defineSignal<[{ allocationAt: string }]>(AllocatorMessages.moveAllocation);
/** The allocator answers a registration. */
export const seatDecisionSignal = defineSignal<[SeatDecision]>(AllocatorMessages.seatDecision);
/** Many registrations at once (at most LEDGER_PAGE_OPS): a registrar's import, and big sections in tests. */
export const fileRequestsSignal = defineSignal<[SeatRequest[]]>(AllocatorMessages.fileRequests);
/** An allocator asks one of its ledger pages to send what it holds to the allocator's current run. */
export const sendPageSignal = defineSignal<[{ to: string }]>(AllocatorMessages.sendPage);
/** A ledger page's operations, sent to the allocator that asked. */
export const pageContentSignal = defineSignal<[{ pageId: string; ops: LedgerOp[] }]>(AllocatorMessages.pageContent);
/** The allocation, whole for an allocator without a ledger, a page of it (ALLOCATION_PAGE at most) for one with. */
export const allocationQuery = defineQuery<AllocationView, [AllocationPage?]>(AllocatorMessages.allocationQuery);
/** One client's entries with their places, and counts of everyone's: what the allocation route answers. */
export const clientAllocationQuery = defineQuery<ClientAllocation, [string]>(AllocatorMessages.clientAllocationQuery);
/** How many requests the allocator holds (seated and in line): the API refuses filings past a section's limit. */
export const requestCountQuery = defineQuery<number>(AllocatorMessages.requestCountQuery);
/** What one registration holds now (its live waitlist position), or null if the allocator has no decision for it. */
export const positionQuery = defineQuery<SeatDecision | null, [string]>(AllocatorMessages.positionQuery);

/** An operator's decision about a STUCK undo or a FAILED step after the pivot (CONTRACTS.md 1). */
export const operatorActionUpdate = defineUpdate<OperatorActionResult, [OperatorAction]>(Messages.operatorActionUpdate);
