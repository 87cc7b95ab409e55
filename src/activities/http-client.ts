import { ApplicationFailure, Context } from '@temporalio/activity';
import { Pool, errors as undiciErrors } from 'undici';
import { z } from 'zod';
import { FailureType, isFailureType } from '../domain/failures';
import type { Lookup, Reference } from '../domain/steps';
import { traceCall } from '../observability/tracing';
import { stepCallOf } from './attempts';

/** Who is calling: the saga, the step, and the Idempotency-Key the engine derived for it (never the attempt). */
export interface CallContext {
  sagaId: string;
  step: string;
  key: string;
}

export interface RawResponse {
  status: number;
  contentType: string;
  text: string;
}

/**
 * Credentials for one backend call (a federation token, an OAuth access token), as headers. `rejected`
 * hears of a 401, so cached credentials are dropped before the one retry.
 */
export interface Authorizer {
  headers(call: CallContext | undefined): Promise<Record<string, string>>;
  rejected?(): void;
}

export interface BackendClientOptions {
  timeoutMs: number;
  authorize?: Authorizer;
  connections?: number;
  /** How this backend explains a refusal; JSON problem details unless it speaks something else. */
  parseProblem?: (text: string) => Problem;
}

export interface Problem {
  code?: string;
  detail?: string;
}

/**
 * The one HTTP module every activity uses: a keep-alive pool per backend, timeouts, the Idempotency-Key
 * and X-Saga-Id headers, and one mapping of answers to the error layers (4xx business answers become
 * non-retryable failures, 5xx, timeouts and resets stay retryable).
 */
export class BackendClient {
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(
    readonly name: string,
    baseUrl: string,
    private readonly options: BackendClientOptions,
  ) {
    const url = new URL(baseUrl);
    this.basePath = url.pathname.replace(/\/$/, '');
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? 64,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 30_000,
    });
  }

  /** POST JSON, validate the 2xx answer with `schema`. */
  async postJson<S extends z.ZodType>(path: string, body: unknown, schema: S, call: CallContext): Promise<z.infer<S>> {
    const res = await this.send('POST', path, JSON.stringify(body), 'application/json', call);
    return this.parseJson(res, schema, path);
  }

  async getJson<S extends z.ZodType>(path: string, schema: S, call?: CallContext): Promise<z.infer<S>> {
    const res = await this.send('GET', path, undefined, undefined, call);
    return this.parseJson(res, schema, path);
  }

  /** The raw exchange, for backends that do not speak JSON; non-2xx answers are already mapped to failures. */
  async send(method: 'GET' | 'POST', path: string, body: string | undefined, contentType: string | undefined, call?: CallContext): Promise<RawResponse> {
    const headers: Record<string, string> = { accept: 'application/json, application/xml;q=0.9' };
    if (contentType) headers['content-type'] = contentType;
    if (call) {
      headers['x-saga-id'] = call.sagaId;
      if (method !== 'GET') headers['idempotency-key'] = call.key;
    }
    const res = await this.authorized(call, (credentials) => this.exchange(method, path, { ...headers, ...credentials }, body));
    if (res.status >= 200 && res.status < 300) return res;
    throw failureFor(this.name, `${method} ${path}`, res, this.options.parseProblem);
  }

  private async exchange(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body: string | undefined): Promise<RawResponse> {
    try {
      const answer = await traceCall(this.name, method, path, (traceHeaders) =>
        this.pool.request({ method, path: this.basePath + path, headers: { ...headers, ...traceHeaders }, body, signal: AbortSignal.timeout(this.options.timeoutMs) }),
      );
      return { status: answer.statusCode, contentType: String(answer.headers['content-type'] ?? ''), text: await answer.body.text() };
    } catch (err) {
      throw new Error(`${this.name} ${method} ${path}: ${describeTransportError(err)}`);
    }
  }

  /**
   * Adds fresh credentials to the call; a 401 drops them and tries once more with new ones. A second 401
   * is retryable (a key not yet published, say): it never rejects the saga's step for good.
   */
  private async authorized(call: CallContext | undefined, send: (credentials: Record<string, string>) => Promise<RawResponse>): Promise<RawResponse> {
    const authorize = this.options.authorize;
    if (!authorize) return send({});
    const first = await send(await authorize.headers(call));
    if (first.status !== 401) return first;
    authorize.rejected?.();
    const second = await send(await authorize.headers(call));
    if (second.status === 401) throw new Error(`${this.name}: the backend refused sagaway's credentials (HTTP 401)`);
    return second;
  }

  private parseJson<S extends z.ZodType>(res: RawResponse, schema: S, path: string): z.infer<S> {
    let data: unknown;
    try {
      data = JSON.parse(res.text);
    } catch {
      throw malformed(this.name, path, 'the body is not JSON');
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw malformed(this.name, path, parsed.error.issues[0]?.message ?? 'unexpected shape');
    return parsed.data;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/**
 * A 2xx answer nobody can read: the outcome is unknown, so it is retried under the same Idempotency-Key
 * (a backend that applied the call answers its stored reply) and settled by look-up if it stays unreadable.
 */
export function malformed(backend: string, path: string, why: string): ApplicationFailure {
  return ApplicationFailure.retryable(`${backend} ${path} answered something malformed: ${why}`, FailureType.MalformedResponse);
}

const RETRYABLE_4XX = new Set([408, 425, 429]);
/** A 409 with one of these codes, or none, says an earlier attempt with the same key may still be running. */
const IN_PROGRESS_CODES = new Set(['RequestInProgress', 'InProgress', 'idempotency_key_in_use']);

/** A 409 that says an earlier attempt with the same key may still run: no answer yet, never a refusal. */
export const inProgress = (status: number, code: string | undefined) => status === 409 && (!code || IN_PROGRESS_CODES.has(code));

/**
 * Maps a non-2xx answer to the error layers: an unknown outcome (5xx, 408, 425, 429, a 409 in progress or
 * without a definite body) is a plain Error the retry policy retries; a definite refusal an ApplicationFailure.
 */
export function failureFor(backend: string, what: string, res: RawResponse, parse: (text: string) => Problem = parseJsonProblem): Error {
  if (res.status >= 500 || RETRYABLE_4XX.has(res.status)) {
    return new Error(`${backend} ${what}: HTTP ${res.status}`);
  }
  const problem = parse(res.text);
  if (inProgress(res.status, problem.code)) {
    return new Error(`${backend} ${what}: HTTP 409 ${problem.code ?? 'without a definite answer'}`);
  }
  const type = isFailureType(problem.code) ? problem.code : FailureType.BackendRejected;
  const detail = problem.detail ?? `HTTP ${res.status}`;
  return ApplicationFailure.nonRetryable(`${backend}: ${detail}`, type, { status: res.status, code: problem.code ?? null });
}

function parseJsonProblem(text: string): Problem {
  try {
    const body = JSON.parse(text) as { code?: unknown; detail?: unknown };
    return {
      code: typeof body.code === 'string' ? body.code : undefined,
      detail: typeof body.detail === 'string' ? body.detail : undefined,
    };
  } catch {
    return {};
  }
}

function describeTransportError(err: unknown): string {
  if (err instanceof undiciErrors.UndiciError) return `${err.code}: ${err.message}`;
  if (err instanceof Error && err.name === 'TimeoutError') return 'timed out';
  if (err instanceof Error) return (err as NodeJS.ErrnoException).code ?? err.message;
  return String(err);
}

/**
 * The saga, step and key of the running call, as the saga engine passed them. A saga started before the
 * engine passed them (it is finishing on this worker) keeps its old key, `<workflowId>:<activityId>`.
 */
export function currentCall(): CallContext {
  const info = Context.current().info;
  const sagaId = info.workflowExecution?.workflowId ?? info.workflowType ?? 'standalone';
  const call = stepCallOf();
  if (call) return { sagaId, step: call.step, key: call.key };
  return { sagaId, step: info.activityId, key: `${sagaId}:${info.activityId}` };
}

/** An undo's input: the forward call's key from the engine, or, from an older saga, the forward step's name. */
export type UndoInput = Reference | { forwardStep: string };

/** The forward call an undo refers to: its Idempotency-Key, which the backend stored with the record. */
export function referenceTo(input: UndoInput): Reference {
  if ('reference' in input) return { reference: input.reference };
  return { reference: `${currentCall().sagaId}:${input.forwardStep}` };
}

const LookupSchema = z.object({ found: z.boolean(), status: z.string().nullable(), result: z.unknown().optional() });

/**
 * Asks a backend what became of the call with this key: the probe a step declares for reconciling. It
 * carries the saga's X-Saga-Id like every other call for the saga, so a fault scoped to the saga hits it too.
 * `input.call` names the call whose answer to hand back when it differs from the reference (the ticket
 * issued on a hold); the answer is that call's stored 2xx result, or null.
 */
export async function lookUp(backend: BackendClient, input: Reference & { call?: string }, call: CallContext = currentCall()): Promise<Lookup> {
  const query = input.call ? `?call=${encodeURIComponent(input.call)}` : '';
  const answer = await backend.getJson(`/references/${encodeURIComponent(input.reference)}${query}`, LookupSchema, call);
  return { found: answer.found, status: answer.status, result: answer.result ?? null };
}
