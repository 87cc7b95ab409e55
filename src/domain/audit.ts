/**
 * The audit trail's one entry point, shared by the sagas (through the `appendAudit` activity) and the
 * store that outlives Temporal. An entry is written once per `key`: a retried activity never writes twice.
 */
export interface AuditEntryInput {
  sagaId: string;
  sagaType: string;
  /** What happened: `requested`, `screened`, `reviewed`, `message-sent`, `message-received`, `posted`, `status`, `operator-action`. */
  kind: string;
  /** Unique within the saga (the step's Idempotency-Key, say): the entry is written at most once per key. */
  key: string;
  /** Who caused it: the client (and its key's id) or an operator, when known. */
  actor?: { client?: string; keyId?: string; operator?: string };
  /** What the regulator needs of it; personal data already masked by the writer where the audit masks it. */
  data: Record<string, unknown>;
}

/** Where the entry stands in its saga's chain and in the global one. */
export interface AuditReceipt {
  sagaSeq: number;
  globalSeq: number;
  hash: string;
}

/** The activity a saga calls to write one entry; the worker registers it with the audit store. */
export interface AuditActivities {
  appendAudit(entry: AuditEntryInput): Promise<AuditReceipt>;
}
