// The operator console: the sagas that need a person, one saga's steps drawn as its shape with live
// status, and retry / resolve (or give back a unit's door) with a reason. Text only in the DOM (see common.js), the operator key kept
// in this browser like the kiosk's.
import { api, deviceKey, el, formatTime, TERMINAL } from './common.js';

/** Each saga's pivot: the step after which it only goes forward (src/workflows/*.ts, `saga.pivot(...)`). */
const PIVOTS = { order: 'capturePayment', 'bike-checkout': 'captureFee', trip: 'issueTicket' };
const $ = (id) => document.getElementById(id);
let key = deviceKey('ops');
let current = null;

function showKeyForm(problem = '') {
  $('key-card').hidden = false;
  $('list-card').hidden = true;
  $('saga-card').hidden = true;
  $('key-problem').textContent = problem;
}

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  key = new FormData(event.target).get('key').trim();
  localStorage.setItem('sagaway.key.ops', key);
  void loadList();
});

$('filters').addEventListener('submit', (event) => {
  event.preventDefault();
  void loadList();
});

async function loadList() {
  const form = new FormData($('filters'));
  const query = new URLSearchParams({ stuck: form.get('stuck') ? 'true' : 'false' });
  if (form.get('type')) query.set('type', form.get('type'));
  const value = form.get('keyValue').trim();
  if (value) query.set(form.get('keyName'), value);
  const answer = await api(key, 'GET', `/v1/ops/sagas?${query}`);
  if (answer.status === 401 || answer.status === 403) return showKeyForm('That key is not an operator key.');
  $('key-card').hidden = true;
  $('list-card').hidden = false;
  $('list-problem').textContent = answer.status === 200 ? '' : answer.body?.detail ?? 'The list cannot be read right now.';
  const items = answer.body?.items ?? [];
  $('sagas').replaceChildren(...items.map((item) => el('tr', { 'data-saga-id': item.id, class: item.id === current?.id ? 'chosen' : null, onclick: () => openSaga(item.id) },
    el('td', {}, item.id), el('td', {}, item.type), el('td', {}, item.status), el('td', {}, item.client),
    el('td', {}, attentionText(item)))));
  $('list-note').textContent = `${items.length} saga${items.length === 1 ? '' : 's'}`;
}

/** What needs a person: a saga whose workflow task keeps failing first (no step action moves it), else its step. */
function attentionText(item) {
  if (item.workflowTask) return `workflow task failing (attempt ${item.workflowTask.attempts}): ${item.workflowTask.error.slice(0, 300)}`;
  return item.step ? `${item.step} (${item.stepStatus})` : '–';
}

/** Steps that ran side by side (one started before the one before it finished) form one parallel group. */
function groups(steps) {
  const out = [];
  for (const step of steps) {
    const last = out.at(-1);
    const overlaps = last && last.some((s) => !s.finishedAt || s.finishedAt > step.startedAt);
    if (overlaps) last.push(step);
    else out.push([step]);
  }
  return out;
}

function stepBox(view, step) {
  // A FAILED step waits for a person only while the saga still runs (past its pivot); while it compensates, its undo is what may stick.
  const canAct = step.status === 'STUCK' || (step.status === 'FAILED' && view.status === 'RUNNING');
  const pivot = PIVOTS[view.type] === step.name.split('#')[0];
  // A unit's door with no answer from the kiosk may also be given back: the bay was found shut.
  const door = step.status === 'STUCK' && step.name.startsWith('openDoor#');
  return el('div', { class: `step ${step.status}${pivot ? ' pivot' : ''}`, 'data-step': step.name },
    el('span', { class: 'badge' }, step.status),
    el('div', { class: 'name' }, step.name, pivot ? ' · pivot' : ''),
    el('p', { class: 'meta' }, `${step.attempts} attempt${step.attempts === 1 ? '' : 's'} · started ${formatTime(step.startedAt)}`),
    step.error ? el('p', { class: 'error' }, step.error) : null,
    step.compensation ? el('p', { class: 'undo' }, `undo: ${step.compensation.attempts} attempt${step.compensation.attempts === 1 ? '' : 's'}${step.compensation.stuck ? ', stuck' : ''}${step.compensation.lastError ? ` · last error: ${step.compensation.lastError}` : ''}`) : null,
    canAct ? el('div', { class: 'buttons' },
      el('button', { type: 'button', 'data-action': 'retry', onclick: () => askReason('retry', step.name) }, 'Retry'),
      el('button', { type: 'button', 'data-action': 'resolve', onclick: () => askReason('resolve', step.name) }, 'Resolve'),
      door ? el('button', { type: 'button', 'data-action': 'give-back', onclick: () => askReason('give-back', step.name) }, 'Give back') : null) : null);
}

function render(view) {
  current = view;
  $('saga-card').hidden = false;
  $('saga-title').textContent = `${view.type} ${view.id}`;
  $('saga-status').textContent = `${view.status}${view.error ? ` · ${view.error.type}: ${view.error.message}` : ''} · updated ${formatTime(view.updatedAt)}`;
  $('saga-status').dataset.status = view.status;
  $('shape').replaceChildren(...groups(view.steps).map((group) => el('li', {}, el('div', { class: `group${group.length > 1 ? ' parallel' : ''}` }, group.map((s) => stepBox(view, s))))));
  const audit = view.audit ?? [];
  $('audit').replaceChildren(...(audit.length === 0 ? [el('li', { class: 'muted' }, 'no operator action yet')] : audit.map((a) => el('li', {}, `${formatTime(a.at)} ${a.operator} ${a.action} ${a.step}: ${a.reason}`))));
}

let live = null;

async function openSaga(sagaId) {
  live?.abort();
  $('action-form').hidden = true;
  const answer = await api(key, 'GET', `/v1/ops/sagas/${encodeURIComponent(sagaId)}`);
  if (answer.status !== 200) return void ($('list-problem').textContent = answer.body?.detail ?? 'That saga cannot be read.');
  render(answer.body);
  for (const row of $('sagas').children) row.classList.toggle('chosen', row.dataset.sagaId === sagaId);
  if (!TERMINAL.has(answer.body.status)) void follow(sagaId);
}

/** Reads the view again on every event of the saga's stream, until it ends or another saga is opened. */
async function follow(sagaId) {
  const abort = new AbortController();
  live = abort;
  let lastEventId = null;
  while (!abort.signal.aborted) {
    try {
      const headers = { authorization: `Bearer ${key}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) };
      const res = await fetch(`/v1/ops/sagas/${encodeURIComponent(sagaId)}/events`, { headers, signal: abort.signal });
      if (!res.ok) return;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (let buffered = ''; ;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += value;
        const blocks = buffered.split('\n\n');
        buffered = blocks.pop();
        for (const block of blocks) lastEventId = /^id: (.*)$/m.exec(block)?.[1] ?? lastEventId;
        if (blocks.some((b) => /^data:/m.test(b))) await refresh(sagaId);
      }
      await refresh(sagaId);
      if (TERMINAL.has(current?.status)) return;
    } catch {
      if (abort.signal.aborted) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

async function refresh(sagaId) {
  const answer = await api(key, 'GET', `/v1/ops/sagas/${encodeURIComponent(sagaId)}`);
  if (answer.status === 200 && current?.id === sagaId) render(answer.body);
}

const ACTION_TITLES = { retry: 'Retry', resolve: 'Resolve', 'give-back': 'Give back (the door never opened)' };

function askReason(action, step) {
  const form = $('action-form');
  form.dataset.action = action;
  form.dataset.step = step;
  form.hidden = false;
  form.reset();
  $('action-problem').textContent = '';
  $('action-title').textContent = `${ACTION_TITLES[action]} ${step}: why?`;
  form.elements.reason.focus();
}

$('action-cancel').addEventListener('click', () => ($('action-form').hidden = true));

$('action-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const reason = new FormData(form).get('reason').trim();
  if (!reason) return void ($('action-problem').textContent = 'Say why: the reason goes into the audit trail.');
  const { action, step } = form.dataset;
  $('action-send').disabled = true;
  const answer = await api(key, 'POST', `/v1/ops/sagas/${encodeURIComponent(current.id)}/steps/${encodeURIComponent(step)}/${action}`, { body: { reason } });
  $('action-send').disabled = false;
  if (answer.status !== 200) return void ($('action-problem').textContent = answer.body?.detail ?? 'The action could not be sent; try again.');
  form.hidden = true;
  if (answer.body?.id) render(answer.body);
  void loadList();
  if (!TERMINAL.has(current.status) && !live || live?.signal.aborted) void follow(current.id);
});

$('who').textContent = location.host;
if (key) void loadList();
else showKeyForm();
