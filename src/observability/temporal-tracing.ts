import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, WorkerOptions } from '@temporalio/worker';
import type { Tracing } from './tracing';

/**
 * Temporal's OpenTelemetry interceptors, v1 (the SDK's pinned 1.24.0): they carry the trace in workflow
 * and activity headers and add no commands, so histories recorded without them replay unchanged.
 */
export const WORKFLOW_TRACING_MODULE = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/** Activity interceptors and the workflow span sink that trace a worker; the workflow bundle must include WORKFLOW_TRACING_MODULE. */
export function workerTracing(tracing: Tracing | null): { activity: ActivityInterceptorsFactory[]; sinks?: WorkerOptions['sinks'] } {
  if (!tracing) return { activity: [] };
  return {
    activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
    sinks: { exporter: makeWorkflowExporter(tracing.processor, tracing.resource) },
  };
}

/** Client interceptors that start a workflow as a child of the current span (the HTTP request's). */
export function clientTracing(tracing: Tracing | null): { interceptors?: { workflow: OpenTelemetryWorkflowClientInterceptor[] } } {
  return tracing ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {};
}
