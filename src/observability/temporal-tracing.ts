import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import type { Tracing } from './tracing';

/**
 * Temporal's OpenTelemetry interceptors, v1 (the SDK's pinned 1.24.0): they carry the trace in workflow
 * and activity headers and add no commands, so histories recorded without them replay unchanged.
 */
export const WORKFLOW_TRACING_MODULE = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/** Worker options that trace workflow tasks and activities; the workflow bundle must include WORKFLOW_TRACING_MODULE. */
export function workerTracing(tracing: Tracing | null): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  if (!tracing) return {};
  return {
    interceptors: {
      activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.processor, tracing.resource) },
  };
}

/** Client interceptors that start a workflow as a child of the current span (the HTTP request's). */
export function clientTracing(tracing: Tracing | null): { interceptors?: { workflow: OpenTelemetryWorkflowClientInterceptor[] } } {
  return tracing ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {};
}
