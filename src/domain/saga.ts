import type { AuditEntry } from './operator';

/** The saga view: what the API returns, what the query answers, what a finished workflow stores. */
export const SagaTypes = ['order', 'bike-checkout', 'class-registration', 'trip', 'transfer', 'transfer-return'] as const;
export type SagaType = (typeof SagaTypes)[number];

export const SagaStatuses = ['RUNNING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'FAILED'] as const;
export type SagaStatus = (typeof SagaStatuses)[number];

export const StepStatuses = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'COMPENSATING',
  'COMPENSATED',
  'STUCK',
] as const;
export type StepStatus = (typeof StepStatuses)[number];

export interface CompensationView {
  attempts: number;
  lastError: string | null;
  stuck: boolean;
}

export interface StepView {
  name: string;
  status: StepStatus;
  attempts: number;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
  compensation: CompensationView | null;
}

export interface SagaError {
  type: string;
  message: string;
  step: string | null;
}

export interface SagaView<R = unknown> {
  id: string;
  type: SagaType;
  status: SagaStatus;
  steps: StepView[];
  result: R | null;
  error: SagaError | null;
  createdAt: string;
  updatedAt: string;
  /** Saga-specific live fields (bikes, priority, waitlist position), shown at the top level of the view. */
  details: Record<string, unknown>;
  /** Every operator action the saga accepted, oldest first; a saga always sets it ([] until the first). */
  audit?: AuditEntry[];
}

export const TERMINAL_STATUSES: ReadonlySet<SagaStatus> = new Set(['COMPLETED', 'COMPENSATED', 'FAILED']);

/** Names of the search attributes every saga upserts; the dev server registers them at start. */
export const SearchAttribute = {
  type: 'SagaType',
  status: 'SagaStatus',
  client: 'SagaClient',
  customer: 'SagaCustomer',
  kiosk: 'SagaKiosk',
  student: 'SagaStudent',
  section: 'SagaSection',
} as const;

/**
 * What the business knows a saga by (saga ids are hashes): each saga declares the keys it has, the API
 * sets them as keyword search attributes at start, and operators filter by them.
 */
export const BusinessKeys = ['customer', 'kiosk', 'student', 'section'] as const;
export type BusinessKey = (typeof BusinessKeys)[number];

/** Options every saga takes from the worker's config through its input, so workflow code reads no env. */
export interface SagaTuning {
  /** After this many failed attempts a compensation is shown as stuck (and still retried). */
  stuckAfterAttempts: number;
  compensationBackoffMs: { initial: number; max: number };
  /**
   * A stuck undo keeps retrying (every `compensationBackoffMs.max` at most) in rounds of growing length up
   * to this; each round costs about a dozen history events, however many attempts it holds. 2 hours when absent.
   */
  undoRoundMaxMs?: number;
  /**
   * A forward step's first retry comes this long after a failure (doubling from there, capped as its kind of
   * step says); 200 ms when absent. Tests shorten it so that a step failing six times takes no 13 s.
   */
  stepRetryInitialMs?: number;
  /**
   * An audit write is shown as stuck (and alerted) only once it has failed for this long, whatever its
   * attempts, so a short outage of the store pages nobody; it is retried meanwhile. 5 minutes when absent.
   */
  auditStuckAfterMs?: number;
}

export const DEFAULT_AUDIT_STUCK_AFTER_MS = 5 * 60_000;

export const DEFAULT_TUNING: SagaTuning = {
  stuckAfterAttempts: 5,
  compensationBackoffMs: { initial: 1_000, max: 60_000 },
  auditStuckAfterMs: DEFAULT_AUDIT_STUCK_AFTER_MS,
};
