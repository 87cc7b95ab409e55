import {
  Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Messages, type CancelRequest } from '../domain/messages';
import { SearchAttribute, TERMINAL_STATUSES, type SagaType, type SagaView } from '../domain/saga';
import { PageTokens } from './page-token';
import { unavailableAs503 } from './temporal-unavailable';
import { describeEnd, keys, keyword, timestamp, visibilityView } from './visibility';

export interface StartSaga {
  type: SagaType;
  workflow: string;
  input: unknown;
  sagaId: string;
  clientId: string;
  /** Hash of the request; a retry with the same Idempotency-Key and another body is refused. */
  requestHash: string;
  summary: string;
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

const LIVE_QUERY_TIMEOUT_MS = 3_000;

/**
 * Everything the API asks of Temporal, in one place: start a saga, read its view, wait for it, list,
 * cancel and signal. It also enforces that a client only ever sees its own sagas.
 */
export class SagaGateway {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly pageTokens: PageTokens = new PageTokens(),
  ) {}

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
          ],
        }),
      );
      const now = new Date().toISOString();
      const view: SagaView = { id: handle.workflowId, type: req.type, status: 'RUNNING', steps: [], result: null, error: null, createdAt: now, updatedAt: now, details: {} };
      return { kind: 'started', view };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const description = await this.describeOwned(req.sagaId, req.clientId);
      if (!description || description.memo?.requestHash !== req.requestHash) return { kind: 'conflict', sagaId: req.sagaId };
      return { kind: 'existing', view: await this.viewOf(description) };
    }
  }

  /** Whether this saga was started by this client (false for another client's or no saga). */
  async owns(sagaId: string, clientId: string): Promise<boolean> {
    return (await this.describeOwned(sagaId, clientId)) !== null;
  }

  async view(sagaId: string, clientId: string): Promise<SagaView | null> {
    const description = await this.describeOwned(sagaId, clientId);
    return description ? this.viewOf(description) : null;
  }

  /**
   * Waits up to `ms` for a saga the caller already showed to be the client's own to end; answers the
   * final view, or the view as it is when the wait is over.
   */
  async waitForEnd(sagaId: string, clientId: string, ms: number): Promise<SagaView | null> {
    const handle = this.client.workflow.getHandle(sagaId);
    try {
      const view = (await unavailableAs503(() => handle.result(), ms)) as SagaView | null;
      if (view && TERMINAL_STATUSES.has(view.status)) return view;
    } catch {
      // Timed out, or the run ended without a view (terminated, say): the current view tells which.
    }
    return this.view(sagaId, clientId);
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
      const value = await unavailableAs503(() => this.client.workflow.getHandle(sagaId).executeUpdate(name, { args: [arg] }));
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
  async queryEntity<T>(workflowId: string, query: string): Promise<T | null> {
    try {
      return await unavailableAs503(() => this.client.workflow.getHandle(workflowId).query<T>(query));
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
    try {
      const description = await unavailableAs503(() => this.client.workflow.getHandle(sagaId).describe());
      return description.typedSearchAttributes.get(keys.client) === clientId ? description : null;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }

  private async viewOf(description: WorkflowExecutionDescription): Promise<SagaView> {
    const handle = this.client.workflow.getHandle(description.workflowId);
    if (description.status.name === 'RUNNING') {
      try {
        return await unavailableAs503(() => handle.query<SagaView>(Messages.sagaStateQuery), LIVE_QUERY_TIMEOUT_MS);
      } catch {
        return visibilityView(description, 'no worker answered the state query in time; status from Temporal visibility');
      }
    }
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
