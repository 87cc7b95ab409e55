import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditStore } from '../../audit/store';
import { sagaChainIntact } from '../../audit/verify';
import { HttpProblem } from '../problems';
import { problemResponses, refuseIllFormedText } from '../schemas';

/** What the audit routes read: the store, nothing that writes. */
export type AuditReader = Pick<AuditStore, 'sagaEntries' | 'page'>;

const AuditEntrySchema = z
  .object({
    v: z.literal(1),
    globalSeq: z.number(),
    sagaSeq: z.number(),
    sagaId: z.string(),
    sagaType: z.string(),
    kind: z.string(),
    key: z.string(),
    actor: z.object({ client: z.string().optional(), keyId: z.string().optional(), operator: z.string().optional() }).nullable(),
    data: z.record(z.string(), z.unknown()),
    at: z.string(),
    prevGlobalHash: z.string(),
    prevSagaHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEntry' });

const SagaAuditSchema = z.object({
  sagaId: z.string(),
  entries: z.array(AuditEntrySchema),
  /** The saga's own chain checked as read (the global chain and the signatures: `npm run audit -- verify`). */
  sagaChainIntact: z.boolean(),
});

const AuditListQuerySchema = z.object({
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const AuditListSchema = z.object({ entries: z.array(AuditEntrySchema), next: z.number().nullable() });

/** Read-only audit routes for auditor keys (src/api/auth.ts keeps every other key out): every client's sagas. */
export function auditRoutes(app: FastifyInstance, audit: AuditReader): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get('/v1/audit/sagas/:id', {
    preValidation: refuseIllFormedText,
    schema: {
      operationId: 'getSagaAudit',
      summary: "A saga's audit trail",
      description: "Every audit entry of one saga, of any client, in order, with personal data masked. Auditor keys only.",
      params: z.object({ id: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'not a saga id') }),
      response: { 200: SagaAuditSchema, 403: problemResponses[401], ...problemResponses },
    },
  }, async (request) => {
    const entries = await audit.sagaEntries(request.params.id);
    if (entries.length === 0) throw new HttpProblem(404, 'audit-not-found', 'No audit trail', `no audit entries for saga ${request.params.id}`);
    return { sagaId: request.params.id, entries, sagaChainIntact: sagaChainIntact(entries) };
  });

  typed.get('/v1/audit/entries', {
    preValidation: refuseIllFormedText,
    schema: {
      operationId: 'listAuditEntries',
      summary: 'Audit entries by time',
      description: 'Entries written from `since` (and before `until`), in the global chain\'s order, every client\'s; continue with `after` = the answer\'s `next`. Auditor keys only.',
      querystring: AuditListQuerySchema,
      response: { 200: AuditListSchema, 403: problemResponses[401], ...problemResponses },
    },
  }, async (request) => {
    const { since, until, after, limit } = request.query;
    return audit.page({ since: since ? new Date(since) : undefined, until: until ? new Date(until) : undefined, after, limit });
  });
}
