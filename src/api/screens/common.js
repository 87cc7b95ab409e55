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
 * Calls `onView` with the saga's view until it ends or `stop()` is called. Follows the saga's live events
 * when the API has them (GET /v1/sagas/{id}/events), otherwise polls the view.
 */
export function followSaga(key, sagaId, onView, intervalMs = 700) {
  let stopped = false;
  let timer = null;
  const tick = async () => {
    if (stopped) return;
    const answer = await api(key, 'GET', `/v1/sagas/${encodeURIComponent(sagaId)}`);
    if (stopped) return;
    if (answer.status === 200) onView(answer.body);
    if (answer.status === 200 && TERMINAL.has(answer.body.status)) return;
    timer = setTimeout(tick, intervalMs);
  };
  void tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
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
