import { defaultPayloadConverter, defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { workflowInfo, type ActivityInput, type LocalActivityInput, type WorkflowInterceptorsFactory, type WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';
import { CLIENT_HEADER } from '../domain/federation';
import { SearchAttribute } from '../domain/saga';

const clientKey = defineSearchAttributeKey(SearchAttribute.client, SearchAttributeType.KEYWORD);

/**
 * Every activity call carries the client the saga was started for, read from the saga's own search
 * attribute, so the worker can name that client in the federation tokens it mints. Headers are not part
 * of replay's command matching: histories recorded before this header still replay.
 */
function withClient<T extends ActivityInput | LocalActivityInput>(input: T): T {
  const client = workflowInfo().typedSearchAttributes.get(clientKey);
  if (!client) return input;
  return { ...input, headers: { ...input.headers, [CLIENT_HEADER]: defaultPayloadConverter.toPayload(client) } };
}

const outbound: WorkflowOutboundCallsInterceptor = {
  scheduleActivity: (input, next) => next(withClient(input)),
  scheduleLocalActivity: (input, next) => next(withClient(input)),
};

export const interceptors: WorkflowInterceptorsFactory = () => ({ outbound: [outbound] });
