import { z } from 'zod';
import { ok, problem, type BackendService, type OpContext, type OpReply } from './service';

const ReferenceSchema = z.object({ reference: z.string().min(1) });

export interface Transition {
  /** States the record may be in for the transition to apply. */
  from: string[];
  to: string;
  /** The reply field that names the record, such as `reservationId`. */
  idField: string;
  /**
   * For an undo: the forward op whose call may still arrive after the undo. When no record exists yet,
   * a refusal is stored under that op and reference, so the late call never takes effect.
   */
  tombstoneOp?: string;
}

/**
 * Moves the record created by the call with Idempotency-Key `reference` from one state to another.
 * Moving it again to the state it is in already is a success, so retried undos are harmless.
 */
export function undoByReference(service: BackendService, body: unknown, t: Transition): OpReply {
  const parsed = ReferenceSchema.safeParse(body);
  if (!parsed.success) return problem(400, 'InvalidRequest', 'reference is required');
  const { reference } = parsed.data;
  const record = service.byReference(reference);
  if (!record) {
    if (!t.tombstoneOp) return problem(404, 'NotFound', `no record for reference ${reference}`);
    service.storeReply(t.tombstoneOp, reference, problem(409, 'AlreadyUndone', `reference ${reference} was undone before it was done`));
    return ok({ [t.idField]: null, status: t.to, reference });
  }
  if (record.status !== t.to) {
    if (!t.from.includes(record.status)) {
      return problem(409, 'InvalidState', `${record.kind} ${record.id} is ${record.status}, cannot become ${t.to}`);
    }
    service.save({ ...record, status: t.to });
  }
  return ok({ [t.idField]: record.id, status: t.to, reference });
}

/**
 * `GET /<service>/references/:reference`: what became of the call with that Idempotency-Key, as real
 * payment processors and carriers let a caller ask. A saga reconciles with it when an answer was lost.
 */
export function lookUpByReference(service: BackendService) {
  return ({ params }: OpContext): OpReply => {
    const reference = params.reference ?? '';
    const record = service.byReference(reference);
    return ok({ reference, found: record !== undefined, status: record?.status ?? null, id: record?.id ?? null });
  };
}
