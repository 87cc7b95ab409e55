import { SpanKind, SpanStatusCode, context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * Tracing for one process (API or worker): one trace per saga, from the HTTP request through the
 * workflow start, its workflow tasks and activities (Temporal's OpenTelemetry interceptors, v1, carried
 * in workflow and activity headers) to each backend call (`traceparent`). Off unless an OTLP endpoint
 * is set (or a test hands in an exporter).
 */
export interface Tracing {
  provider: NodeTracerProvider;
  resource: Resource;
  /** What the worker's workflow span sink exports through. */
  processor: SpanProcessor;
  shutdown(): Promise<void>;
}

export function setupTracing(service: string, options: { otlpEndpoint?: string | null; exporter?: SpanExporter }): Tracing | null {
  const exporter = options.exporter ?? (options.otlpEndpoint ? new OTLPTraceExporter({ url: `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces` }) : null);
  if (!exporter) return null;
  const resource = new Resource({ 'service.name': service });
  // A test's in-memory exporter wants every span at once; OTLP gets batches.
  const processor = options.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter);
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  return { provider, resource, processor, shutdown: () => provider.shutdown() };
}

let tracer: Tracer | null = null;

/**
 * An outgoing backend call as a client span, with `traceparent` (and `tracestate`) in its headers so
 * the backend logs the same trace id. Without a registered provider this is a no-op span and no header.
 */
export async function traceCall<T>(backend: string, method: string, path: string, call: (headers: Record<string, string>) => Promise<T>): Promise<T> {
  tracer ??= trace.getTracer('sagaway');
  return tracer.startActiveSpan(`${backend} ${method} ${path.split('?')[0]}`, { kind: SpanKind.CLIENT, attributes: { 'http.request.method': method, 'server.address': backend } }, async (span) => {
    const headers: Record<string, string> = {};
    propagation.inject(context.active(), headers);
    try {
      return await call(headers);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}
