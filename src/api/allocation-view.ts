import { z } from 'zod';
import type { AllocationEntry, ClientAllocation, PlacedEntry, SectionInfo } from '../domain/allocation';

const EntrySchema = z.object({ studentId: z.string(), registeredAt: z.string(), sagaId: z.string(), position: z.number().int().positive() });
export const AllocationSchema = z.object({
  sectionId: z.string(),
  capacity: z.number(),
  allocationAt: z.string(),
  windowClosesAt: z.string(),
  granted: z.array(EntrySchema).describe("the caller's registrations holding a seat, with their place among all seats"),
  waitlist: z.array(EntrySchema).describe("the caller's registrations waiting, with their place in the whole line"),
  grantedCount: z.number().int().min(0).describe('seats taken, by every client'),
  waitlistCount: z.number().int().min(0).describe('places in line, by every client'),
});
export type PresentedAllocation = z.infer<typeof AllocationSchema>;

type Allocation = SectionInfo & { granted: AllocationEntry[]; waitlist: AllocationEntry[] };

/**
 * A section's allocation as one client may see it: its own registrations with their positions, and only
 * counts for everyone else's, so no answer names another client's student or saga.
 */
export async function presentAllocation(allocation: Allocation, isMine: (sagaId: string) => Promise<boolean>): Promise<PresentedAllocation> {
  const all = [...allocation.granted, ...allocation.waitlist];
  const mine = new Set((await Promise.all(all.map(async (e) => ((await isMine(e.sagaId)) ? e.sagaId : null)))).filter((id) => id !== null));
  const own = (entries: AllocationEntry[]) =>
    entries.flatMap((e, i) => (mine.has(e.sagaId) ? [{ studentId: e.studentId, registeredAt: e.registeredAt, sagaId: e.sagaId, position: i + 1 }] : []));
  return {
    sectionId: allocation.sectionId,
    capacity: allocation.capacity,
    allocationAt: allocation.allocationAt,
    windowClosesAt: allocation.windowClosesAt,
    granted: own(allocation.granted),
    waitlist: own(allocation.waitlist),
    grantedCount: allocation.granted.length,
    waitlistCount: allocation.waitlist.length,
  };
}

/**
 * The same answer from the allocator's per-client query: the allocator knows each entry's owner (filed with
 * the request), so a read costs one query, plus at most UNOWNED_LIMIT ownership checks for entries filed
 * before owners were recorded, whatever the section's size.
 */
export async function presentClientAllocation(allocation: ClientAllocation, isMine: (sagaId: string) => Promise<boolean>): Promise<PresentedAllocation> {
  const adopted = (await Promise.all(allocation.unowned.map(async (e) => ((await isMine(e.sagaId)) ? e : null)))).filter((e) => e !== null);
  const merged = (list: 'granted' | 'waitlist'): PlacedEntry[] =>
    [...allocation[list], ...adopted.filter((e) => e.list === list)]
      .sort((a, b) => a.position - b.position)
      .map((e) => ({ studentId: e.studentId, registeredAt: e.registeredAt, sagaId: e.sagaId, position: e.position }));
  return {
    sectionId: allocation.sectionId,
    capacity: allocation.capacity,
    allocationAt: allocation.allocationAt,
    windowClosesAt: allocation.windowClosesAt,
    granted: merged('granted'),
    waitlist: merged('waitlist'),
    grantedCount: allocation.grantedCount,
    waitlistCount: allocation.waitlistCount,
  };
}
