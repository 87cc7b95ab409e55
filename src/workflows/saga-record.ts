import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import * as metrics from './saga-metrics';
import type { OperatorAction } from '../domain/operator';
import { SearchAttribute, type SagaError, type SagaStatus, type SagaType, type SagaView, type StepView } from '../domain/saga';
import { publishView } from './view-sink';

const statusKey = defineSearchAttributeKey(SearchAttribute.status, SearchAttributeType.KEYWORD);

/**
 * The saga's view as it moves: what the state query answers and the finished workflow returns. Every
 * change refreshes the timestamp and the current details the Temporal UI shows; status changes are
 * upserted to the SagaStatus search attribute that the list endpoint and UI filters use.
 */
export class SagaRecord {
  readonly view: SagaView;

  constructor(type: SagaType) {
    const now = new Date().toISOString();
    this.view = { id: workflowInfo().workflowId, type, status: 'RUNNING', steps: [], result: null, error: null, createdAt: now, updatedAt: now, details: {}, audit: [] };
  }

  begin(name: string): StepView {
    const step: StepView = { name, status: 'RUNNING', attempts: 0, startedAt: new Date().toISOString(), finishedAt: null, error: null, compensation: null };
    this.view.steps.push(step);
    this.touch();
    return step;
  }

  end(step: StepView, status: StepView['status'], attempts: number, error: string | null): void {
    Object.assign(step, { status, attempts, error, finishedAt: new Date().toISOString() });
    metrics.stepFinished(this.view.type, step.name, status, Date.now() - Date.parse(step.startedAt));
    this.touch();
  }

  /** The step a failure or a stop is charged to: the last one running or failed. */
  currentStep(): string | null {
    const running = this.view.steps.filter((s) => s.status === 'RUNNING' || s.status === 'FAILED');
    return running.at(-1)?.name ?? null;
  }

  annotate(details: Record<string, unknown>): void {
    Object.assign(this.view.details, details);
    this.touch();
  }

  /** An operator's accepted action, kept in the view for whoever looks at the saga later. */
  audit({ action, step, operator, reason }: OperatorAction): void {
    this.view.audit!.push({ at: new Date().toISOString(), operator, action, step, reason });
    this.touch();
  }

  setStatus(status: SagaStatus): void {
    this.view.status = status;
    upsertSearchAttributes([{ key: statusKey, value: status }]);
    this.touch();
  }

  finish<R>(status: SagaStatus, result: R | null, error: SagaError | null): SagaView<R> {
    this.view.result = result;
    this.view.error = error;
    this.setStatus(status);
    metrics.sagaEnded(this.view.type, status);
    return this.view as SagaView<R>;
  }

  touch(): void {
    this.view.updatedAt = new Date().toISOString();
    setCurrentDetails(currentDetails(this.view));
    publishView(this.view);
  }
}

function currentDetails(view: SagaView): string {
  const lines = [`**${view.status}**`];
  for (const step of view.steps) {
    const comp = step.compensation;
    const extra = comp ? ` (undo attempts ${comp.attempts}${comp.lastError ? `, last error: ${comp.lastError}` : ''})` : '';
    lines.push(`- ${step.name}: ${step.status}${extra}`);
  }
  if (view.error) lines.push(`Reason: ${view.error.type}: ${view.error.message}`);
  for (const entry of view.audit ?? []) lines.push(`Operator ${entry.operator}: ${entry.action} ${entry.step} (${entry.reason})`);
  return lines.join('\n');
}
