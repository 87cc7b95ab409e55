import { SagawayTimeout } from './errors.js';
import { follow } from './events.js';
import { DEFAULT_RETRY, pause, send } from './http.js';
const ENDED = new Set(['COMPLETED', 'COMPENSATED', 'FAILED']);
/**
 * A new Idempotency-Key: random, so two different starts never share one. Made from getRandomValues, which
 * a browser has on a page served over plain http too (randomUUID only in a secure context).
 */
export function newIdempotencyKey() {
    const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
/** sagaway's HTTP API, typed from its OpenAPI document, safe to retry by default. */
export class SagawayClient {
    transport;
    constructor(options) {
        this.transport = {
            baseUrl: options.baseUrl,
            apiKey: options.apiKey,
            retry: { ...DEFAULT_RETRY, ...options.retry },
            fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
            userAgent: 'sagaway-client/0.3.0',
        };
    }
    startOrder(order, options) {
        return this.start('/v1/orders', order, options);
    }
    startBikeCheckout(checkout, options) {
        return this.start('/v1/bike-checkouts', checkout, options);
    }
    startClassRegistration(registration, options) {
        return this.start('/v1/class-registrations', registration, options);
    }
    startTrip(trip, options) {
        return this.start('/v1/trips', trip, options);
    }
    /** A cross-border transfer; a potential sanctions match waits for two officers' review (docs/sagas/transfer.md). */
    startTransfer(transfer, options) {
        return this.start('/v1/transfers', transfer, options);
    }
    /** Whether a kiosk has bikes (`bikesAvailable` null: unknown right now); a kiosk's key reads its own only. */
    async kioskAvailability(kioskId, options = {}) {
        return (await send(this.transport, { method: 'GET', path: `/v1/kiosks/${encodeURIComponent(kioskId)}/availability`, signal: options.signal })).body;
    }
    /** The door sensor saw `bikeId` in its bay; an unknown or wrong bike is a SagawayProblem (422). */
    async reportBikeSensed(sagaId, bikeId, options = {}) {
        return (await send(this.transport, { method: 'POST', path: `${sagaPath(sagaId)}/signals/bike-sensed`, body: { bikeId }, signal: options.signal })).body;
    }
    /** A class section's seats and waitlist: this client's registrations by name, the others counted. */
    async sectionAllocation(sectionId, options = {}) {
        return (await send(this.transport, { method: 'GET', path: `/v1/sections/${encodeURIComponent(sectionId)}/allocation`, signal: options.signal })).body;
    }
    async get(sagaId, options = {}) {
        return (await send(this.transport, { method: 'GET', path: sagaPath(sagaId), signal: options.signal })).body;
    }
    async list(query = {}, options = {}) {
        const search = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
        const path = `/v1/sagas${search.size > 0 ? `?${search}` : ''}`;
        return (await send(this.transport, { method: 'GET', path, signal: options.signal })).body;
    }
    /** Cancels before the pivot (the saga undoes what it did); past it, a SagawayProblem with slug `past-pivot`. */
    async cancel(sagaId, options = {}) {
        const body = options.reason === undefined ? {} : { reason: options.reason };
        return (await send(this.transport, { method: 'POST', path: `${sagaPath(sagaId)}/cancel`, body, headers: prefer(options.waitSeconds), signal: options.signal })).body;
    }
    /** Accepts or refuses a trip's moved total while the saga asks for it (its view's `awaiting`). */
    async confirmPrice(sagaId, answer, options = {}) {
        const body = typeof answer === 'boolean' ? { accept: answer } : answer;
        return (await send(this.transport, { method: 'POST', path: `${sagaPath(sagaId)}/price-confirmation`, body, headers: prefer(options.waitSeconds), signal: options.signal })).body;
    }
    /** The saga's step, status and operator events until it ends, resuming by itself after a dropped connection. */
    follow(sagaId, options) {
        return follow(this.transport, sagaId, options);
    }
    /** Reads the saga until `until` holds (by default: it has ended), within `timeoutMs`. */
    async waitFor(sagaId, until = (view) => ENDED.has(view.status), options = {}) {
        const deadline = Date.now() + (options.timeoutMs ?? 60_000);
        let last;
        for (;;) {
            last = await this.get(sagaId, { signal: options.signal });
            if (until(last))
                return last;
            if (Date.now() >= deadline || ENDED.has(last.status))
                throw new SagawayTimeout(sagaId, last.status);
            await pause(Math.min(options.intervalMs ?? 500, Math.max(0, deadline - Date.now())), options.signal);
        }
    }
    async start(path, body, options = {}) {
        // Made once, before the first try: every retry below sends this same key, so it finds the same saga.
        const key = options.idempotencyKey ?? newIdempotencyKey();
        const headers = { 'idempotency-key': key, ...prefer(options.waitSeconds) };
        return (await send(this.transport, { method: 'POST', path, body, headers, signal: options.signal })).body;
    }
}
function sagaPath(sagaId) {
    return `/v1/sagas/${encodeURIComponent(sagaId)}`;
}
function prefer(waitSeconds) {
    return waitSeconds === undefined ? {} : { prefer: `wait=${waitSeconds}` };
}
