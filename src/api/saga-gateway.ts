import {
  Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ClaimHolder } from '../domain/allocation';
import { Messages, type CancelRequest } from '../domain/messages';
import { BusinessKeys, SearchAttribute, TERMINAL_STATUSES, type BusinessKey, type SagaType, type SagaView } from '../domain/saga';
import { PageTokens } from './page-token';
import { RegistrationClaims } from './registration-claims';
import { SingleFlight } from './single-flight';
import { executeUpdateOnce, unavailableAs503 } from './temporal-unavailable';
import { ViewCache } from './view-cache';
import type { SagaViewStore } from '../views/saga-view-store';
import { describeEnd, keys, keyword, timestamp, visibilityView } from './visibility';
import { WaitLimit } from './wait-limit';

export interface StartSaga {
  type: SagaType;
  workflow: string;
  input: unknown;
  sagaId: string;
  clientId: string;
  /** Hash of the request; a retry with the same Idempotency-Key and another body is refused. */
  requestHash: string;
  summary: string;
  /** Keyword search attributes operators find the saga by (customer, kiosk, student, section). */
  businessKeys?: Partial<Record<BusinessKey, string>>;
}

export type StartOutcome = { kind: 'started' | 'existing'; view: SagaView } | { kind: 'conflict'; sagaId: string };

export type CommandOutcome<T = unknown> =
  | { kind: 'done'; value: T }
  | { kind: 'not-found' }
  | { kind: 'refused'; reason: string; code: string };

export interface SagaPage {
  items: Array<{ id: string; type: string; status: string; createdAt: string; closedAt: string | null }>;
  nextPageToken: string | null;
}

export interface GatewayLimits {
  /** `Prefer: wait` requests one client may hold open at once. */
  maxWaitsPerClient: number;
  /** How long a read waits for a busy worker before it answers the last known view. */
  liveQueryBudgetMs: number;
  /** With SAGAWAY_REDIS_URL: the wait cap is counted across every API instance. */
  redis?: Redis | null;
}

export const DEFAULT_LIMITS: GatewayLimits = { maxWaitsPerClient: 200, liveQueryBudgetMs: 75 };

const QUERY_TIMEOUT_MS = 3_000;
/** What an operator's read waits for a busy worker: the query's own timeout (a STUCK step must show). */
export const OPERATOR_READ_WAIT_MS = QUERY_TIMEOUT_MS;
/** How often, at most, reads of a running saga also ask Temporal whether it has ended. */
const END_CHECK_MS = 5_000;
/** How long after a command a saga's view is asked of its worker rather than read from the store. */
const COMMAND_SETTLE_MS = 2_000;

/**
 * Everything the API asks of Temporal, in one place: start a saga, read its view, wait for it, list,
 * cancel and signal. It also enforces that a client only ever sees its own sagas.
 */
export class SagaGateway {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly pageTokens: PageTokens = new PageTokens(),
    private readonly limits: GatewayLimits = DEFAULT_LIMITS,
    /** The views workers publish (Redis, or the data folder); null (an app a test builds): read from the worker. */
    private readonly store: SagaViewStore | null = null,
    /** Where an update sent again is logged (`executeUpdateOnce`). */
    private readonly logger: Pick<Logger, 'warn'> | null = null,
  ) {
    this.waits = new WaitLimit(limits.maxWaitsPerClient, limits.redis ?? null);
    this.claims = new RegistrationClaims(client, taskQueue, async (sagaId, requestHash) => {
      const description = await this.describe(sagaId);
      if (!description) return null;
      // A saga of this id that runs for another request (the same key, another student) holds nothing.
      return description.status.name === 'RUNNING' && (requestHash === undefined || description.memo?.requestHash === requestHash);
    });
  }

  private readonly waits: WaitLimit;
  private readonly claims: RegistrationClaims;
  private readonly views = new ViewCache();
  private readonly reads = new SingleFlight<WorkflowExecutionDescription | null>();
  private readonly queries = new SingleFlight<SagaView>();
  /** When each saga was last described, so reads do not all ask whether it has ended. */
  private readonly endChecks = new Map<string, number>();
  /** When a command (a cancel, an answer) last went through for a saga, while its view settles. */
  private readonly commanded = new Map<string, number>();

  async start(req: StartSaga): Promise<StartOutcome> {
    try {
      const handle = await unavailableAs503(() =>
        this.client.workflow.start(req.workflow, {
          taskQueue: this.taskQueue,
          workflowId: req.sagaId,
          args: [req.input],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          memo: { requestHash: req.requestHash },
          staticSummary: req.summary,
          typedSearchAttributes: [
            { key: keys.type, value: req.type },
            { key: keys.status, value: 'RUNNING' },
            { key: keys.client, value: req.clientId },
            ...businessAttributes(req.businessKeys ?? {}),
          ],
        }),
      );
      const now = new Date().toISOString();
      const view: SagaView = { id: handle.workflowId, type: req.type, status: 'RUNNING', steps: [], result: null, error: null, createdAt: now, updatedAt: now, details: {} };
      this.views.started(req.clientId, view);
      // Sent before any read this instance makes of it (one Redis connection keeps the order); not waited for.
      this.store?.forget(view.id).catch(() => undefined);
      this.checkedEnd(view.id);
      return { kind: 'started', view };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const description = await this.describeOwned(req.sagaId, req.clientId);
      if (!description || description.memo?.requestHash !== req.requestHash) return { kind: 'conflict', sagaId: req.sagaId };
      return { kind: 'existing', view: await this.viewOf(description) };
    }
  }

  /**
   * What a visibility listing just said of a running saga: whose it is, and that it ran a moment ago, so a
   * read of it that follows (the operator's attention list) asks its view and not a describe first.
   */
  listedRunning(sagaId: string, clientId: string): void {
    this.views.own(sagaId, clientId);
    this.checkedEnd(sagaId);
  }

  /** The client a saga belongs to, if this API has learnt it (a saga's owner never changes). */
  knownOwner(sagaId: string): string | undefined {
    return this.views.ownerOf(sagaId);
  }

  /** Whether this saga was started by this client (false for another client's or no saga). */
  async owns(sagaId: string, clientId: string): Promise<boolean> {
    return (await this.describeOwned(sagaId, clientId)) !== null;
  }

  /** The saga a key already started, or the conflict if it was started for another request; null if none. */
  async existing(sagaId: string, clientId: string, requestHash: string): Promise<StartOutcome | null> {
    const description = await this.describe(sagaId);
    if (!description) return null;
    if (description.typedSearchAttributes.get(keys.client) !== clientId || description.memo?.requestHash !== requestHash) return { kind: 'conflict', sagaId };
    return { kind: 'existing', view: await this.viewOf(description) };
  }

  /**
   * A finished saga is answered from memory. A running one whose owner this API knows is read from the view
   * store; only a view not there costs a query to its worker, waited for no longer than the budget (or
   * `waitMs`, for a reader who would rather wait for the worker's answer than have the last view seen);
   * otherwise a describe comes first, to learn the owner.
   */
  async view(sagaId: string, clientId: string, waitMs?: number): Promise<SagaView | null> {
    const cached = this.views.final(sagaId) ?? this.views.fresh(sagaId);
    if (cached) return cached.clientId === clientId ? cached.view : null;
    const owner = this.views.ownerOf(sagaId);
    if (owner !== undefined) return owner === clientId ? this.ownedView(sagaId, clientId, waitMs) : null;
    const description = await this.describeOwned(sagaId, clientId);
    return description ? this.viewOf(description, waitMs) : null;
  }

  /**
   * Waits up to `ms` for a saga the caller already showed to be the client's own to end; answers the
   * final view, or the view as it is when the wait is over. The Temporal long-poll ends with the wait:
   * at its deadline, or when `gone` says the client left.
   */
  async waitForEnd(sagaId: string, clientId: string, ms: number, gone?: AbortSignal): Promise<SagaView | null> {
    const release = await this.waits.acquire(clientId);
    const wait = new AbortController();
    const timer = setTimeout(() => wait.abort(), ms);
    const leave = () => wait.abort();
    gone?.addEventListener('abort', leave, { once: true });
    try {
      const view = (await this.client.withAbortSignal(wait.signal, () => this.client.workflow.getHandle(sagaId).result())) as SagaView | null;
      if (view && TERMINAL_STATUSES.has(view.status)) {
        this.views.remember(clientId, view);
        return view;
      }
    } catch {
      // Timed out, the client left, or the run ended without a view (terminated, say): the current view tells.
    } finally {
      clearTimeout(timer);
      gone?.removeEventListener('abort', leave);
      wait.abort();
      release();
    }
    return gone?.aborted ? null : this.view(sagaId, clientId);
  }

  /** Claims a student's one live registration for a section for `sagaId`; answers the holder (see RegistrationClaims). */
  claim(claimId: string, until: string, claimant: { sagaId: string; clientId: string; requestHash: string }): Promise<ClaimHolder> {
    return this.claims.claim(claimId, until, claimant);
  }

  async list(clientId: string, filter: { type?: string; status?: string; pageSize: number; pageToken?: string }): Promise<SagaPage> {
    const clauses = [`${SearchAttribute.client} = "${clientId}"`];
    if (filter.type) clauses.push(`${SearchAttribute.type} = "${filter.type}"`);
    if (filter.status) clauses.push(`${SearchAttribute.status} = "${filter.status}"`);
    const pageToken = filter.pageToken ? this.pageTokens.open(clientId, filter.pageToken) : undefined;
    const res = await unavailableAs503(() =>
      this.client.workflowService.listWorkflowExecutions({
        namespace: this.client.options.namespace,
        pageSize: filter.pageSize,
        query: clauses.join(' AND '),
        nextPageToken: pageToken,
      }),
    );
    const items = (res.executions ?? []).map((execution) => {
      const fields = execution.searchAttributes?.indexedFields ?? {};
      return {
        id: execution.execution?.workflowId ?? '',
        type: keyword(fields[SearchAttribute.type]) ?? 'unknown',
        status: keyword(fields[SearchAttribute.status]) ?? 'RUNNING',
        createdAt: timestamp(execution.startTime) ?? '',
        closedAt: timestamp(execution.closeTime),
      };
    });
    const token = res.nextPageToken && res.nextPageToken.length > 0 ? this.pageTokens.seal(clientId, res.nextPageToken) : null;
    return { items, nextPageToken: token };
  }

  async cancel(sagaId: string, clientId: string, request: CancelRequest): Promise<CommandOutcome> {
    return this.update(sagaId, clientId, Messages.cancelUpdate, request);
  }

  /** Runs a workflow update on a saga the client owns; a validator's refusal comes back as `refused`. */
  async update(sagaId: string, clientId: string, name: string, arg: unknown): Promise<CommandOutcome> {
    const description = await this.describeOwned(sagaId, clientId);
    if (!description) return { kind: 'not-found' };
    if (description.status.name !== 'RUNNING') return { kind: 'refused', code: 'NotRunning', reason: `the saga has already ended` };
    try {
      const value = await unavailableAs503(() => executeUpdateOnce(this.client.workflow.getHandle(sagaId), name, arg, { logger: this.logger }));
      this.views.forget(sagaId);
      // Only a store is skipped while a command settles (storedView deletes the mark); without one, nothing would.
      if (this.store) noteTime(this.commanded, sagaId, Date.now());
      return { kind: 'done', value };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        return { kind: 'refused', code: err.cause.type ?? 'Refused', reason: err.cause.message };
      }
      if (err instanceof WorkflowNotFoundError) return { kind: 'refused', code: 'NotRunning', reason: 'the saga has already ended' };
      throw err;
    }
  }

  /** Queries a workflow that is not a client's saga (a section's seat allocator); null if there is none. */
  async queryEntity<T>(workflowId: string, query: string, args: unknown[] = [], timeoutMs?: number): Promise<T | null> {
    try {
      return await unavailableAs503(() => this.client.workflow.getHandle(workflowId).query<T, unknown[]>(query, ...args), timeoutMs);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }

  async ready(): Promise<{ ready: boolean; reason: string | null }> {
    try {
      await unavailableAs503(() => this.client.workflowService.describeNamespace({ namespace: this.client.options.namespace }), 2_000);
      return { ready: true, reason: null };
    } catch (err) {
      return { ready: false, reason: `Temporal is not reachable: ${(err as Error).message}` };
    }
  }

  private async describeOwned(sagaId: string, clientId: string): Promise<WorkflowExecutionDescription | null> {
    const description = await this.describe(sagaId);
    return description?.typedSearchAttributes.get(keys.client) === clientId ? description : null;
  }

  /** Concurrent reads of one saga share one describe; it also tells the API who owns the saga. */
  private describe(sagaId: string): Promise<WorkflowExecutionDescription | null> {
    return this.reads.run(sagaId, async () => {
      try {
        const description = await unavailableAs503(() => this.client.workflow.getHandle(sagaId).describe());
        const owner = description.typedSearchAttributes.get(keys.client);
        if (owner) this.views.own(sagaId, owner);
        this.checkedEnd(sagaId);
        return description;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return null;
        throw err;
      }
    });
  }

  /**
   * A running saga of this client's: the view its worker published, else its worker's answer within the
   * budget, else the last view seen (said so). A saga that ended without saying so to a worker (terminated,
   * say) is found by a describe made beside the reads, at most every END_CHECK_MS per saga.
   */
  private async ownedView(sagaId: string, clientId: string, waitMs?: number): Promise<SagaView | null> {
    this.checkEnded(sagaId);
    const answered = await this.currentView(sagaId, clientId, waitMs);
    if (answered === 'gone') {
      this.views.drop(sagaId);
      return null;
    }
    const fallback = answered ?? this.views.final(sagaId)?.view ?? this.lastSeen(sagaId);
    if (fallback) return fallback;
    const description = await this.describeOwned(sagaId, clientId);
    return description ? this.viewOf(description, waitMs) : null;
  }

  /**
   * The view the worker published (with a store), else its answer to the state query if it comes within
   * the budget; null when neither came in time, 'gone' when Temporal has no such saga.
   */
  private async currentView(sagaId: string, clientId: string, waitMs?: number): Promise<SagaView | 'gone' | null> {
    const stored = await this.storedView(sagaId, clientId);
    if (stored) return stored;
    const asked = this.liveQuery(sagaId, clientId).then(
      (view) => view,
      (err: unknown) => (err instanceof WorkflowNotFoundError ? ('gone' as const) : null),
    );
    return Promise.race([asked, this.budget(waitMs)]);
  }

  private checkEnded(sagaId: string): void {
    const last = this.endChecks.get(sagaId);
    if (last !== undefined && Date.now() - last < END_CHECK_MS) return;
    this.checkedEnd(sagaId);
    void this.describe(sagaId)
      .then((description) => (description && description.status.name !== 'RUNNING' ? this.viewOf(description) : null))
      .catch(() => undefined);
  }

  /** Notes when the saga was last described; the oldest of more than MAX_TIMES sagas is forgotten. */
  private checkedEnd(sagaId: string): void {
    noteTime(this.endChecks, sagaId, Date.now());
  }

  /** The view the saga's worker last published, if there is a store and it has one. */
  private async storedView(sagaId: string, clientId: string): Promise<SagaView | null> {
    if (!this.store) return null;
    // Just after a command the worker may not have published what it changed: its answer is asked.
    const commandAt = this.commanded.get(sagaId);
    if (commandAt !== undefined) {
      if (Date.now() - commandAt < COMMAND_SETTLE_MS) return null;
      this.commanded.delete(sagaId);
    }
    // A slow Redis (its client gives up after 500 ms) is not waited for past the budget: the worker is asked.
    const view = await Promise.race([this.store.get(sagaId).catch(() => null), this.budget()]);
    if (view) this.views.remember(clientId, view);
    return view;
  }

  private liveQuery(sagaId: string, clientId: string): Promise<SagaView> {
    const query = this.queries.run(sagaId, () =>
      unavailableAs503(() => this.client.workflow.getHandle(sagaId).query<SagaView>(Messages.sagaStateQuery), QUERY_TIMEOUT_MS),
    );
    query.then((view) => this.views.remember(clientId, view)).catch(() => undefined);
    return query;
  }

  /** How long a read waits for a busy worker: the API's budget, or what the caller (an operator) will wait. */
  private budget(waitMs?: number): Promise<null> {
    return new Promise<null>((resolve) => setTimeout(resolve, waitMs ?? this.limits.liveQueryBudgetMs, null).unref());
  }

  private async viewOf(description: WorkflowExecutionDescription, waitMs?: number): Promise<SagaView> {
    const clientId = description.typedSearchAttributes.get(keys.client) ?? '';
    if (description.status.name === 'RUNNING') return this.liveView(description, clientId, waitMs);
    const view = await this.endedView(description);
    this.views.remember(clientId, view);
    return view;
  }

  /** A running saga just described: as ownedView, with Temporal's own record when nothing else is known. */
  private async liveView(description: WorkflowExecutionDescription, clientId: string, waitMs?: number): Promise<SagaView> {
    const answered = await this.currentView(description.workflowId, clientId, waitMs);
    if (answered && answered !== 'gone') return answered;
    return this.lastSeen(description.workflowId) ?? visibilityView(description, 'the worker is busy; status from Temporal visibility, steps on the next read');
  }

  /** The last view seen of a running saga, said to be that, when neither the store nor its worker answered in time. */
  private lastSeen(sagaId: string): SagaView | null {
    const known = this.views.lastKnown(sagaId);
    return known ? { ...known.view, details: { ...known.view.details, note: `the worker is busy; the view as of ${known.view.updatedAt}, refreshed on a later read` } } : null;
  }

  private async endedView(description: WorkflowExecutionDescription): Promise<SagaView> {
    const handle = this.client.workflow.getHandle(description.workflowId);
    try {
      const view = (await unavailableAs503(() => handle.result())) as SagaView;
      if (view && TERMINAL_STATUSES.has(view.status)) return view;
    } catch (err) {
      if (!(err instanceof WorkflowFailedError)) throw err;
      return { ...visibilityView(description, null), status: 'FAILED', error: { type: 'WorkflowFailed', message: describeEnd(description, err), step: null } };
    }
    return { ...visibilityView(description, null), status: 'FAILED' };
  }
}

/** Per-saga times kept in memory: an API that runs for a month starts more sagas than it should remember. */
const MAX_TIMES = 100_000;

function noteTime(times: Map<string, number>, sagaId: string, at: number): void {
  times.delete(sagaId);
  times.set(sagaId, at);
  if (times.size > MAX_TIMES) times.delete(times.keys().next().value!);
}

function businessAttributes(values: Partial<Record<BusinessKey, string>>) {
  return BusinessKeys.flatMap((key) => {
    const value = values[key];
    return value === undefined ? [] : [{ key: keys[key], value }];
  });
}
