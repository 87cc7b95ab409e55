// The registration desk: a student files a request and sees their priority and place, beside a board of
// the section's seats and waitlist that keeps itself up to date.
import { SagawayClient, SagawayProblem } from './client/index.js';
import { deviceKey, el, followSaga, formatDate, formatTime, TERMINAL } from './common.js';

const { sectionId } = document.body.dataset;
const key = deviceKey('desk');
// The client makes each filing's Idempotency-Key and keeps it across its own retries.
const client = key ? new SagawayClient({ baseUrl: location.origin, apiKey: key }) : null;
/** The status of a refusal; 0 when the API could not be reached. */
const statusOf = (err) => (err instanceof SagawayProblem ? err.status : 0);
const $ = (id) => document.getElementById(id);
const BOARD_EVERY_MS = 1_000;

let board = null;
let mine = null;
let following = null;

async function refreshBoard() {
  try {
    board = await client.sectionAllocation(sectionId);
    renderBoard();
    renderMine();
  } catch (err) {
    $('board-note').textContent = statusOf(err) === 404 ? `There is no section ${sectionId}.` : 'The board cannot be updated right now; it retries by itself.';
  }
  setTimeout(refreshBoard, BOARD_EVERY_MS);
}

const allocated = () => board && Date.parse(board.allocationAt) <= Date.now();

function entry(e, label) {
  return el('li', { class: mine && e.sagaId === mine.id ? 'mine' : null, 'data-student': e.studentId },
    el('span', { class: 'who' }, e.studentId), el('span', { class: 'muted' }, `${label} · registered ${formatDate(e.registeredAt)}`));
}

/**
 * Places 1..total, each filled by this desk's entry at that position or shown as taken by someone this
 * desk may not name (the API shows a client only its own registrations, and counts for the rest).
 */
function places(entries, total, label, empty) {
  const at = new Map(entries.map((e, i) => [e.position ?? i + 1, e]));
  return Array.from({ length: total }, (_, i) => {
    const e = at.get(i + 1);
    if (e) return entry(e, label(i + 1));
    return el('li', { class: i + 1 > empty ? 'free' : 'other' }, el('span', { class: 'who' }, i + 1 > empty ? 'free' : 'taken'), el('span', { class: 'muted' }, label(i + 1)));
  });
}

function renderBoard() {
  $('board-times').textContent = `${allocated() ? 'Seats were given out' : 'Seats are given out'} at ${formatTime(board.allocationAt)}, earliest registration first · the window closes at ${formatTime(board.windowClosesAt)}`;
  const taken = board.grantedCount ?? board.granted.length;
  $('seats').replaceChildren(...places(board.granted, board.capacity, (n) => `seat ${n}`, taken));
  const waiting = board.waitlistCount ?? board.waitlist.length;
  const line = places(board.waitlist, waiting, (n) => (allocated() ? `number ${n} in line` : `number ${n} in priority order`), waiting);
  $('waitlist').replaceChildren(...(line.length ? line : [el('li', { class: 'free' }, el('span', { class: 'who' }, 'nobody waiting'))]));
  $('board-note').textContent = allocated() ? 'A seat that frees up goes to the first in line.' : 'Until seats are given out, this list is everyone who asked, in priority order.';
}

$('file-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const studentId = event.target.elements.studentId.value.trim().toLowerCase();
  if (!/^s-\d{4,6}$/.test(studentId)) {
    $('file-problem').textContent = 'A student id reads like s-1001.';
    return;
  }
  let view = null;
  let refusal = null;
  try {
    view = await client.startClassRegistration({ studentId, sectionId });
  } catch (err) {
    refusal = err;
  }
  const problems = {
    409: `${studentId} already has a request for section ${sectionId}.`,
    404: `There is no section ${sectionId}.`,
    400: 'A student id reads like s-1001.',
    401: 'This desk is not set up: its key was refused.',
  };
  if (!view) {
    $('file-problem').textContent = problems[statusOf(refusal)] ?? 'Your request could not be filed just now. Please try again.';
    return;
  }
  $('file-problem').textContent = '';
  mine = view;
  $('file-form').hidden = true;
  $('mine').hidden = false;
  $('request-title').textContent = 'Your request';
  following = followSaga(client, mine.id, (view) => {
    mine = view;
    renderMine();
  });
});

function stageSentence(view) {
  const ended = {
    COMPLETED: 'Enrolled: the registration window has closed and your seat is yours.',
    FAILED: 'Something went wrong; please ask at the desk.',
  };
  if (ended[view.status]) return ended[view.status];
  if (view.status === 'COMPENSATED' || view.status === 'COMPENSATING') {
    const why = {
      Cancelled: 'You dropped this class. Your seat, or your place in line, went to the next student.',
      WindowClosed: 'The registration window closed before a seat came free. Nothing was charged.',
      AccountHold: 'Your account has a hold, so tuition could not be billed and the seat went to the next student. Please see the bursar.',
    };
    return why[view.error?.type] ?? 'Your request could not go through. Nothing was charged.';
  }
  const running = {
    HELD: 'Your request is held while we look up when you registered with the university.',
    PRIORITIZED: 'We know your priority; filing your request with the section.',
    FILED: allocated() ? 'Filed; waiting for the section to answer.' : `Filed. Seats are given out at ${board ? formatTime(board.allocationAt) : 'allocation time'}, earliest registration first.`,
    WAITLISTED: 'You are on the waitlist: the next free seat goes to the first in line.',
    GRANTED: 'You have a seat! Enrolling you now.',
    ENROLLED: `Enrolled. You can still drop this class until ${view.windowClosesAt ? formatTime(view.windowClosesAt) : 'the window closes'}.`,
  };
  return running[view.stage] ?? 'Filing your request…';
}

function place(view) {
  if (view.status !== 'RUNNING') return '–';
  const positionIn = (entries = []) => {
    const i = entries.findIndex((e) => e.sagaId === view.id);
    return i < 0 ? null : entries[i].position ?? i + 1;
  };
  const seat = positionIn(board?.granted);
  if (seat) return `Seat ${seat} of ${board.capacity}`;
  if (view.stage === 'WAITLISTED' && view.waitlistPosition) return `Number ${view.waitlistPosition} on the waitlist`;
  const queued = positionIn(board?.waitlist);
  if (queued) return allocated() ? `Number ${queued} on the waitlist` : `Number ${queued} in priority order so far`;
  return '–';
}

function renderMine() {
  if (!mine) return;
  $('mine-student').textContent = mine.request?.studentId ?? '';
  $('mine-stage').textContent = stageSentence(mine);
  $('mine-priority').textContent = mine.priority ? `registered with the university on ${formatDate(mine.priority)}: earlier goes first` : 'being looked up…';
  $('mine-place').textContent = place(mine);
  $('drop').hidden = TERMINAL.has(mine.status) || mine.status === 'COMPENSATING';
}

$('drop').onclick = async () => {
  $('drop').disabled = true;
  // Refused once the window closed: the view shows what the saga does either way.
  await client.cancel(mine.id, { reason: 'dropped at the registration desk' }).catch(() => undefined);
  $('drop').disabled = false;
};

$('another').onclick = () => {
  following?.stop();
  mine = null;
  $('file-form').reset();
  $('file-form').hidden = false;
  $('mine').hidden = true;
  $('request-title').textContent = 'File a request';
  if (board) renderBoard();
};

if (key) void refreshBoard();
else $('file-problem').textContent = `This desk is not set up: open it once as /sections/${sectionId}#key=<the desk's key>.`;
