import { resolve } from 'node:path';
import { z } from 'zod';

/** The dev default API key: printed by `npm start`, refused in production. */
export const DEV_API_KEYS = 'demo:sagaway-dev-key-change-me';

/** The dev default operator key: printed by `npm start`, refused in production. */
export const DEV_OPERATOR_KEYS = 'ops:sagaway-dev-operator-key-change-me';

/** The dev default payload key (32 bytes, public, so only for development): refused in production. */
export const DEV_CODEC_KEYS = `dev-1:${Buffer.from('sagaway-dev-codec-key-not-secret').toString('base64')}`;

/** The dev default federation signing key (an Ed25519 seed, public, so only for development). */
export const DEV_FEDERATION_KEYS = `dev-fed-1:${Buffer.from('sagaway-dev-federation-seed-open').toString('base64')}`;

/** Secrets of the development defaults, refused in production by value, whatever id or client names them. */
const DEV_SECRETS: Array<{ variable: string; secrets: string[] }> = [
  { variable: 'SAGAWAY_API_KEYS', secrets: [DEV_API_KEYS, DEV_OPERATOR_KEYS].map(secretOf) },
  { variable: 'SAGAWAY_OPERATOR_KEYS', secrets: [DEV_API_KEYS, DEV_OPERATOR_KEYS].map(secretOf) },
  { variable: 'SAGAWAY_CODEC_KEYS', secrets: [secretOf(DEV_CODEC_KEYS)] },
  { variable: 'SAGAWAY_FEDERATION_KEYS', secrets: [secretOf(DEV_FEDERATION_KEYS)] },
  { variable: 'SAGAWAY_PAGE_TOKEN_SECRET', secrets: ['sagaway-dev-page-token-secret-change-me'] },
  { variable: 'SAGAWAY_PAYMENTS_CLIENT_SECRET', secrets: ['sagaway-dev-payments-secret-change-me'] },
];

function secretOf(pair: string): string {
  return pair.slice(pair.indexOf(':') + 1);
}

const KeyPairsSchema = z.string().transform((raw, ctx) => {
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

const flag = (fallback: 'true' | 'false') => z.enum(['true', 'false']).default(fallback).transform((v) => v === 'true');

/** For tests and local runs: a workflow bundle built beforehand, and how fast a failed undo is tried again. */
const DevEnvSchema = z.object({
  /** auto: pretty-printed on a terminal, JSON lines otherwise (src/logger.ts reads it). */
  SAGAWAY_LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  /** A workflow bundle built beforehand (tests and local runs): the worker loads it instead of bundling at start. */
  SAGAWAY_WORKFLOW_BUNDLE: z.string().min(1).optional(),
  /** How fast a failed undo is tried again, as `initial,max` in milliseconds (tests and local runs). */
  SAGAWAY_COMPENSATION_BACKOFF_MS: z
    .string()
    .regex(/^\d+,\d+$/, 'expected initial,max in milliseconds, such as 1000,60000')
    .transform((raw) => raw.split(',').map(Number) as [number, number])
    .optional(),
  /**
   * How soon a failed forward step is first retried (the retry policies' 200 ms when unset). Development
   * only, and at most the forward steps' 5 s maximum interval (Temporal refuses a policy whose first
   * interval is longer, and every saga would fail its workflow task).
   */
  SAGAWAY_STEP_RETRY_INITIAL_MS: z.coerce.number().int().min(1).max(5_000).optional(),
});

const EnvSchema = z.object({
  /** `development` accepts the public development keys (`npm start` and the tests set it); anything started without it is production. */
  SAGAWAY_ENV: z.enum(['development', 'production']).default('production'),
  /** Where everything that persists lives: Temporal's database, the backends' journal, the parts' logs. */
  SAGAWAY_DATA_DIR: z.string().min(1).default('./.data'),
  /** The pino log level. */
  SAGAWAY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The worker's Temporal task queue. */
  SAGAWAY_TASK_QUEUE: z.string().min(1).default('sagaway'),
  /**
   * Sagas the worker keeps in memory between their tasks (about 0.4 MB each, docs/operating.md); one past it is
   * replayed from its history on its next task. Unset: the SDK's default, which grows with the heap
   * (about 2,300 with Node's default heap on 24 GiB).
   */
  SAGAWAY_WORKER_CACHED_WORKFLOWS: z.coerce.number().int().min(2).max(100_000).optional(),
  /** The address the API listens on. */
  SAGAWAY_API_HOST: z.string().min(1).default('127.0.0.1'),
  /** The port the API listens on. */
  SAGAWAY_API_PORT: port.default(3000),
  /** Client API keys as `clientId:key,...` (keys of 16 characters or more); a client starts and sees only its own sagas. */
  SAGAWAY_API_KEYS: z.string().default(DEV_API_KEYS).pipe(ApiKeysSchema),
  /** The address the simulated backends listen on. */
  SAGAWAY_BACKENDS_HOST: z.string().min(1).default('127.0.0.1'),
  /** The port the simulated backends listen on. */
  SAGAWAY_BACKENDS_PORT: port.default(4000),
  /** The base URL of every backend (default: from the backends host and port); each is at `<base>/<service>`. */
  SAGAWAY_BACKENDS_URL: url.optional(),
  /** The pricing service, when it lives elsewhere than under the backends URL. */
  SAGAWAY_PRICING_URL: url.optional(),
  /** The inventory service, when it lives elsewhere. */
  SAGAWAY_INVENTORY_URL: url.optional(),
  /** The payments service, when it lives elsewhere. */
  SAGAWAY_PAYMENTS_URL: url.optional(),
  /** The shipping service, when it lives elsewhere. */
  SAGAWAY_SHIPPING_URL: url.optional(),
  /** The notifications service, when it lives elsewhere. */
  SAGAWAY_NOTIFICATIONS_URL: url.optional(),
  /** The ID check service, when it lives elsewhere. */
  SAGAWAY_IDCHECK_URL: url.optional(),
  /** The bike storage service, when it lives elsewhere. */
  SAGAWAY_STORAGE_URL: url.optional(),
  /** The bikes service, when it lives elsewhere. */
  SAGAWAY_BIKES_URL: url.optional(),
  /** The kiosk service, when it lives elsewhere. */
  SAGAWAY_KIOSK_URL: url.optional(),
  /** The students service, when it lives elsewhere. */
  SAGAWAY_STUDENTS_URL: url.optional(),
  /** The registrar service, when it lives elsewhere. */
  SAGAWAY_REGISTRAR_URL: url.optional(),
  /** The billing service, when it lives elsewhere. */
  SAGAWAY_BILLING_URL: url.optional(),
  // travel suppliers
  /** The flights supplier, when it lives elsewhere. */
  SAGAWAY_FLIGHTS_URL: url.optional(),
  /** The hotels supplier, when it lives elsewhere. */
  SAGAWAY_HOTELS_URL: url.optional(),
  /** The car rental supplier, when it lives elsewhere. */
  SAGAWAY_CARS_URL: url.optional(),
  /** The currency exchange service, when it lives elsewhere. */
  SAGAWAY_FX_URL: url.optional(),
  /** The sanctions screening service of the cross-border transfer, when it lives elsewhere. */
  SAGAWAY_COMPLIANCE_URL: url.optional(),
  /** The core banking system (SOAP 1.1) holding and posting a transfer's funds, when it lives elsewhere. */
  SAGAWAY_CORE_BANKING_URL: url.optional(),
  /** The payment network a transfer is submitted to (pacs.008, pacs.028), when it lives elsewhere. */
  SAGAWAY_NETWORK_URL: url.optional(),
  /** The tuition a class registration charges, in euro cents. */
  SAGAWAY_TUITION_MINOR: z.coerce.number().int().min(0).max(100_000_000).default(45_000),
  /** History events of a section's seat allocator before it continues as new. */
  SAGAWAY_ALLOCATOR_MAX_HISTORY: z.coerce.number().int().min(20).max(50_000).default(5_000),
  /** How long a checked-out bike may take to reach its bay before the saga undoes it. */
  SAGAWAY_BIKE_SENSOR_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(3_600).default(120),
  /** Bikes a visitor may take at once. */
  SAGAWAY_VISITOR_MAX_BIKES: z.coerce.number().int().min(1).max(20).default(1),
  /** A visitor's fee per bike, in euro cents. */
  SAGAWAY_BIKE_FEE_MINOR: z.coerce.number().int().min(0).max(1_000_000).default(350),
  /** How long the API trusts a kiosk's stock before it asks storage again. */
  SAGAWAY_KIOSK_CACHE_SECONDS: z.coerce.number().min(0).max(3_600).default(5),
  /** The time limit of one backend call. */
  SAGAWAY_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  /** The order saga's deadline: an order that has not reached its pivot by then is compensated. */
  SAGAWAY_ORDER_DEADLINE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  /** Short idempotent order steps run as local activities; `false` shows each as an activity in the Temporal UI. */
  SAGAWAY_LOCAL_STEPS: flag('true'),
  /** The order's stock, payment and shipment holds as local activities, for measurement (`npm run bench -- --order-modes`). */
  SAGAWAY_LOCAL_HOLDS: flag('false'),
  /** The order's capture and every hold but the last as local activities, for measurement. */
  SAGAWAY_LOCAL_PIVOT: flag('false'),
  /** Failed attempts after which a step or an undo is shown as stuck and listed for an operator (an audit write: SAGAWAY_AUDIT_STUCK_AFTER_SECONDS). */
  SAGAWAY_STUCK_AFTER_ATTEMPTS: z.coerce.number().int().min(1).max(1_000).default(5),
  /** How long an audit write fails (retried meanwhile) before it is shown as stuck and alerted; attempts do not count for it. */
  SAGAWAY_AUDIT_STUCK_AFTER_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  /** The port of the Temporal UI that `npm start` embeds. */
  SAGAWAY_TEMPORAL_UI_PORT: port.default(8233),
  /** Payload encryption keys as `keyId:base64key,...` (32 bytes each, `openssl rand -base64 32`): the first encrypts, all decrypt. */
  SAGAWAY_CODEC_KEYS: z.string().default(DEV_CODEC_KEYS).pipe(KeyPairsSchema),
  /** Requests per minute for each client, each operator, or each address without a valid key. */
  SAGAWAY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(1_200),
  /** Past this event loop delay the API sheds load with a 503 and `Retry-After`. */
  SAGAWAY_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
  /** Request bodies larger than this are a 413 problem. */
  SAGAWAY_MAX_BODY_BYTES: z.coerce.number().int().min(1_024).max(10_485_760).default(65_536),
  // Trust: who holds which key (README, "Security").
  /** Operator keys as `name:key,...`, for the codec endpoint, operator actions and the console at `/ops`; production without it has no operator. */
  SAGAWAY_OPERATOR_KEYS: z.string().default(DEV_OPERATOR_KEYS).pipe(ApiKeysSchema),
  /** Seals list page tokens (32 characters or more); the same on every API instance. */
  SAGAWAY_PAGE_TOKEN_SECRET: z.string().min(32).default('sagaway-dev-page-token-secret-change-me'),
  /** Decode payloads written before encryption as they are; unset, `true` in development and `false` in production. */
  SAGAWAY_CODEC_ACCEPT_PLAINTEXT: z.enum(['true', 'false']).optional(),
  /** The simulated backends' `/_admin` routes (faults, state, fixtures). */
  SAGAWAY_BACKENDS_ADMIN: flag('false'),
  /** Federation signing keys as `kid:base64 Ed25519 seed,...`: the first signs, all are published in the JWKS. */
  SAGAWAY_FEDERATION_KEYS: z.string().default(DEV_FEDERATION_KEYS).pipe(KeyPairsSchema),
  /** Where the backends read sagaway's JWKS (default: the file the worker writes in the data folder). */
  SAGAWAY_FEDERATION_JWKS_URL: url.optional(),
  /** The OAuth client id the worker uses with payments. */
  SAGAWAY_PAYMENTS_CLIENT_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).default('sagaway-worker'),
  /** The OAuth client secret the worker uses with payments. */
  SAGAWAY_PAYMENTS_CLIENT_SECRET: z.string().min(16).default('sagaway-dev-payments-secret-change-me'),
  /** How long the simulated payments token endpoint makes its tokens last. */
  SAGAWAY_PAYMENTS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
}).extend(DevEnvSchema.shape);

// Several API instances: what they share (see src/api/shared-state.ts). Unset: each keeps its own.
const SharedEnvSchema = z.object({
  /** `redis://host:port`: rate limits and kiosk stock shared by every API instance, and the saga views workers publish. */
  SAGAWAY_REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
});

/** Variables production must set itself: their development defaults are public. */
const REQUIRED_IN_PRODUCTION = ['SAGAWAY_API_KEYS', 'SAGAWAY_CODEC_KEYS', 'SAGAWAY_PAGE_TOKEN_SECRET', 'SAGAWAY_FEDERATION_KEYS', 'SAGAWAY_PAYMENTS_CLIENT_SECRET'];

export type Env = z.infer<typeof EnvSchema> & z.infer<typeof SharedEnvSchema>;

export const BACKEND_NAMES = ['pricing', 'inventory', 'payments', 'shipping', 'notifications', 'idcheck', 'storage', 'bikes', 'kiosk', 'students', 'registrar', 'billing', 'flights', 'hotels', 'cars', 'fx', 'compliance', 'corebanking', 'network'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface Config {
  env: Env['SAGAWAY_ENV'];
  dataDir: string;
  logLevel: Env['SAGAWAY_LOG_LEVEL'];
  taskQueue: string;
  /** Sagas the worker keeps in memory between their tasks (undefined: the SDK's default). */
  cachedWorkflows: number | undefined;
  /** keys: API key -> client id; operatorKeys: operator key -> operator name. */
  api: { host: string; port: number; keys: Map<string, string>; operatorKeys: Map<string, string> };
  backends: { host: string; port: number; urls: Record<BackendName, string>; timeoutMs: number };
  sagas: { orderDeadlineMs: number; stuckAfterAttempts: number; auditStuckAfterMs: number; localSteps: boolean; localHolds: boolean; localPivot: boolean; compensationBackoffMs: { initial: number; max: number } | null; stepRetryInitialMs: number | null };
  bikes: { sensorTimeoutMs: number; visitorMaxBikes: number; feePerBikeMinor: number; kioskCacheMs: number };
  classes: { tuitionMinor: number; allocatorMaxHistory: number };
  temporalUiPort: number;
  codecKeys: string;
  security: Security;
  protection: { rateLimitPerMinute: number; maxEventLoopDelayMs: number; maxBodyBytes: number };
  shared: { redisUrl: string | null };
  workflowBundlePath: string | null;
}

export interface Security {
  /** Payloads without the encryption marker (histories from before encryption) are decoded as they are. */
  codecAcceptPlaintext: boolean;
  pageTokenSecret: string;
  /** The simulated backends' `/_admin` routes (faults, state, fixtures) exist only when this is on. */
  backendsAdmin: boolean;
  /** `kid:base64 Ed25519 seed` pairs; the first signs, all are published in the JWKS. */
  federationKeys: string;
  /** Where the backends read sagaway's JWKS; the worker writes it into the data folder when unset. */
  federationJwksUrl: string | null;
  /** The OAuth client of payments; the simulated token endpoint issues tokens for `tokenTtlSeconds`. */
  paymentsClient: { id: string; secret: string; tokenTtlSeconds: number };
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
  if (env.SAGAWAY_ENV === 'production') refuseDevSecrets(source);
  if (env.SAGAWAY_ENV === 'production' && env.SAGAWAY_STEP_RETRY_INITIAL_MS !== undefined) {
    throw new ConfigError('invalid configuration:\n  SAGAWAY_STEP_RETRY_INITIAL_MS: for tests and development only (set SAGAWAY_ENV=development)');
  }
  // A local activity acts before the workflow task that decided it is recorded. A worker that dies mid-task
  // leaves its holds (or the capture) made, and the retried task may take a cancel or the deadline first:
  // holds nobody undoes, or a compensation after the money was captured (found by the chaos campaign).
  for (const variable of ['SAGAWAY_LOCAL_HOLDS', 'SAGAWAY_LOCAL_PIVOT'] as const) {
    if (env.SAGAWAY_ENV === 'production' && env[variable]) {
      throw new ConfigError(`invalid configuration:\n  ${variable}: for measurement in development only: a worker that dies mid-task can leave a local hold or capture that the saga never undoes or compensates after (set SAGAWAY_ENV=development)`);
    }
  }
  if (env.SAGAWAY_API_KEYS.size === 0) throw new ConfigError('invalid configuration:\n  SAGAWAY_API_KEYS: at least one clientId:key pair is needed');
  const shared = [...env.SAGAWAY_OPERATOR_KEYS.keys()].find((key) => env.SAGAWAY_API_KEYS.has(key));
  if (shared !== undefined) throw new ConfigError('invalid configuration:\n  SAGAWAY_OPERATOR_KEYS: an operator key must not also be a client key (SAGAWAY_API_KEYS)');
  // Without operator keys, production has no operator: the codec and operator actions stay shut.
  const operatorKeys = env.SAGAWAY_ENV === 'production' && !source.SAGAWAY_OPERATOR_KEYS ? new Map<string, string>() : env.SAGAWAY_OPERATOR_KEYS;
  const base = env.SAGAWAY_BACKENDS_URL ?? `http://${env.SAGAWAY_BACKENDS_HOST}:${env.SAGAWAY_BACKENDS_PORT}`;
  const urlOf = (name: BackendName, own: string | undefined) => (own ?? `${base.replace(/\/$/, '')}/${name}`);
  return {
    env: env.SAGAWAY_ENV,
    dataDir: resolve(env.SAGAWAY_DATA_DIR),
    logLevel: env.SAGAWAY_LOG_LEVEL,
    taskQueue: env.SAGAWAY_TASK_QUEUE,
    cachedWorkflows: env.SAGAWAY_WORKER_CACHED_WORKFLOWS,
    api: { host: env.SAGAWAY_API_HOST, port: env.SAGAWAY_API_PORT, keys: env.SAGAWAY_API_KEYS, operatorKeys },
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
        flights: urlOf('flights', env.SAGAWAY_FLIGHTS_URL),
        hotels: urlOf('hotels', env.SAGAWAY_HOTELS_URL),
        cars: urlOf('cars', env.SAGAWAY_CARS_URL),
        fx: urlOf('fx', env.SAGAWAY_FX_URL),
        compliance: urlOf('compliance', env.SAGAWAY_COMPLIANCE_URL),
        corebanking: urlOf('corebanking', env.SAGAWAY_CORE_BANKING_URL),
        network: urlOf('network', env.SAGAWAY_NETWORK_URL),
      },
    },
    sagas: {
      orderDeadlineMs: env.SAGAWAY_ORDER_DEADLINE_SECONDS * 1_000,
      stuckAfterAttempts: env.SAGAWAY_STUCK_AFTER_ATTEMPTS,
      auditStuckAfterMs: env.SAGAWAY_AUDIT_STUCK_AFTER_SECONDS * 1_000,
      localSteps: env.SAGAWAY_LOCAL_STEPS,
      localHolds: env.SAGAWAY_LOCAL_HOLDS,
      localPivot: env.SAGAWAY_LOCAL_PIVOT,
      compensationBackoffMs: env.SAGAWAY_COMPENSATION_BACKOFF_MS
        ? { initial: env.SAGAWAY_COMPENSATION_BACKOFF_MS[0], max: env.SAGAWAY_COMPENSATION_BACKOFF_MS[1] }
        : null,
      stepRetryInitialMs: env.SAGAWAY_STEP_RETRY_INITIAL_MS ?? null,
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
    security: {
      // Unset, development accepts plain payloads (its histories are throwaway) and production refuses them.
      codecAcceptPlaintext: (env.SAGAWAY_CODEC_ACCEPT_PLAINTEXT ?? (env.SAGAWAY_ENV === 'development' ? 'true' : 'false')) === 'true',
      pageTokenSecret: env.SAGAWAY_PAGE_TOKEN_SECRET,
      backendsAdmin: env.SAGAWAY_BACKENDS_ADMIN,
      federationKeys: env.SAGAWAY_FEDERATION_KEYS,
      federationJwksUrl: env.SAGAWAY_FEDERATION_JWKS_URL ?? null,
      paymentsClient: { id: env.SAGAWAY_PAYMENTS_CLIENT_ID, secret: env.SAGAWAY_PAYMENTS_CLIENT_SECRET, tokenTtlSeconds: env.SAGAWAY_PAYMENTS_TOKEN_TTL_SECONDS },
    },
    protection: {
      rateLimitPerMinute: env.SAGAWAY_RATE_LIMIT_PER_MINUTE,
      maxEventLoopDelayMs: env.SAGAWAY_MAX_EVENT_LOOP_DELAY_MS,
      maxBodyBytes: env.SAGAWAY_MAX_BODY_BYTES,
    },
    shared: { redisUrl: env.SAGAWAY_REDIS_URL ?? null },
    workflowBundlePath: env.SAGAWAY_WORKFLOW_BUNDLE ?? null,
  };
}

/**
 * Production is the default, so a part started alone never runs on the public development secrets: each
 * must be set, and a development value is refused wherever it appears, whatever client id it carries.
 */
function refuseDevSecrets(source: NodeJS.ProcessEnv): void {
  const problems: string[] = [];
  for (const variable of REQUIRED_IN_PRODUCTION) {
    if (!source[variable]) problems.push(`  ${variable}: must be set in production (the development default is public; or set SAGAWAY_ENV=development)`);
  }
  for (const { variable, secrets } of DEV_SECRETS) {
    const values = (source[variable] ?? '').split(',').map((pair) => (variable.endsWith('_KEYS') ? secretOf(pair.trim()) : pair.trim()));
    if (values.some((value) => secrets.includes(value))) problems.push(`  ${variable}: a development default key is refused in production`);
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
}

/** For process entry points: a bad config prints what is wrong and exits 2. */
export function loadConfigOrExit(): Config {
  return exitOnConfigError(() => loadConfig());
}

/** Reads a part of the configuration; a ConfigError prints what is wrong and exits 2. */
export function exitOnConfigError<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`sagaway: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

// --- API limits (issue 11): read on their own so this block merges apart from the schema above. ---
const ApiLimitsSchema = z.object({
  /** `Prefer: wait` requests one client may hold open; past it, a 429. */
  SAGAWAY_MAX_WAITS_PER_CLIENT: z.coerce.number().int().min(1).max(100_000).default(200),
  /** How long a read of a running saga waits for a busy worker before it answers the last view seen. */
  SAGAWAY_LIVE_READ_BUDGET_MS: z.coerce.number().int().min(10).max(10_000).default(75),
});

/** `Prefer: wait` requests one client may hold open, and how long a read waits for a busy worker. */
export function apiLimitsFrom(source: NodeJS.ProcessEnv = process.env): { maxWaitsPerClient: number; liveQueryBudgetMs: number } {
  const parsed = ApiLimitsSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  return { maxWaitsPerClient: parsed.data.SAGAWAY_MAX_WAITS_PER_CLIENT, liveQueryBudgetMs: parsed.data.SAGAWAY_LIVE_READ_BUDGET_MS };
}

// --- The audit trail (issue 24): read on its own, like the API limits above. ---
/** The dev default auditor key: read-only access to every client's audit, refused in production. */
export const DEV_AUDITOR_KEYS = 'auditor:sagaway-dev-auditor-key-change-me';

/** The dev default audit signing key (an Ed25519 seed, public, so only for development): refused in production. */
export const DEV_AUDIT_SIGNING_KEYS = `dev-audit-1:${Buffer.from('sagaway-dev-audit-signing-seed!!').toString('base64')}`;

const AuditEnvSchema = z.object({
  /** As for every part: `development` accepts the public development keys. */
  SAGAWAY_ENV: z.enum(['development', 'production']).default('production'),
  /** As for every part: where what persists lives (the embedded audit store under audit/). */
  SAGAWAY_DATA_DIR: z.string().min(1).default('./.data'),
  /** PostgreSQL (`npm run cluster` sets its own); the embedded PGlite store in the data folder when unset. */
  SAGAWAY_AUDIT_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  /** Ed25519 seeds that sign the audit chain's head, as `keyId:base64seed,...` (the first signs). */
  SAGAWAY_AUDIT_SIGNING_KEYS: z.string().default(DEV_AUDIT_SIGNING_KEYS).pipe(KeyPairsSchema),
  /** How often the worker signs the audit chain's head, once something was appended. */
  SAGAWAY_AUDIT_SIGN_EVERY_SECONDS: z.coerce.number().min(1).max(86_400).default(60),
  /** Auditor keys as `name:key,...`: read-only access to every client's audit trail at /v1/audit, nothing else. */
  SAGAWAY_AUDITOR_KEYS: z.string().default(DEV_AUDITOR_KEYS).pipe(ApiKeysSchema),
});

export interface AuditConfig {
  databaseUrl: string | null;
  /** The embedded store's folder. */
  storeDir: string;
  signingKeys: string;
  signEveryMs: number;
  /** auditor key -> auditor name. */
  auditorKeys: Map<string, string>;
}

/** The audit store and its readers; production refuses the development signing and auditor keys. */
export function auditConfigFrom(source: NodeJS.ProcessEnv = process.env): AuditConfig {
  const parsed = AuditEnvSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  const env = parsed.data;
  const production = env.SAGAWAY_ENV === 'production';
  if (production && (!source.SAGAWAY_AUDIT_SIGNING_KEYS || env.SAGAWAY_AUDIT_SIGNING_KEYS.split(',').some((p) => secretOf(p.trim()) === secretOf(DEV_AUDIT_SIGNING_KEYS)))) {
    throw new ConfigError('invalid configuration:\n  SAGAWAY_AUDIT_SIGNING_KEYS: must be set in production, to a key of its own (the development default is public)');
  }
  if (production && source.SAGAWAY_AUDITOR_KEYS && env.SAGAWAY_AUDITOR_KEYS.has(secretOf(DEV_AUDITOR_KEYS))) {
    throw new ConfigError('invalid configuration:\n  SAGAWAY_AUDITOR_KEYS: a development default key is refused in production');
  }
  const others = [source.SAGAWAY_API_KEYS ?? DEV_API_KEYS, source.SAGAWAY_OPERATOR_KEYS ?? DEV_OPERATOR_KEYS].flatMap((raw) => raw.split(',').map((p) => secretOf(p.trim())));
  if (others.some((key) => env.SAGAWAY_AUDITOR_KEYS.has(key))) {
    throw new ConfigError('invalid configuration:\n  SAGAWAY_AUDITOR_KEYS: an auditor key must not also be a client or operator key');
  }
  return {
    databaseUrl: env.SAGAWAY_AUDIT_DATABASE_URL ?? null,
    storeDir: resolve(env.SAGAWAY_DATA_DIR, 'audit', 'pglite'),
    signingKeys: env.SAGAWAY_AUDIT_SIGNING_KEYS,
    signEveryMs: env.SAGAWAY_AUDIT_SIGN_EVERY_SECONDS * 1_000,
    // Without auditor keys of its own, production has no auditor: the audit routes stay shut.
    auditorKeys: production && !source.SAGAWAY_AUDITOR_KEYS ? new Map() : env.SAGAWAY_AUDITOR_KEYS,
  };
}

// --- Admission control (issue 25): read on their own so this block merges apart from the schema above. ---
const AdmissionSchema = z.object({
  /** Sagas one client may have running; past it a start is a 429 with Retry-After (0: no bound). */
  SAGAWAY_MAX_RUNNING_PER_CLIENT: z.coerce.number().int().min(0).max(10_000_000).default(5_000),
  /** Sagas running in all, every client counted; past it a start is a 503 with Retry-After (0: no bound). */
  SAGAWAY_MAX_RUNNING: z.coerce.number().int().min(0).max(10_000_000).default(20_000),
});

/** Running sagas one client may have, and the instance as a whole; 0 turns a bound off. */
export function admissionLimitsFrom(source: NodeJS.ProcessEnv = process.env): { perClient: number; total: number } {
  const parsed = AdmissionSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  return { perClient: parsed.data.SAGAWAY_MAX_RUNNING_PER_CLIENT, total: parsed.data.SAGAWAY_MAX_RUNNING };
}

const SectionLimitSchema = z.object({
  /**
   * Filings one section's allocator takes; past it a filing is a 409 section-full. 50,000 is the size the
   * allocator was measured to hold within Temporal's limits (test/workflow/seat-allocator-large.test.ts),
   * so it is also the most it may be set to.
   */
  SAGAWAY_MAX_REQUESTS_PER_SECTION: z.coerce.number().int().min(1).max(50_000).default(50_000),
});

/** The section limit when nothing sets it (the schema's default). */
export const MAX_REQUESTS_PER_SECTION: number = SectionLimitSchema.shape.SAGAWAY_MAX_REQUESTS_PER_SECTION.parse(undefined);

/** Requests one class section takes before a filing is a 409 (the allocator carries them all). */
export function sectionLimitFrom(source: NodeJS.ProcessEnv = process.env): number {
  const parsed = SectionLimitSchema.safeParse(source);
  if (!parsed.success) throw new ConfigError(`invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  return parsed.data.SAGAWAY_MAX_REQUESTS_PER_SECTION;
}

const MetricsExposureSchema = z.object({
  /** As for every part: `development` accepts the public development keys. */
  SAGAWAY_ENV: z.enum(['development', 'production']).default('production'),
  /** Serves /metrics on a port of its own (production: 9465 on loopback when no metrics key is set). */
  SAGAWAY_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /** The address the metrics port listens on. */
  SAGAWAY_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Serves /metrics on the API's port behind this bearer key instead of a port of its own. */
  SAGAWAY_METRICS_KEY: z.string().min(16).optional(),
});

/**
 * Where the API serves /metrics: on its own port (SAGAWAY_METRICS_PORT; production's default is 9465 on
 * loopback), or on the API's port behind SAGAWAY_METRICS_KEY; open on the API's port only in development.
 * The metrics count every client's sagas, so they are never a public route in production.
 */
export function metricsExposureFrom(source: NodeJS.ProcessEnv = process.env): { port: number | null; host: string; key: string | null } {
  const parsed = MetricsExposureSchema.safeParse(source);
  if (!parsed.success) throw new ConfigError(`invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  const { SAGAWAY_ENV: env, SAGAWAY_METRICS_PORT: port, SAGAWAY_METRICS_HOST: host, SAGAWAY_METRICS_KEY: key } = parsed.data;
  const own = port ?? (env === 'production' && !key ? 9_465 : null);
  return { port: own, host, key: key ?? null };
}

// --- Cross-border transfers (issue 24): read on their own so this block merges apart from the schema above. ---
export const DEV_NETWORK_SECRET = 'sagaway-dev-network-signing-secret-change-me';
const TransferEnvSchema = z.object({
  /** As for every part: `development` accepts the public development keys. */
  SAGAWAY_ENV: z.enum(['development', 'production']).default('production'),
  /** The HMAC secret the payment network signs its reports with (shared by the network and the API). */
  SAGAWAY_NETWORK_SECRET: z.string().min(32).default(DEV_NETWORK_SECRET),
  /** Where the simulated network posts its reports; the API's own callback route when unset. */
  SAGAWAY_NETWORK_CALLBACK_URL: z.url().optional(),
  /** The API's port, for the callback address the simulated network posts to. */
  SAGAWAY_API_PORT: z.coerce.number().int().min(1).max(65_535).default(3000),
  /** How long the simulated payment network takes to settle a submitted transfer. */
  SAGAWAY_NETWORK_SETTLE_MS: z.coerce.number().int().min(0).max(600_000).default(300),
  /** How long after settling the simulated beneficiary bank returns a transfer it returns. */
  SAGAWAY_NETWORK_RETURN_MS: z.coerce.number().int().min(0).max(86_400_000).default(2_000),
});

export interface TransferSettings {
  networkSecret: string;
  callbackUrl: string;
  settleMs: number;
  returnMs: number;
}

/** The payment network's signing secret and timing; the development secret is refused in production. */
export function transferSettingsFrom(source: NodeJS.ProcessEnv = process.env): TransferSettings {
  const parsed = TransferEnvSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  const env = parsed.data;
  if (env.SAGAWAY_ENV === 'production' && env.SAGAWAY_NETWORK_SECRET === DEV_NETWORK_SECRET) {
    throw new ConfigError('invalid configuration:\n  SAGAWAY_NETWORK_SECRET: must be set in production (the development default is public)');
  }
  return {
    networkSecret: env.SAGAWAY_NETWORK_SECRET,
    callbackUrl: env.SAGAWAY_NETWORK_CALLBACK_URL ?? `http://127.0.0.1:${env.SAGAWAY_API_PORT}/v1/callbacks/payment-network`,
    settleMs: env.SAGAWAY_NETWORK_SETTLE_MS,
    returnMs: env.SAGAWAY_NETWORK_RETURN_MS,
  };
}
