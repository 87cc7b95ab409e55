import { z } from 'zod';

/**
 * Observability settings, apart from src/config.ts so they can be read where they are needed (the
 * runtime is installed before the rest of the config is). Every one is optional: unset means off.
 */
const ObservabilityEnvSchema = z
  .object({
    /** host:port where the worker's runtime serves Prometheus metrics (`/metrics`), e.g. 127.0.0.1:9464. */
    SAGAWAY_WORKER_METRICS_ADDRESS: z.string().regex(/^[\w.-]+:\d{1,5}$/, 'host:port').optional(),
    SAGAWAY_ALERT_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
    SAGAWAY_ALERT_WEBHOOK_SECRET: z.string().min(16, 'at least 16 characters').optional(),
    /** OTLP/HTTP endpoint for traces (`.../v1/traces` is added); tracing is off when unset. */
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
    /** Server-Sent Events: how often a watched saga is read, the heartbeat, how long a feed outlives its last stream. */
    SAGAWAY_EVENTS_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(500),
    SAGAWAY_EVENTS_HEARTBEAT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
    SAGAWAY_EVENTS_LINGER_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
    SAGAWAY_EVENTS_MAX_PER_CLIENT: z.coerce.number().int().min(1).max(100_000).default(100),
  })
  .refine((env) => !env.SAGAWAY_ALERT_WEBHOOK_URL || env.SAGAWAY_ALERT_WEBHOOK_SECRET, {
    message: 'SAGAWAY_ALERT_WEBHOOK_URL needs SAGAWAY_ALERT_WEBHOOK_SECRET to sign with',
  });

export interface ObservabilitySettings {
  workerMetricsAddress: string | null;
  alertWebhook: { url: string; secret: string } | null;
  otlpEndpoint: string | null;
  events: { pollMs: number; heartbeatMs: number; lingerMs: number; maxPerClient: number };
}

export function observabilitySettings(env: NodeJS.ProcessEnv = process.env): ObservabilitySettings {
  const parsed = ObservabilityEnvSchema.parse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  return {
    workerMetricsAddress: parsed.SAGAWAY_WORKER_METRICS_ADDRESS ?? null,
    alertWebhook: parsed.SAGAWAY_ALERT_WEBHOOK_URL ? { url: parsed.SAGAWAY_ALERT_WEBHOOK_URL, secret: parsed.SAGAWAY_ALERT_WEBHOOK_SECRET! } : null,
    otlpEndpoint: parsed.OTEL_EXPORTER_OTLP_ENDPOINT ?? null,
    events: { pollMs: parsed.SAGAWAY_EVENTS_POLL_MS, heartbeatMs: parsed.SAGAWAY_EVENTS_HEARTBEAT_MS, lingerMs: parsed.SAGAWAY_EVENTS_LINGER_MS, maxPerClient: parsed.SAGAWAY_EVENTS_MAX_PER_CLIENT },
  };
}
