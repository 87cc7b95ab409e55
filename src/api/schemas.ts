import { z } from 'zod';
import { SagaStatuses, SagaTypes, StepStatuses } from '../domain/saga';

export const SagaIdSchema = z.string().regex(/^saga-[A-Za-z0-9_-]{1,64}$/, 'not a saga id');

export const StepViewSchema = z.object({
  name: z.string(),
  status: z.enum(StepStatuses),
  attempts: z.number(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable(),
  compensation: z.object({ attempts: z.number(), lastError: z.string().nullable(), stuck: z.boolean() }).nullable(),
});

export const SagaViewSchema = z
  .object({
    id: z.string(),
    type: z.enum(SagaTypes),
    status: z.enum(SagaStatuses),
    steps: z.array(StepViewSchema),
    result: z.unknown(),
    error: z.object({ type: z.string(), message: z.string(), step: z.string().nullable() }).nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .catchall(z.unknown())
  .meta({ id: 'SagaView' });

export const ProblemSchema = z
  .object({ type: z.string(), title: z.string(), status: z.number(), detail: z.string() })
  .catchall(z.unknown())
  .meta({ id: 'Problem' });

export const SagaListSchema = z.object({
  items: z.array(
    z.object({ id: z.string(), type: z.string(), status: z.string(), createdAt: z.string(), closedAt: z.string().nullable() }),
  ),
  nextPageToken: z.string().nullable(),
});

export const ListQuerySchema = z.object({
  type: z.enum(SagaTypes).optional(),
  status: z.enum(SagaStatuses).optional(),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  pageToken: z.string().max(2048).regex(/^[A-Za-z0-9_.-]*$/).optional(),
});

export const problemResponses = {
  400: ProblemSchema,
  401: ProblemSchema,
  404: ProblemSchema,
  409: ProblemSchema,
  422: ProblemSchema,
  503: ProblemSchema,
};
