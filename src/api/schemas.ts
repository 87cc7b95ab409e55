import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpProblem } from './problems';
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

/** Control characters (C0, DEL, C1): never part of an identifier or of free text sagaway stores. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The first string in a parsed body (or query, or params) that is not well-formed Unicode (a lone UTF-16
 * surrogate) or holds a control character, as `body.path.to.field`; null when all text is clean. Keys
 * count too, so nothing ill-formed reaches Temporal, the backends or the logs.
 */
export function illFormedText(value: unknown, path: string): string | null {
  // Iterative, so a deeply nested body cannot overflow the stack.
  const pending: Array<[unknown, string]> = [[value, path]];
  while (pending.length > 0) {
    const [item, at] = pending.pop()!;
    if (typeof item === 'string') {
      if (LONE_SURROGATE.test(item) || CONTROL.test(item)) return at;
    } else if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i -= 1) pending.push([item[i], `${at}.${i}`]);
    } else if (item && typeof item === 'object') {
      for (const [key, child] of Object.entries(item).reverse()) {
        if (LONE_SURROGATE.test(key) || CONTROL.test(key)) return `${at}.${key.replace(/[^\x20-\x7e]/g, '?')}`;
        pending.push([child, `${at}.${key}`]);
      }
    }
  }
  return null;
}

/** A preValidation hook: ill-formed text is a 400 naming the field, before any schema or handler sees it. */
export async function refuseIllFormedText(request: FastifyRequest): Promise<void> {
  const field = illFormedText(request.params, 'params') ?? illFormedText(request.query, 'query') ?? illFormedText(request.body, 'body');
  if (field) {
    throw new HttpProblem(400, 'validation', 'The request is not valid', `${field}: must be well-formed Unicode without control characters`, {
      errors: [{ field, message: 'must be well-formed Unicode without control characters' }],
    });
  }
}
