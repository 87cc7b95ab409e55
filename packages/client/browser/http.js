import { SagawayNetworkError, SagawayProblem } from './errors.js';
export const DEFAULT_RETRY = { retries: 4, initialDelayMs: 250, maxDelayMs: 8_000 };
/** Answers worth the same request again: the API was busy (429), shedding load or without Temporal (503). */
const RETRIED_STATUSES = new Set([429, 503]);
/**
 * One request, tried again on a network error, 429 or 503 with the same headers (the same Idempotency-Key
 * above all), after the server's Retry-After or a growing backoff. Any other answer is final: a 2xx is
 * returned, a problem thrown as a SagawayProblem.
 */
export async function send(transport, call) {
    const url = transport.baseUrl.replace(/\/$/, '') + call.path;
    const headers = { authorization: `Bearer ${transport.apiKey}`, accept: 'application/json', 'user-agent': transport.userAgent, ...call.headers };
    if (call.body !== undefined)
        headers['content-type'] = 'application/json';
    for (let attempt = 0;; attempt += 1) {
        let res;
        try {
            res = await transport.fetch(url, { method: call.method, headers, body: call.body === undefined ? undefined : JSON.stringify(call.body), signal: call.signal });
        }
        catch (err) {
            if (call.signal?.aborted)
                throw err;
            if (attempt >= transport.retry.retries)
                throw new SagawayNetworkError(`${call.method} ${call.path}: no answer after ${attempt + 1} tries`, err, attempt + 1);
            await pause(backoff(transport.retry, attempt), call.signal);
            continue;
        }
        if (res.ok) {
            const text = await res.text();
            return { status: res.status, body: (text ? JSON.parse(text) : null), headers: res.headers };
        }
        const problem = await problemOf(res);
        const retryAfter = retryAfterSeconds(res.headers.get('retry-after'));
        if (!RETRIED_STATUSES.has(res.status) || attempt >= transport.retry.retries)
            throw new SagawayProblem(problem, retryAfter);
        await pause(retryAfter !== undefined ? retryAfter * 1_000 : backoff(transport.retry, attempt), call.signal);
    }
}
export async function problemOf(res) {
    const text = await res.text().catch(() => '');
    try {
        const body = JSON.parse(text);
        if (typeof body.type === 'string' && typeof body.status === 'number')
            return body;
    }
    catch {
        // Not problem+json (a proxy's page): described below.
    }
    return { type: 'about:blank', title: res.statusText || 'HTTP error', status: res.status, detail: text.slice(0, 200) };
}
export function backoff(policy, attempt) {
    const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
}
/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterSeconds(value) {
    if (!value)
        return undefined;
    if (/^\d+$/.test(value.trim()))
        return Number(value.trim());
    const at = Date.parse(value);
    return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1_000);
}
export function pause(ms, signal) {
    return new Promise((resolve, reject) => {
        if (signal?.aborted)
            return reject(signal.reason);
        const timer = setTimeout(() => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
        }, ms);
        const onAbort = () => {
            clearTimeout(timer);
            reject(signal.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
    });
}
