import { resolve } from 'node:path';
import { z } from 'zod';

/** The dev default API key: printed by `npm start`, refused in production. */
export const DEV_API_KEYS = 'demo:sagaway-dev-key-change-me';

/** The dev default payload key (32 bytes, public, so only for development): refused in production. */
export const DEV_CODEC_KEYS = `dev-1:${Buffer.from('sagaway-dev-codec-key-not-secret').toString('base64')}`;

const CodecKeysSchema = z.string().transform((raw, ctx) => {
  const keys = raw.split(',').map((p) => p.trim()).filter(Boolean);
  const bad = keys.find((pair) => {
    const at = pair.indexOf(':');
    return at < 1 || Buffer.from(pair.slice(at + 1), 'base64').length !== 32;
  });
  if (keys.length === 0 || bad !== undefined) {
    ctx.addIssue({ code: 'custom', message: 'expected keyId:base64key pairs, each key 32 bytes (openssl rand -base64 32)' });
    return z.NEVER;
  }
  return raw;
});

const port = z.coerce.number().int().min(0).max(65_535);
const url = z.url({ protocol: /^https?$/ });

const ApiKeysSchema = z
  .string()
  .min(1)
  .transform((raw, ctx) => {
    const keys = new Map<string, string>();
    for (const pair of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
      const at = pair.indexOf(':');
      const clientId = pair.slice(0, at);
      const key = pair.slice(at + 1);
      if (at < 1 || key.length < 16 || !/^[A-Za-z0-9_.-]+$/.test(clientId)) {
        ctx.addIssue({ code: 'custom', message: 'expected clientId:key pairs, keys of 16 characters or more' });
        return z.NEVER;
      }
      keys.set(key, clientId);
    }
    return keys;
  });

const EnvSchema = z.object({
  SAGAWAY_ENV: z.enum(['development', 'production']).default('development'),
  SAGAWAY_DATA_DIR: z.string().min(1).default('./.data'),
  SAGAWAY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SAGAWAY_TASK_QUEUE: z.string().min(1).default('sagaway'),
  SAGAWAY_API_HOST: z.string().min(1).default('127.0.0.1'),
  SAGAWAY_API_PORT: port.default(3000),
  SAGAWAY_API_KEYS: z.string().default(DEV_API_KEYS).pipe(ApiKeysSchema),
  SAGAWAY_BACKENDS_HOST: z.string().min(1).default('127.0.0.1'),
  SAGAWAY_BACKENDS_PORT: port.default(4000),
  SAGAWAY_BACKENDS_URL: url.optional(),
  SAGAWAY_PRICING_URL: url.optional(),
  SAGAWAY_INVENTORY_URL: url.optional(),
  SAGAWAY_PAYMENTS_URL: url.optional(),
  SAGAWAY_SHIPPING_URL: url.optional(),
  SAGAWAY_NOTIFICATIONS_URL: url.optional(),
  SAGAWAY_IDCHECK_URL: url.optional(),
  SAGAWAY_STORAGE_URL: url.optional(),
  SAGAWAY_BIKES_URL: url.optional(),
  SAGAWAY_KIOSK_URL: url.optional(),
  SAGAWAY_STUDENTS_URL: url.optional(),
  SAGAWAY_REGISTRAR_URL: url.optional(),
  SAGAWAY_BILLING_URL: url.optional(),
  SAGAWAY_TUITION_MINOR: z.coerce.number().int().min(0).max(100_000_000).default(45_000),
  SAGAWAY_ALLOCATOR_MAX_HISTORY: z.coerce.number().int().min(20).max(50_000).default(5_000),
  SAGAWAY_BIKE_SENSOR_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(3_600).default(120),
  SAGAWAY_VISITOR_MAX_BIKES: z.coerce.number().int().min(1).max(20).default(1),
  SAGAWAY_BIKE_FEE_MINOR: z.coerce.number().int().min(0).max(1_000_000).default(350),
  SAGAWAY_KIOSK_CACHE_SECONDS: z.coerce.number().min(0).max(3_600).default(5),
  SAGAWAY_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  SAGAWAY_ORDER_DEADLINE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  SAGAWAY_LOCAL_STEPS: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  SAGAWAY_STUCK_AFTER_ATTEMPTS: z.coerce.number().int().min(1).max(1_000).default(5),
  SAGAWAY_TEMPORAL_UI_PORT: port.default(8233),
  SAGAWAY_CODEC_KEYS: z.string().default(DEV_CODEC_KEYS).pipe(CodecKeysSchema),
  SAGAWAY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(1_200),
  SAGAWAY_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
  SAGAWAY_MAX_BODY_BYTES: z.coerce.number().int().min(1_024).max(10_485_760).default(65_536),
});

// Several API instances: what they share (see src/api/shared-state.ts). Unset: each keeps its own.
const SharedEnvSchema = z.object({
  SAGAWAY_REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
});

export type Env = z.infer<typeof EnvSchema> & z.infer<typeof SharedEnvSchema>;

export const BACKEND_NAMES = ['pricing', 'inventory', 'payments', 'shipping', 'notifications', 'idcheck', 'storage', 'bikes', 'kiosk', 'students', 'registrar', 'billing'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface Config {
  env: Env['SAGAWAY_ENV'];
  dataDir: string;
  logLevel: Env['SAGAWAY_LOG_LEVEL'];
  taskQueue: string;
  api: { host: string; port: number; keys: Map<string, string> };
  backends: { host: string; port: number; urls: Record<BackendName, string>; timeoutMs: number };
  sagas: { orderDeadlineMs: number; stuckAfterAttempts: number; localSteps: boolean };
  bikes: { sensorTimeoutMs: number; visitorMaxBikes: number; feePerBikeMinor: number; kioskCacheMs: number };
  classes: { tuitionMinor: number; allocatorMaxHistory: number };
  temporalUiPort: number;
  codecKeys: string;
  protection: { rateLimitPerMinute: number; maxEventLoopDelayMs: number; maxBodyBytes: number };
  shared: { redisUrl: string | null };
}

export class ConfigError extends Error {}

/** Parses the environment once; a bad value throws a ConfigError that names the variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.and(SharedEnvSchema).safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  if (env.SAGAWAY_ENV === 'production' && source.SAGAWAY_API_KEYS === undefined) {
    throw new ConfigError('invalid configuration:\n  SAGAWAY_API_KEYS: must be set in production (the dev default is refused)');
  }
  if (env.SAGAWAY_ENV === 'production' && source.SAGAWAY_API_KEYS?.includes(DEV_API_KEYS)) {
    throw new ConfigError('invalid configuration:\n  SAGAWAY_API_KEYS: the dev default key is refused in production');
  }
  if (env.SAGAWAY_ENV === 'production' && env.SAGAWAY_CODEC_KEYS.includes(DEV_CODEC_KEYS.split(':')[1]!)) {
    throw new ConfigError('invalid configuration:\n  SAGAWAY_CODEC_KEYS: the dev default key is refused in production');
  }
  const base = env.SAGAWAY_BACKENDS_URL ?? `http://${env.SAGAWAY_BACKENDS_HOST}:${env.SAGAWAY_BACKENDS_PORT}`;
  const urlOf = (name: BackendName, own: string | undefined) => (own ?? `${base.replace(/\/$/, '')}/${name}`);
  return {
    env: env.SAGAWAY_ENV,
    dataDir: resolve(env.SAGAWAY_DATA_DIR),
    logLevel: env.SAGAWAY_LOG_LEVEL,
    taskQueue: env.SAGAWAY_TASK_QUEUE,
    api: { host: env.SAGAWAY_API_HOST, port: env.SAGAWAY_API_PORT, keys: env.SAGAWAY_API_KEYS },
    backends: {
      host: env.SAGAWAY_BACKENDS_HOST,
      port: env.SAGAWAY_BACKENDS_PORT,
      timeoutMs: env.SAGAWAY_HTTP_TIMEOUT_MS,
      urls: {
        pricing: urlOf('pricing', env.SAGAWAY_PRICING_URL),
        inventory: urlOf('inventory', env.SAGAWAY_INVENTORY_URL),
        payments: urlOf('payments', env.SAGAWAY_PAYMENTS_URL),
        shipping: urlOf('shipping', env.SAGAWAY_SHIPPING_URL),
        notifications: urlOf('notifications', env.SAGAWAY_NOTIFICATIONS_URL),
        idcheck: urlOf('idcheck', env.SAGAWAY_IDCHECK_URL),
        storage: urlOf('storage', env.SAGAWAY_STORAGE_URL),
        bikes: urlOf('bikes', env.SAGAWAY_BIKES_URL),
        kiosk: urlOf('kiosk', env.SAGAWAY_KIOSK_URL),
        students: urlOf('students', env.SAGAWAY_STUDENTS_URL),
        registrar: urlOf('registrar', env.SAGAWAY_REGISTRAR_URL),
        billing: urlOf('billing', env.SAGAWAY_BILLING_URL),
      },
    },
    sagas: {
      orderDeadlineMs: env.SAGAWAY_ORDER_DEADLINE_SECONDS * 1_000,
      stuckAfterAttempts: env.SAGAWAY_STUCK_AFTER_ATTEMPTS,
      localSteps: env.SAGAWAY_LOCAL_STEPS,
    },
    bikes: {
      sensorTimeoutMs: Math.round(env.SAGAWAY_BIKE_SENSOR_TIMEOUT_SECONDS * 1_000),
      visitorMaxBikes: env.SAGAWAY_VISITOR_MAX_BIKES,
      feePerBikeMinor: env.SAGAWAY_BIKE_FEE_MINOR,
      kioskCacheMs: Math.round(env.SAGAWAY_KIOSK_CACHE_SECONDS * 1_000),
    },
    classes: { tuitionMinor: env.SAGAWAY_TUITION_MINOR, allocatorMaxHistory: env.SAGAWAY_ALLOCATOR_MAX_HISTORY },
    temporalUiPort: env.SAGAWAY_TEMPORAL_UI_PORT,
    codecKeys: env.SAGAWAY_CODEC_KEYS,
    protection: {
      rateLimitPerMinute: env.SAGAWAY_RATE_LIMIT_PER_MINUTE,
      maxEventLoopDelayMs: env.SAGAWAY_MAX_EVENT_LOOP_DELAY_MS,
      maxBodyBytes: env.SAGAWAY_MAX_BODY_BYTES,
    },
    shared: { redisUrl: env.SAGAWAY_REDIS_URL ?? null },
  };
}

/** For process entry points: a bad config prints what is wrong and exits 2. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`sagaway: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
