import { defaultPayloadConverter, type WorkflowExecutionDescription, type WorkflowFailedError } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { SearchAttribute, type SagaStatus, type SagaType, type SagaView } from '../domain/saga';

export const keys = {
  type: defineSearchAttributeKey(SearchAttribute.type, SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey(SearchAttribute.status, SearchAttributeType.KEYWORD),
  client: defineSearchAttributeKey(SearchAttribute.client, SearchAttributeType.KEYWORD),
  customer: defineSearchAttributeKey(SearchAttribute.customer, SearchAttributeType.KEYWORD),
  kiosk: defineSearchAttributeKey(SearchAttribute.kiosk, SearchAttributeType.KEYWORD),
  student: defineSearchAttributeKey(SearchAttribute.student, SearchAttributeType.KEYWORD),
  section: defineSearchAttributeKey(SearchAttribute.section, SearchAttributeType.KEYWORD),
};

/** What Temporal's own records say of a saga, for when no worker can answer the state query. */
export function visibilityView(description: WorkflowExecutionDescription, note: string | null): SagaView {
  const status = (description.typedSearchAttributes.get(keys.status) ?? 'RUNNING') as SagaStatus;
  const createdAt = description.startTime.toISOString();
  return {
    id: description.workflowId,
    type: (description.typedSearchAttributes.get(keys.type) ?? 'order') as SagaType,
    status,
    steps: [],
    result: null,
    error: null,
    createdAt,
    updatedAt: (description.closeTime ?? description.startTime).toISOString(),
    details: note ? { note } : {},
  };
}

export function describeEnd(description: WorkflowExecutionDescription, err: WorkflowFailedError): string {
  return `the workflow ended ${description.status.name.toLowerCase()}: ${err.cause?.message ?? err.message}`;
}

export function keyword(payload: Parameters<typeof defaultPayloadConverter.fromPayload>[0] | undefined): string | undefined {
  if (!payload) return undefined;
  const value = defaultPayloadConverter.fromPayload<unknown>(payload);
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

export function timestamp(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): string | null {
  if (!ts || ts.seconds === undefined || ts.seconds === null) return null;
  const ms = Number(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
  return new Date(ms).toISOString();
}

