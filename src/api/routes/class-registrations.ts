import { QueryNotRegisteredError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_REQUESTS_PER_SECTION } from '../../config';
import { allocatorId, AllocatorMessages, claimId, type AllocationView, type ClientAllocation, type SeatDecision } from '../../domain/allocation';
import { ClassRegistrationRequestSchema, type ClassRegistrationRequest } from '../../domain/class-request';
import type { Money } from '../../domain/money';
import type { SagaTuning, SagaView } from '../../domain/saga';
import { AllocationSchema, presentAllocation, presentClientAllocation } from '../allocation-view';
import { HttpProblem } from '../problems';
import type { SagaGateway } from '../saga-gateway';
import { problemResponses } from '../schemas';
import { registerSagaRoute } from './start-saga';

export interface ClassRouteOptions {
  registrarUrl: string;
  tuition: Money;
  allocatorMaxHistory: number;
  tuning: SagaTuning;
  /** Requests one section takes (SAGAWAY_MAX_REQUESTS_PER_SECTION); past it a filing is a 409. */
  maxRequestsPerSection?: number;
}

const SectionSchema = z.object({ sectionId: z.string(), capacity: z.number(), allocationAt: z.string(), windowClosesAt: z.string() });

/** The section as the registrar has it, or null if there is no such section. */
async function sectionOf(registrarUrl: string, sectionId: string) {
  const unavailable = new HttpProblem(503, 'registrar-unavailable', 'The registrar is unavailable', 'retry shortly', {}, { 'retry-after': '5' });
  const res = await fetch(`${registrarUrl}/sections/${encodeURIComponent(sectionId)}`, { signal: AbortSignal.timeout(5_000) }).catch(() => {
    throw unavailable;
  });
  if (res.status === 404) return null;
  if (!res.ok) throw unavailable;
  return SectionSchema.parse(await res.json());
}

/**
 * A run of a big section's allocator answers no read until it has read its ledger pages back (a few
 * seconds for 50,000 requests): that is a 503 to retry, not a failure.
 */
const readingBack = (sectionId: string) =>
  new HttpProblem(503, 'allocator-busy', "The section's allocator is busy", `the allocator of section ${sectionId} is reading its requests back; retry shortly`, {}, { 'retry-after': '1' });

async function allocationOf(gateway: SagaGateway, registrarUrl: string, sectionId: string) {
  const live = await gateway.queryEntity<AllocationView>(allocatorId(sectionId), AllocatorMessages.allocationQuery).catch((err: unknown) => {
    throw err instanceof QueryNotRegisteredError ? readingBack(sectionId) : err;
  });
  if (live) return live;
  const section = await sectionOf(registrarUrl, sectionId);
  if (!section) throw new HttpProblem(404, 'section-not-found', 'Section not found', `no section ${sectionId}`);
  return { ...section, granted: [], waitlist: [] };
}

const POSITION_BUDGET_MS = 300;

/**
 * A waitlisted registration's position moves as others leave the line; the allocator does not push every
 * move to every saga, so a read asks it (briefly: the position the saga was told is the fallback).
 */
export async function withLivePosition(gateway: SagaGateway, view: SagaView): Promise<SagaView> {
  const sectionId = (view.details.request as { sectionId?: string } | undefined)?.sectionId;
  if (view.type !== 'class-registration' || view.details.stage !== 'WAITLISTED' || !sectionId) return view;
  try {
    const decision = await gateway.queryEntity<SeatDecision | null>(allocatorId(sectionId), AllocatorMessages.positionQuery, [view.id], POSITION_BUDGET_MS);
    if (decision?.status === 'WAITLISTED') return { ...view, details: { ...view.details, waitlistPosition: decision.position } };
  } catch {
    // An older allocator, or a busy one: the position the saga was told stands.
  }
  return view;
}

/**
 * A section takes a stated number of requests: the allocator carries every request it holds through
 * continue-as-new, so past its limit a filing is refused here, with a 409 that says so, rather than let
 * the allocator's state outgrow what Temporal takes. Filings in flight together may pass it by a few.
 */
async function refuseFullSection(gateway: SagaGateway, sectionId: string, limit: number): Promise<void> {
  let held: number | null;
  try {
    held = await gateway.queryEntity<number>(allocatorId(sectionId), AllocatorMessages.requestCountQuery);
  } catch (err) {
    if (err instanceof QueryNotRegisteredError) return; // an allocator on a worker from before the count
    throw err;
  }
  if (held !== null && held >= limit) {
    throw new HttpProblem(409, 'section-full', 'The section takes no more requests', `section ${sectionId} takes at most ${limit} requests and holds ${held}`, { limit });
  }
}

export function classRoutes(app: FastifyInstance, gateway: SagaGateway, options: ClassRouteOptions): void {
  registerSagaRoute(app, gateway, {
    path: '/v1/class-registrations',
    type: 'class-registration',
    workflow: 'classRegistration',
    schema: ClassRegistrationRequestSchema,
    operationId: 'startClassRegistration',
    summary: 'Register a student for a class section',
    description:
      'Register a student for a class section; seats go first to those who registered with the university earliest. ' +
      'One live registration per student and section: another is a 409 already-registered (with the live saga id when it is yours).',
    example: { studentId: 's-1001', sectionId: 'CS101-A' },
    precheck: async (body: ClassRegistrationRequest, sagaId: string, clientId: string, requestHash: string) => {
      const section = await sectionOf(options.registrarUrl, body.sectionId);
      if (!section) throw new HttpProblem(404, 'section-not-found', 'Section not found', `no section ${body.sectionId}`);
      await refuseFullSection(gateway, body.sectionId, options.maxRequestsPerSection ?? MAX_REQUESTS_PER_SECTION);
      const holder = await gateway.claim(claimId(body.sectionId, body.studentId), section.windowClosesAt, { sagaId, clientId, requestHash });
      if (holder.sagaId !== sagaId) {
        const yours = holder.clientId === clientId;
        throw new HttpProblem(409, 'already-registered', 'Already registered', `${body.studentId} already has a live registration for ${body.sectionId}`, yours ? { sagaId: holder.sagaId } : {});
      }
    },
    toInput: (body: ClassRegistrationRequest) => ({ ...body, tuition: options.tuition, tuning: options.tuning, allocatorMaxHistory: options.allocatorMaxHistory }),
    businessKeys: (body: ClassRegistrationRequest) => ({ student: body.studentId, section: body.sectionId }),
    runSummary: (body: ClassRegistrationRequest) => `Registration of ${body.studentId} for section ${body.sectionId}`,
  });

  app.withTypeProvider<ZodTypeProvider>().get('/v1/sections/:sectionId/allocation', {
    schema: {
      operationId: 'getSectionAllocation',
      summary: "Read a section's seat allocation",
      description: "The caller's own registrations for a section (seat or place in line), and how many seats and places are taken in all.",
      params: z.object({ sectionId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/) }),
      response: { 200: AllocationSchema, ...problemResponses },
    },
  }, async (request) => {
    const { sectionId } = request.params;
    const isMine = (sagaId: string) => gateway.owns(sagaId, request.clientId);
    try {
      const own = await gateway.queryEntity<ClientAllocation>(allocatorId(sectionId), AllocatorMessages.clientAllocationQuery, [request.clientId]);
      if (own) return presentClientAllocation(own, isMine);
    } catch (err) {
      // An allocator on a worker from before the per-client query: read it whole, as that worker answers.
      if (!(err instanceof QueryNotRegisteredError)) throw err;
    }
    return presentAllocation(await allocationOf(gateway, options.registrarUrl, sectionId), isMine);
  });
}
