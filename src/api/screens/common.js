// What the screens share: the device's key, calls to the API, following a saga, and building the DOM
// with text only (never innerHTML), so nothing a rider or a backend typed can become markup. The kiosk and
// the desk call the API through the client package (/screens/client/index.js); the operator console's
// routes are not in it, so it calls them with `api`.

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
 * Calls `onView` with the saga's view until it ends or `stop()` is called, through `client` (a
 * SagawayClient). While the saga's events come (the client's `follow`, which resumes a dropped stream by
 * itself) each one reads the view at once, with a slow poll beside it for what events do not announce (a
 * bike sensed, a place in line); once the stream is refused or given up on, it polls.
 */
export function followSaga(client, sagaId, onView, { fastMs = 700, slowMs = 3_000 } = {}) {
  const abort = new AbortController();
  let stopped = false;
  let streaming = true;
  let timer = null;
  let seen = '';
  const refresh = async () => {
    let view;
    try {
      view = await client.get(sagaId, { signal: abort.signal });
    } catch {
      return; // Not readable now: the next poll or event reads it again.
    }
    // Two reads in flight may answer out of order: never step back to an older view.
    if (stopped || view.updatedAt < seen) return;
    seen = view.updatedAt;
    onView(view);
    if (TERMINAL.has(view.status)) stop();
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
      for await (const _event of client.follow(sagaId, { signal: abort.signal })) void refresh();
    } catch {
      // A stream refused or given up on leaves the poll to carry on.
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
