import { SagawayNetworkError, SagawayProblem } from './errors.js';
import { backoff, pause, problemOf, retryAfterSeconds } from './http.js';
const TERMINAL = new Set(['COMPLETED', 'COMPENSATED', 'FAILED']);
/**
 * The saga's events until it ends. A stream that drops before the saga's last status (a proxy, a
 * restarted API instance) is opened again with Last-Event-ID, so no event is lost or repeated.
 */
export async function* follow(transport, sagaId, options = {}) {
    let lastEventId = options.lastEventId;
    let reconnectMs = 2_000;
    let failures = 0;
    for (;;) {
        let res;
        try {
            res = await open(transport, sagaId, lastEventId, options.signal);
        }
        catch (err) {
            if (options.signal?.aborted || err instanceof SagawayProblem)
                throw err;
            failures += 1;
            if (failures > transport.retry.retries)
                throw new SagawayNetworkError(`events of ${sagaId}: no stream after ${failures} tries`, err, failures);
            await pause(backoff(transport.retry, failures - 1), options.signal);
            continue;
        }
        failures = 0;
        try {
            for await (const block of blocks(res.body)) {
                const fields = parse(block);
                if (fields.retry && /^\d+$/.test(fields.retry))
                    reconnectMs = Number(fields.retry);
                if (!fields.id || !fields.event)
                    continue;
                lastEventId = fields.id;
                const event = { id: fields.id, event: fields.event, data: JSON.parse(fields.data ?? 'null') };
                yield event;
                if (event.event === 'status' && TERMINAL.has(event.data.status))
                    return;
            }
        }
        catch (err) {
            if (options.signal?.aborted)
                throw err;
            // The connection dropped mid-stream: opened again below.
        }
        await pause(reconnectMs, options.signal);
    }
}
async function open(transport, sagaId, lastEventId, signal) {
    const headers = { authorization: `Bearer ${transport.apiKey}`, accept: 'text/event-stream', 'user-agent': transport.userAgent };
    if (lastEventId)
        headers['last-event-id'] = lastEventId;
    const res = await transport.fetch(`${transport.baseUrl.replace(/\/$/, '')}/v1/sagas/${encodeURIComponent(sagaId)}/events`, { headers, signal });
    if (res.status === 200 && res.body)
        return res;
    const wait = retryAfterSeconds(res.headers.get('retry-after'));
    // A refused stream is read as any other answer: the same retries, the same typed problem.
    if (res.status === 429 || res.status === 503) {
        await res.body?.cancel();
        await pause((wait ?? 1) * 1_000, signal);
        throw new Error(`events answered ${res.status}`);
    }
    throw new SagawayProblem(await problemOf(res), wait);
}
async function* blocks(body) {
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = body.getReader();
    try {
        for (;;) {
            const { done, value } = await reader.read();
            if (done)
                return;
            buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
            let at;
            while ((at = buffer.indexOf('\n\n')) >= 0) {
                yield buffer.slice(0, at);
                buffer = buffer.slice(at + 2);
            }
        }
    }
    finally {
        await reader.cancel().catch(() => undefined);
    }
}
function parse(block) {
    const fields = {};
    for (const line of block.split('\n')) {
        if (line.startsWith(':'))
            continue;
        const at = line.indexOf(':');
        if (at <= 0)
            continue;
        const name = line.slice(0, at);
        const value = line.slice(at + 1).replace(/^ /, '');
        fields[name] = name === 'data' && fields.data !== undefined ? `${fields.data}\n${value}` : value;
    }
    return fields;
}
