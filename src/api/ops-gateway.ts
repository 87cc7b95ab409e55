import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { OperatorActionKind } from '../domain/operator';
import { BusinessKeys, SearchAttribute, type BusinessKey, type SagaView, type StepView } from '../domain/saga';
import { OPERATOR_READ_WAIT_MS, type CommandOutcome, type SagaGateway } from './saga-gateway';
import { unavailableAs503 } from './temporal-unavailable';
import { keys, keyword, timestamp } from './visibility';

/** The operator's action, as CONTRACTS.md item 1 names it (`src/domain/operator.ts` on the engine side). */
export interface OperatorAction {
  action: OperatorActionKind;
  step: string;
  operator: string;
  reason: string;
}

/** The update's name, shared with the workflow side (`Messages.operatorActionUpdate`). */
export const OPERATOR_ACTION_UPDATE = 'operatorAction';

export interface AttentionFilter {
  stuck: boolean;
  type?: string;
  keys: Partial<Record<BusinessKey, string>>;
  pageSize: number;
}

/** A saga an operator may have to act on: where it stands and what went wrong last. */
export interface AttentionItem {
  id: string;
  type: string;
  status: string;
  client: string;
  keys: Partial<Record<BusinessKey, string>>;
  step: string | null;
  stepStatus: string | null;
  lastError: string | null;
  attempts: number | null;
  createdAt: string;
  updatedAt: string | null;
  /**
   * The saga's workflow task failing over and over (a determinism error after a deploy, a bug in the
   * workflow code): the saga cannot go on by itself, whatever its steps show, and no step action moves it;
   * docs/operating.md says what to do. Null when its task is not failing, or not asked about: only a
   * `stuck=true` listing asks the server (a call for each running saga it reads).
   */
  workflowTask: WorkflowTaskTrouble | null;
}

export interface WorkflowTaskTrouble {
  /** The attempt the server is at with the saga's pending workflow task. */
  attempts: number;
  /** Why the last one failed, as the worker reported it (or that it timed out). */
  error: string;
}

/** How many of a saga's last history events are read to find why its workflow task failed. */
const TAIL_EVENTS = 20;

const VIEW_READS_AT_ONCE = 8;

/**
 * What operators ask of Temporal: act on any client's saga (through the `operatorAction` update, so every
 * action is in the history) and find every stuck or failed saga. Views are read through the client
 * gateway, with the owner taken from the saga's own search attribute.
 */
export class OpsGateway {
  constructor(
    private readonly client: Client,
    private readonly sagas: SagaGateway,
    /** A workflow task past this many attempts makes its saga need an operator (SAGAWAY_STUCK_AFTER_ATTEMPTS). */
    private readonly stuckAfterAttempts = 5,
  ) {}

  async act(sagaId: string, action: OperatorAction): Promise<CommandOutcome> {
    const owner = await this.ownerOf(sagaId);
    if (owner === null) return { kind: 'not-found' };
    return this.sagas.update(sagaId, owner, OPERATOR_ACTION_UPDATE, action);
  }

  async view(sagaId: string): Promise<SagaView | null> {
    const owner = await this.ownerOf(sagaId);
    return owner === null ? null : this.sagas.view(sagaId, owner, OPERATOR_READ_WAIT_MS);
  }

  /**
   * Sagas of every client that match the filter, newest first. With `stuck`, only those that need an
   * operator: a STUCK undo or a STUCK step after the pivot (waiting for a decision), a workflow task that
   * keeps failing, or ended FAILED.
   * It reads the views of the newest `pageSize` sagas that are running, compensating or failed, so a
   * business-key filter is how to find an older one among many running sagas.
   */
  async attention(filter: AttentionFilter): Promise<AttentionItem[]> {
    const res = await unavailableAs503(() =>
      this.client.workflowService.listWorkflowExecutions({
        namespace: this.client.options.namespace,
        pageSize: filter.pageSize,
        query: visibilityQuery(filter),
      }),
    );
    const found = (res.executions ?? []).slice(0, filter.pageSize);
    const items: AttentionItem[] = [];
    for (let i = 0; i < found.length; i += VIEW_READS_AT_ONCE) {
      const batch = await Promise.all(found.slice(i, i + VIEW_READS_AT_ONCE).map((execution) => this.itemOf(execution, filter.stuck)));
      items.push(...batch.filter((item): item is AttentionItem => item !== null && (!filter.stuck || needsOperator(item))));
    }
    return items;
  }

  /** Sagas with a STUCK undo right now (for the stuck gauge); counts the first 100 compensating ones. */
  async countStuck(): Promise<number> {
    const items = await this.attention({ stuck: true, keys: {}, pageSize: 100 });
    return items.filter((item) => item.stepStatus === 'STUCK' || item.workflowTask !== null).length;
  }

  /** `askServer`: whether to ask the server about a running saga's workflow task (one call each; stuck=true only). */
  private async itemOf(execution: ListedExecution, askServer: boolean): Promise<AttentionItem | null> {
    const fields = execution.searchAttributes?.indexedFields ?? {};
    const id = execution.execution?.workflowId ?? '';
    const client = keyword(fields[SearchAttribute.client]);
    if (!client) return null;
    const running = execution.status === temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
    if (running) this.sagas.listedRunning(id, client);
    // Not the last view seen of a busy worker: a step that went STUCK since must show in the list.
    const workflowTask = running && askServer ? await this.workflowTaskTrouble(execution) : null;
    // A saga whose task fails answers no query: its last published view, without waiting for one.
    const view = await this.sagas.view(id, client, workflowTask ? 0 : OPERATOR_READ_WAIT_MS);
    if (!view) return null;
    const step = attentionStep(view.steps);
    const businessKeys: AttentionItem['keys'] = {};
    for (const key of BusinessKeys) {
      const value = keyword(fields[SearchAttribute[key]]);
      if (value) businessKeys[key] = value;
    }
    return {
      id,
      type: view.type,
      status: view.status,
      client,
      keys: businessKeys,
      step: step?.name ?? view.error?.step ?? null,
      stepStatus: step?.status ?? null,
      lastError: step?.compensation?.lastError ?? step?.error ?? view.error?.message ?? null,
      attempts: step ? (step.compensation?.attempts ?? step.attempts) : null,
      createdAt: timestamp(execution.startTime) ?? view.createdAt,
      updatedAt: view.updatedAt,
      workflowTask,
    };
  }

  /**
   * A running saga's workflow task past the attempts bound, and why its last attempt failed (the history's
   * last WorkflowTaskFailed or timed-out task). A saga that answers no query shows only its last published
   * view, so this asks the server, which knows. Null when the task is not failing or cannot be read.
   */
  private async workflowTaskTrouble(execution: ListedExecution): Promise<WorkflowTaskTrouble | null> {
    const { namespace } = this.client.options;
    const at = { workflowId: execution.execution?.workflowId ?? '', runId: execution.execution?.runId ?? '' };
    let attempts: number;
    try {
      const described = await this.client.workflowService.describeWorkflowExecution({ namespace, execution: at });
      attempts = described.pendingWorkflowTask?.attempt ?? 0;
    } catch {
      // The listing still answers; this saga's task is judged on the next read.
      return null;
    }
    if (attempts <= this.stuckAfterAttempts) return null;
    try {
      const tail = await this.client.workflowService.getWorkflowExecutionHistoryReverse({ namespace, execution: at, maximumPageSize: TAIL_EVENTS });
      return { attempts, error: capped(lastTaskFailure(tail.history?.events ?? [])) };
    } catch (err) {
      // Known to be failing: listed all the same.
      return { attempts, error: capped(`its cause could not be read: ${(err as Error).message}`) };
    }
  }

  /** A saga's owner: known to the gateway once any read or listing saw it (it never changes), else described. */
  private async ownerOf(sagaId: string): Promise<string | null> {
    const known = this.sagas.knownOwner(sagaId);
    if (known !== undefined) return known;
    let description: WorkflowExecutionDescription;
    try {
      description = await unavailableAs503(() => this.client.workflow.getHandle(sagaId).describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
    return description.typedSearchAttributes.get(keys.client) ?? null;
  }
}

type ListedExecution = NonNullable<Awaited<ReturnType<Client['workflowService']['listWorkflowExecutions']>>['executions']>[number];

function visibilityQuery(filter: AttentionFilter): string {
  const clauses: string[] = [];
  // A step after the pivot that waits for an operator leaves its saga RUNNING: those are read too.
  if (filter.stuck) clauses.push(`${SearchAttribute.status} IN ("RUNNING", "COMPENSATING", "FAILED")`);
  if (filter.type) clauses.push(`${SearchAttribute.type} = "${filter.type}"`);
  for (const key of BusinessKeys) {
    const value = filter.keys[key];
    if (value !== undefined) clauses.push(`${SearchAttribute[key]} = "${value}"`);
  }
  return clauses.length > 0 ? clauses.join(' AND ') : `${SearchAttribute.type} IS NOT NULL`;
}

/** The step an operator should look at: a STUCK undo first, then a FAILED step. */
function attentionStep(steps: StepView[]): StepView | undefined {
  return steps.find((s) => s.status === 'STUCK') ?? [...steps].reverse().find((s) => s.status === 'FAILED');
}

function needsOperator(item: AttentionItem): boolean {
  return item.stepStatus === 'STUCK' || item.status === 'FAILED' || item.workflowTask !== null;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** A determinism error can run to kilobytes, on each of a hundred items: its start names it. */
const ERROR_CHARS = 1_000;
const capped = (text: string) => (text.length > ERROR_CHARS ? `${text.slice(0, ERROR_CHARS)}…` : text);

/** Why the last workflow task failed, from the history's last events, newest first. */
function lastTaskFailure(newestFirst: HistoryEvent[]): string {
  for (const event of newestFirst) {
    const failed = event.workflowTaskFailedEventAttributes;
    if (failed) return failed.failure?.message || `failed (${temporal.api.enums.v1.WorkflowTaskFailedCause[failed.cause ?? 0]})`;
    if (event.workflowTaskTimedOutEventAttributes) return 'the workflow task timed out: no worker completed it in time';
  }
  return 'failing; its cause is further back in the history';
}
