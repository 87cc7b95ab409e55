import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FaultBook, FaultSchema, type Fault } from './faults';
import type { BackendRecord, Journal, JournalEntry, StoredReply } from './journal';

export type OpReply = StoredReply;

export interface OpContext {
  body: unknown;
  params: Record<string, string>;
  query: Record<string, string>;
  sagaId: string | null;
  /** The caller's Idempotency-Key (writes only). */
  key: string | null;
}

type Handler = (ctx: OpContext) => OpReply | Promise<OpReply>;

/**
 * One simulated microservice: its records, the replies it gave per Idempotency-Key, and its faults.
 * Every change goes through the journal, so a restarted backends process answers as before.
 */
export class BackendService {
  readonly records = new Map<string, BackendRecord>();
  readonly faults = new FaultBook();
  /** Calls being handled right now (a slow one included), so a test can wait until they have landed. */
  inFlight = 0;
  private readonly replies = new Map<string, StoredReply>();
  /** The 2xx answer of each write by its Idempotency-Key, which a look-up by reference hands back. */
  private readonly results = new Map<string, unknown>();
  /** `op:key` of the writes being handled right now: another attempt with the same key is answered 409. */
  private readonly running = new Set<string>();

  constructor(
    readonly name: string,
    private readonly journal: Journal,
  ) {}

  restore(entries: JournalEntry[]): void {
    for (const entry of entries) {
      if (entry.service !== this.name) continue;
      if (entry.kind === 'record') this.records.set(entry.record.id, entry.record);
      else this.keepReply(entry.key, entry.reply);
    }
  }

  private keepReply(opKey: string, reply: StoredReply): void {
    this.replies.set(opKey, reply);
    if (reply.status >= 200 && reply.status < 300) this.results.set(opKey.slice(opKey.indexOf(':') + 1), reply.body);
  }

  /** The answer the write with this Idempotency-Key was given, if it succeeded. */
  resultOf(key: string): unknown {
    return this.results.get(key);
  }

  /** Marks a write with this key as running; false when an earlier attempt with the same key still runs. */
  enter(op: string, key: string): boolean {
    if (this.running.has(`${op}:${key}`)) return false;
    this.running.add(`${op}:${key}`);
    return true;
  }

  leave(op: string, key: string): void {
    this.running.delete(`${op}:${key}`);
  }

  newId(prefix: string): string {
    return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  }

  save<R extends BackendRecord>(record: R): R {
    record = { ...record, seq: this.journal.nextSeq() };
    this.records.set(record.id, record);
    this.journal.append({ service: this.name, kind: 'record', record });
    return record;
  }

  byReference(reference: string): BackendRecord | undefined {
    for (const record of this.records.values()) if (record.reference === reference) return record;
    return undefined;
  }

  list(kind?: string): BackendRecord[] {
    const all = [...this.records.values()];
    return kind ? all.filter((r) => r.kind === kind) : all;
  }

  storedReply(op: string, key: string): StoredReply | undefined {
    return this.replies.get(`${op}:${key}`);
  }

  storeReply(op: string, key: string, reply: StoredReply): void {
    this.keepReply(`${op}:${key}`, reply);
    this.journal.append({ service: this.name, kind: 'reply', key: `${op}:${key}`, reply });
  }
}

export interface ServiceRouter {
  /** A write: needs an Idempotency-Key; the same key gets the same reply and never a second effect. */
  write(op: string, method: 'POST' | 'PUT' | 'DELETE', url: string, handler: Handler): void;
  /** A read; `public` for catalog data the API reads itself (a section, a kiosk's stock, a public key). */
  read(op: string, url: string, handler: Handler, access?: 'public'): void;
  /** A steering route for tests and demos under `/_admin`: no Idempotency-Key, no faults. */
  admin(method: 'POST' | 'DELETE', url: string, handler: Handler): void;
}

export function problem(status: number, code: string, detail: string): OpReply {
  return { status, body: { type: `urn:sagaway:backend:${code}`, title: code, status, code, detail } };
}

export function ok(body: unknown, status = 200): OpReply {
  return { status, body };
}

/** Who may call a service: `refusal` says why a call is refused (401) before anything is applied. */
export interface ServiceAccess {
  refusal(req: FastifyRequest): Promise<string | null>;
  /** The `/_admin` routes (state, faults, fixtures) exist only when on (SAGAWAY_BACKENDS_ADMIN=true). */
  admin: boolean;
}

/** Registers a service's routes under `/<name>`, with the admin routes every service has when they are on. */
export function mountService(app: FastifyInstance, service: BackendService, routes: (router: ServiceRouter) => void, access: ServiceAccess): void {
  const prefix = `/${service.name}`;
  const guarded = (run: (req: FastifyRequest, res: FastifyReply) => Promise<unknown>) => async (req: FastifyRequest, res: FastifyReply) => {
    const refusal = await access.refusal(req);
    if (refusal) return send(res, { ...problem(401, 'Unauthorized', refusal), headers: { 'www-authenticate': 'Bearer' } });
    return run(req, res);
  };
  const router: ServiceRouter = {
    write(op, method, url, handler) {
      app.route({ method, url: prefix + url, handler: guarded((req, res) => runWrite(service, op, handler, req, res)) });
    },
    read(op, url, handler, visibility) {
      const run = (req: FastifyRequest, res: FastifyReply) => runOp(service, op, handler, req, res, null);
      app.get(prefix + url, visibility === 'public' ? run : guarded(run));
    },
    admin(method, url, handler) {
      if (!access.admin) return;
      app.route({
        method,
        url: `${prefix}/_admin${url}`,
        handler: async (req, res) => send(res, await handler({ body: req.body, params: req.params as Record<string, string>, query: {}, sagaId: null, key: null })),
      });
    },
  };
  routes(router);
  if (!access.admin) return;
  app.get(`${prefix}/_admin/state`, async () => ({ records: service.list(), inFlight: service.inFlight }));
  app.get(`${prefix}/_admin/faults`, async () => ({ faults: service.faults.list() }));
  app.post(`${prefix}/_admin/faults`, async (req, res) => {
    const parsed = FaultSchema.safeParse(req.body);
    if (!parsed.success) return res.code(400).send({ error: parsed.error.message });
    service.faults.add(parsed.data);
    return res.code(201).send({ faults: service.faults.list() });
  });
  app.delete(`${prefix}/_admin/faults`, async () => {
    // What was in force, with what fired, read in the same instant as the clear: nothing fires unseen between.
    const faults = service.faults.list();
    service.faults.clear();
    return { faults };
  });
}

function header(req: FastifyRequest, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' && value.length > 0 ? value : null;
}

async function runWrite(service: BackendService, op: string, handler: Handler, req: FastifyRequest, res: FastifyReply) {
  const key = header(req, 'idempotency-key');
  if (!key) return send(res, problem(400, 'IdempotencyKeyRequired', `${service.name} ${op} needs an Idempotency-Key header`));
  return runOp(service, op, handler, req, res, key);
}

async function runOp(
  service: BackendService,
  op: string,
  handler: Handler,
  req: FastifyRequest,
  res: FastifyReply,
  key: string | null,
) {
  // What idempotency layers such as Stripe's answer while an earlier attempt with the same key still runs.
  if (key && !service.enter(op, key)) return send(res, problem(409, 'RequestInProgress', `${service.name} ${op}: a request with this Idempotency-Key is in progress`));
  service.inFlight += 1;
  try {
    return await answerOp(service, op, handler, req, res, key);
  } finally {
    service.inFlight -= 1;
    if (key) service.leave(op, key);
  }
}

async function answerOp(
  service: BackendService,
  op: string,
  handler: Handler,
  req: FastifyRequest,
  res: FastifyReply,
  key: string | null,
) {
  const fault = service.faults.take(op, header(req, 'x-saga-id'));
  if (fault && (await applyFaultBefore(fault, req, res))) return res;
  if (fault?.mode === 'malformed' && fault.applied === false) return res.code(200).type('application/json').send('<<not what you expected');
  const stored = key ? service.storedReply(op, key) : undefined;
  const ctx: OpContext = {
    body: req.body,
    params: req.params as Record<string, string>,
    query: req.query as Record<string, string>,
    sagaId: header(req, 'x-saga-id'),
    key,
  };
  const reply = stored ?? withResult(service, op, ctx, await handler(ctx));
  if (key && !stored && reply.status < 500) service.storeReply(op, key, reply);
  if (fault?.mode === 'drop') {
    // The effect is applied and its reply stored; the caller never hears of it and must retry.
    req.raw.socket.destroy();
    return res;
  }
  if (fault?.mode === 'malformed') {
    return res.code(200).type(reply.contentType ?? 'application/json').send('<<not what you expected');
  }
  return send(res, reply);
}

/**
 * A look-up's answer with the result of the call it asks about: the 2xx answer stored under the key in
 * `?call=` (a step that moves another step's record) or else under the reference itself.
 */
function withResult(service: BackendService, op: string, ctx: OpContext, reply: OpReply): OpReply {
  if (op !== 'lookup' || reply.status !== 200 || typeof reply.body !== 'object' || reply.body === null) return reply;
  const key = ctx.query.call ?? ctx.params.reference;
  const result = key ? service.resultOf(key) : undefined;
  return { ...reply, body: { ...reply.body, result: result ?? null } };
}

/** Returns true when the fault answered the call itself. */
async function applyFaultBefore(fault: Fault, req: FastifyRequest, res: FastifyReply): Promise<boolean> {
  if (fault.mode === 'error') {
    const status = fault.status ?? 503;
    await send(res, problem(status, 'InjectedFault', `injected ${status} for ${fault.op}`));
    return true;
  }
  if (fault.mode === 'latency') await delay(fault.latencyMs ?? 1_000, res);
  if (fault.mode === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.latencyMs ?? 15_000));
  if (fault.mode === 'hang') {
    await delay(fault.latencyMs ?? 120_000, res);
    req.raw.socket.destroy();
    return true;
  }
  return false;
}

/** Waits `ms`, or less if the caller hangs up first (the response then closes unanswered). */
function delay(ms: number, res: FastifyReply): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.raw.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.raw.once('close', done);
  });
}

function send(res: FastifyReply, reply: OpReply & { headers?: Record<string, string> }) {
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.header(name, value);
  const type = reply.contentType ?? (reply.status >= 400 ? 'application/problem+json' : 'application/json');
  return res.code(reply.status).type(type).send(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
}
