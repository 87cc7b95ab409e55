import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { allocatorId, AllocatorMessages, type AllocatorState, type SectionInfo, type SeatRequest } from '../domain/allocation';
import type { Money } from '../domain/money';
import { currentCall, referenceTo, type BackendClient } from './http-client';

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

function temporalOf(deps: ClassDeps) {
  if (!deps.temporal) throw new Error('this worker has no Temporal client for the seat allocators');
  return deps.temporal;
}

export function createClassActivities(deps: ClassDeps) {
  const { students, registrar, billing, notifications } = deps;
  return {
    async fetchStudent(input: { studentId: string }) {
      return students.getJson(`/students/${encodeURIComponent(input.studentId)}`, StudentSchema, currentCall());
    },

    async notifyStudent(input: { studentId: string; template: string; data: Record<string, unknown> }): Promise<void> {
      await notifications.postJson('/messages', { to: input.studentId, template: input.template, data: input.data }, MessageSchema, currentCall());
    },

    /** Files the request with the section's allocator, starting it if this is the section's first request. */
    async fileSeatRequest(input: { sectionId: string; request: SeatRequest; maxHistory: number }): Promise<SectionInfo> {
      const section = await registrar.getJson(`/sections/${encodeURIComponent(input.sectionId)}`, SectionSchema, currentCall());
      const { client, taskQueue } = temporalOf(deps);
      const initial: AllocatorState = { section, granted: [], queue: [], allocated: false, closed: false, maxHistory: input.maxHistory, generation: 0 };
      await client.workflow.signalWithStart('seatAllocatorV2', {
        workflowId: allocatorId(section.sectionId),
        taskQueue,
        args: [initial],
        signal: AllocatorMessages.fileRequest,
        signalArgs: [input.request],
        staticSummary: `Seat allocator for section ${section.sectionId}: ${section.capacity} seats`,
      });
      return { sectionId: section.sectionId, capacity: section.capacity, allocationAt: section.allocationAt, windowClosesAt: section.windowClosesAt };
    },

    async releaseSeat(input: { sectionId: string; sagaId: string }): Promise<void> {
      try {
        await temporalOf(deps).client.workflow.getHandle(allocatorId(input.sectionId)).signal(AllocatorMessages.releaseSeat, { sagaId: input.sagaId });
      } catch (err) {
        // No allocator means the request was never filed: there is no seat to give back.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    },

    async enrollStudent(input: { studentId: string; sectionId: string }): Promise<{ enrollmentId: string }> {
      return registrar.postJson('/enrollments', input, EnrollmentSchema, currentCall());
    },

    async dropEnrollment(input: { forwardStep: string }): Promise<void> {
      await registrar.postJson('/drops', referenceTo(input.forwardStep), TransitionSchema, currentCall());
    },

    async placeTuitionCharge(input: { studentId: string; sectionId: string; amount: Money }): Promise<{ chargeId: string }> {
      const body = { studentId: input.studentId, sectionId: input.sectionId, amountMinor: input.amount.amountMinor, currency: input.amount.currency };
      return billing.postJson('/charges', body, ChargeSchema, currentCall());
    },

    async releaseTuitionCharge(input: { forwardStep: string }): Promise<void> {
      await billing.postJson('/releases', referenceTo(input.forwardStep), TransitionSchema, currentCall());
    },
  };
}

export type ClassActivities = ReturnType<typeof createClassActivities>;
