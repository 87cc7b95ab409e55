import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { allocatorId, AllocatorMessages, type AllocatorState, type SectionInfo, type SeatRequest } from '../domain/allocation';
import type { Money } from '../domain/money';
import type { Reference } from '../domain/steps';
import { currentClient, FEDERATION_ISSUER } from './federation';
import { currentCall, lookUp, referenceTo, type BackendClient, type UndoInput } from './http-client';

export interface ClassDeps {
  students: BackendClient;
  registrar: BackendClient;
  billing: BackendClient;
  notifications: BackendClient;
  /** Files requests with the allocator workflows (signal-with-start). */
  temporal: { client: Client; taskQueue: string } | null;
}

const StudentSchema = z.object({ studentId: z.string(), registeredAt: z.string(), standing: z.enum(['GOOD', 'HOLD']) });
const SectionSchema = z.object({ sectionId: z.string(), capacity: z.number().int().positive(), allocationAt: z.string(), windowClosesAt: z.string() });
const EnrollmentSchema = z.object({ enrollmentId: z.string(), status: z.literal('ENROLLED') });
const ChargeSchema = z.object({ chargeId: z.string(), status: z.literal('PLACED') });
const TransitionSchema = z.object({ status: z.string() });
const MessageSchema = z.object({ messageId: z.string() });

interface StudentNotice {
  studentId: string;
  template: string;
  data: Record<string, unknown>;
}

async function notify(notifications: BackendClient, input: StudentNotice): Promise<void> {
  await notifications.postJson('/messages', { to: input.studentId, template: input.template, data: input.data }, MessageSchema, currentCall());
}

function ownerOf(): { clientId?: string } {
  const client = currentClient();
  return client === FEDERATION_ISSUER ? {} : { clientId: client };
}

function temporalOf(deps: ClassDeps) {
  if (!deps.temporal) throw new Error('this worker has no Temporal client for the seat allocators');
  return deps.temporal;
}

export function createClassActivities(deps: ClassDeps) {
  const { students, registrar, billing, notifications } = deps;
  return {
    async fetchRegistrationDate(input: { studentId: string }) {
      return students.getJson(`/students/${encodeURIComponent(input.studentId)}`, StudentSchema, currentCall());
    },

    async notifyPriority(input: StudentNotice): Promise<void> {
      await notify(notifications, input);
    },

    async notifyEnrolled(input: StudentNotice): Promise<void> {
      await notify(notifications, input);
    },

    /** Files the request with the section's allocator, starting it if this is the section's first request. */
    async fileWithAllocator(input: { sectionId: string; request: SeatRequest; maxHistory: number }): Promise<SectionInfo> {
      const section = await registrar.getJson(`/sections/${encodeURIComponent(input.sectionId)}`, SectionSchema, currentCall());
      const { client, taskQueue } = temporalOf(deps);
      const initial: AllocatorState = { section, granted: [], queue: [], allocated: false, closed: false, maxHistory: input.maxHistory, generation: 0 };
      await client.workflow.signalWithStart('seatAllocatorV2', {
        workflowId: allocatorId(section.sectionId),
        taskQueue,
        args: [initial],
        signal: AllocatorMessages.fileRequest,
        // The owner goes with the request, so the allocation route answers a client from the allocator alone.
        signalArgs: [{ ...input.request, ...ownerOf() }],
        staticSummary: `Seat allocator for section ${section.sectionId}: ${section.capacity} seats`,
      });
      return { sectionId: section.sectionId, capacity: section.capacity, allocationAt: section.allocationAt, windowClosesAt: section.windowClosesAt };
    },

    /** Gives the seat (or the place in line) back; the allocator knows the request by its saga. */
    async releaseSeat(input: { reference?: string; sectionId: string; sagaId?: string }): Promise<void> {
      const sagaId = input.sagaId ?? currentCall().sagaId;
      try {
        await temporalOf(deps).client.workflow.getHandle(allocatorId(input.sectionId)).signal(AllocatorMessages.releaseSeat, { sagaId });
      } catch (err) {
        // No allocator means the request was never filed: there is no seat to give back.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    },

    async enroll(input: { studentId: string; sectionId: string }): Promise<{ enrollmentId: string }> {
      return registrar.postJson('/enrollments', input, EnrollmentSchema, currentCall());
    },

    async dropEnrollment(input: UndoInput): Promise<void> {
      await registrar.postJson('/drops', referenceTo(input), TransitionSchema, currentCall());
    },

    async lookupEnrollment(input: Reference) {
      return lookUp(registrar, input);
    },

    async placeCharge(input: { studentId: string; sectionId: string; amount: Money }): Promise<{ chargeId: string }> {
      const body = { studentId: input.studentId, sectionId: input.sectionId, amountMinor: input.amount.amountMinor, currency: input.amount.currency };
      return billing.postJson('/charges', body, ChargeSchema, currentCall());
    },

    async releaseCharge(input: UndoInput): Promise<void> {
      await billing.postJson('/releases', referenceTo(input), TransitionSchema, currentCall());
    },

    async lookupCharge(input: Reference) {
      return lookUp(billing, input);
    },
  };
}

export type ClassActivities = ReturnType<typeof createClassActivities>;

/**
 * The names these activities had before each step got one name: a saga started on an older worker still
 * schedules them while it finishes, so the worker keeps answering to them.
 */
export function legacyClassActivities(a: ClassActivities) {
  return {
    fetchStudent: a.fetchRegistrationDate,
    notifyStudent: a.notifyPriority,
    fileSeatRequest: a.fileWithAllocator,
    enrollStudent: a.enroll,
    placeTuitionCharge: a.placeCharge,
    releaseTuitionCharge: a.releaseCharge,
  };
}
