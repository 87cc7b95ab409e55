import { SagawayTimeout } from './errors.js';
import { follow, type FollowOptions, type SagaEvent } from './events.js';
import { DEFAULT_RETRY, pause, send, type RetryPolicy, type Transport } from './http.js';
import type { BikeCheckoutRequest, BikeInBay, ClassRegistrationRequest, KioskAvailability, ListQuery, OrderRequest, PriceConfirmation, SagaList, SagaView, SectionAllocation, TransferRequest, TripRequest } from './types.js';

export interface ClientOptions {
  /** Where the API is, such as `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** This client app's API key (one of SAGAWAY_API_KEYS). */
  apiKey: string;
  retry?: Partial<RetryPolicy>;
  /** A fetch of your own (a proxy agent, a test double); the global one otherwise. */
  fetch?: typeof fetch;
}

export interface StartOptions {
  /**
   * The key that makes a start safe to send again: the same key and body answer the same saga. Made for
   * you when absent and kept across this client's own retries; store one yourself and pass it when a
   * start must survive your process restarting.
   */
  idempotencyKey?: string;
  /** Wait up to this many seconds (at most 60) for the saga to end before answering. */
  waitSeconds?: number;
  signal?: AbortSignal;
}

export interface CommandOptions {
  waitSeconds?: number;
  signal?: AbortSignal;
}

export interface WaitOptions {
  /** Give up after this long (SagawayTimeout); 60 s when absent. */
  timeoutMs?: number;
  /** How often the view is read; 500 ms when absent. */
  intervalMs?: number;
  signal?: AbortSignal;
}

const ENDED: ReadonlySet<string> = new Set(['COMPLETED', 'COMPENSATED', 'FAILED']);

/**
 * A new Idempotency-Key: random, so two different starts never share one. Made from getRandomValues, which
 * a browser has on a page served over plain http too (randomUUID only in a secure context).
 */
export function newIdempotencyKey(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** sagaway's HTTP API, typed from its OpenAPI document, safe to retry by default. */
export class SagawayClient {
  private readonly transport: Transport;

  constructor(options: ClientOptions) {
    this.transport = {
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      userAgent: 'sagaway-client/0.3.0',
    };
  }

  startOrder(order: OrderRequest, options?: StartOptions): Promise<SagaView> {
    return this.start('/v1/orders', order, options);
  }

  startBikeCheckout(checkout: BikeCheckoutRequest, options?: StartOptions): Promise<SagaView> {
    return this.start('/v1/bike-checkouts', checkout, options);
  }

  startClassRegistration(registration: ClassRegistrationRequest, options?: StartOptions): Promise<SagaView> {
    return this.start('/v1/class-registrations', registration, options);
  }

  startTrip(trip: TripRequest, options?: StartOptions): Promise<SagaView> {
    return this.start('/v1/trips', trip, options);
  }

  /** A cross-border transfer; a potential sanctions match waits for two officers' review (docs/sagas/transfer.md). */
  startTransfer(transfer: TransferRequest, options?: StartOptions): Promise<SagaView> {
    return this.start('/v1/transfers', transfer, options);
  }

  /** Whether a kiosk has bikes (`bikesAvailable` null: unknown right now); a kiosk's key reads its own only. */
  async kioskAvailability(kioskId: string, options: { signal?: AbortSignal } = {}): Promise<KioskAvailability> {
    return (await send<KioskAvailability>(this.transport, { method: 'GET', path: `/v1/kiosks/${encodeURIComponent(kioskId)}/availability`, signal: options.signal })).body;
  }

  /** The door sensor saw `bikeId` in its bay; an unknown or wrong bike is a SagawayProblem (422). */
  async reportBikeSensed(sagaId: string, bikeId: string, options: { signal?: AbortSignal } = {}): Promise<BikeInBay> {
    return (await send<BikeInBay>(this.transport, { method: 'POST', path: `${sagaPath(sagaId)}/signals/bike-sensed`, body: { bikeId }, signal: options.signal })).body;
  }

  /** A class section's seats and waitlist: this client's registrations by name, the others counted. */
  async sectionAllocation(sectionId: string, options: { signal?: AbortSignal } = {}): Promise<SectionAllocation> {
    return (await send<SectionAllocation>(this.transport, { method: 'GET', path: `/v1/sections/${encodeURIComponent(sectionId)}/allocation`, signal: options.signal })).body;
  }

  async get(sagaId: string, options: { signal?: AbortSignal } = {}): Promise<SagaView> {
    return (await send<SagaView>(this.transport, { method: 'GET', path: sagaPath(sagaId), signal: options.signal })).body;
  }

  async list(query: ListQuery = {}, options: { signal?: AbortSignal } = {}): Promise<SagaList> {
    const search = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, String(v)]));
    const path = `/v1/sagas${search.size > 0 ? `?${search}` : ''}`;
    return (await send<SagaList>(this.transport, { method: 'GET', path, signal: options.signal })).body;
  }

  /** Cancels before the pivot (the saga undoes what it did); past it, a SagawayProblem with slug `past-pivot`. */
  async cancel(sagaId: string, options: CommandOptions & { reason?: string } = {}): Promise<SagaView> {
    const body = options.reason === undefined ? {} : { reason: options.reason };
    return (await send<SagaView>(this.transport, { method: 'POST', path: `${sagaPath(sagaId)}/cancel`, body, headers: prefer(options.waitSeconds), signal: options.signal })).body;
  }

  /** Accepts or refuses a trip's moved total while the saga asks for it (its view's `awaiting`). */
  async confirmPrice(sagaId: string, answer: PriceConfirmation | boolean, options: CommandOptions = {}): Promise<SagaView> {
    const body = typeof answer === 'boolean' ? { accept: answer } : answer;
    return (await send<SagaView>(this.transport, { method: 'POST', path: `${sagaPath(sagaId)}/price-confirmation`, body, headers: prefer(options.waitSeconds), signal: options.signal })).body;
  }

  /** The saga's step, status and operator events until it ends, resuming by itself after a dropped connection. */
  follow(sagaId: string, options?: FollowOptions): AsyncGenerator<SagaEvent, void, undefined> {
    return follow(this.transport, sagaId, options);
  }

  /** Reads the saga until `until` holds (by default: it has ended), within `timeoutMs`. */
  async waitFor(sagaId: string, until: (view: SagaView) => boolean = (view) => ENDED.has(view.status), options: WaitOptions = {}): Promise<SagaView> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let last: SagaView | undefined;
    for (;;) {
      last = await this.get(sagaId, { signal: options.signal });
      if (until(last)) return last;
      if (Date.now() >= deadline || ENDED.has(last.status)) throw new SagawayTimeout(sagaId, last.status);
      await pause(Math.min(options.intervalMs ?? 500, Math.max(0, deadline - Date.now())), options.signal);
    }
  }

  private async start(path: string, body: unknown, options: StartOptions = {}): Promise<SagaView> {
    // Made once, before the first try: every retry below sends this same key, so it finds the same saga.
    const key = options.idempotencyKey ?? newIdempotencyKey();
    const headers = { 'idempotency-key': key, ...prefer(options.waitSeconds) };
    return (await send<SagaView>(this.transport, { method: 'POST', path, body, headers, signal: options.signal })).body;
  }
}

function sagaPath(sagaId: string): string {
  return `/v1/sagas/${encodeURIComponent(sagaId)}`;
}

function prefer(waitSeconds: number | undefined): Record<string, string> {
  return waitSeconds === undefined ? {} : { prefer: `wait=${waitSeconds}` };
}
