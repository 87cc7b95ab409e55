// What both screens share: the device's key, calls to the API, following a saga, and building the DOM
// with text only (never innerHTML), so nothing a rider or a backend typed can become markup.

/**
 * The key is provisioned once by opening the page with `#key=...`: the fragment never reaches a server, a
 * log or a Referer. It is kept in this browser's storage and the fragment is wiped from the address bar.
 */
export function deviceKey(scope) {
  const name = `sagaway.key.${scope}`;
  const match = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (match) {
    localStorage.setItem(name, decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return localStorage.getItem(name);
}

export function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** One call; network failures come back as status 0 so callers can word them. */
export async function api(key, method, path, { body, idempotencyKey } = {}) {
  const headers = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  try {
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: res.status, body: parsed };
  } catch {
    return { status: 0, body: null };
  }
}

export const TERMINAL = new Set(['COMPLETED', 'COMPENSATED', 'FAILED']);

/**
 * Calls `onView` with the saga's view until it ends or `stop()` is called. When the API streams the saga's
 * events (GET /v1/sagas/{id}/events, Server-Sent Events) each event fetches the view at once, with a slow
 * poll beside it for what events do not announce (a bike sensed, a place in line); otherwise it polls.
 * The stream is read with fetch, since EventSource cannot send the key.
 */
export function followSaga(key, sagaId, onView, { fastMs = 700, slowMs = 3_000 } = {}) {
  const path = `/v1/sagas/${encodeURIComponent(sagaId)}`;
  const abort = new AbortController();
  let stopped = false;
  let streaming = false;
  let timer = null;
  let seen = '';
  const refresh = async () => {
    const answer = await api(key, 'GET', path);
    // Two reads in flight may answer out of order: never step back to an older view.
    if (stopped || answer.status !== 200 || answer.body.updatedAt < seen) return;
    seen = answer.body.updatedAt;
    onView(answer.body);
    if (TERMINAL.has(answer.body.status)) stop();
  };
  // One timer at most, whoever schedules it: the next poll, sooner when the stream is not there.
  const schedule = () => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(poll, streaming ? slowMs : fastMs);
  };
  const poll = async () => {
    await refresh();
    schedule();
  };
  const stream = async () => {
    try {
      const res = await fetch(`${path}/events`, { headers: { authorization: `Bearer ${key}` }, signal: abort.signal });
      if (!res.ok || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) return;
      streaming = true;
      schedule();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (let buffered = ''; ;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += value;
        const events = buffered.split('\n\n');
        buffered = events.pop();
        if (events.some((e) => /^data:/m.test(e))) void refresh();
      }
    } catch {
      // A dropped stream leaves the poll to carry on.
    } finally {
      streaming = false;
      schedule();
    }
  };
  function stop() {
    stopped = true;
    clearTimeout(timer);
    abort.abort();
  }
  void refresh();
  schedule();
  void stream();
  return { stop };
}

/** el('p', { class: 'x' }, 'text', child): text children become text nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'onclick') node.addEventListener('click', value);
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

export function formatMoney(minor, currency) {
  return `${(minor / 100).toFixed(2)} ${currency}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2 Sep 2019", the same in every browser (locales disagree on "Sep" and "Sept"). */
export function formatDate(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

export function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
