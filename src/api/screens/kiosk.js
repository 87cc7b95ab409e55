// The kiosk's touch screen: two prompts (scan your ID, how many bikes), then each bike's way to its bay.
import { SagawayProblem, SagawayClient } from './client/index.js';
import { deviceKey, el, followSaga, formatMoney } from './common.js';

const { kioskId, development, visitorMaxBikes, feeMinor, feeCurrency } = document.body.dataset;
const key = deviceKey(`kiosk.${kioskId}`);
// The client makes each checkout's Idempotency-Key and sends it again on its own retries (a lost answer,
// a 429 or 503 with Retry-After), so a busy moment can never start a second checkout.
const client = key ? new SagawayClient({ baseUrl: location.origin, apiKey: key }) : null;
/** The status of a refusal; 0 when the API could not be reached. */
const statusOf = (err) => (err instanceof SagawayProblem ? err.status : 0);
const $ = (id) => document.getElementById(id);
const fee = formatMoney(Number(feeMinor), feeCurrency);
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
const BIKE_STATUS = { ON_ITS_WAY: 'On its way', IN_BAY: 'In its bay', DOOR_OPEN: 'Door open', RETURNED: 'Back in storage' };

let rider = null;
let count = 1;
let following = null;
let resetTimer = null;

function show(screen) {
  for (const id of ['scan', 'bikes', 'status', 'message']) $(id).hidden = id !== screen;
  // A message belongs to the step it interrupts, which stays lit.
  if (screen === 'message') return;
  for (const li of document.querySelectorAll('.steps li')) li.classList.toggle('current', li.dataset.step === screen);
}

function message(title, text, action, onAction) {
  $('message-title').textContent = title;
  $('message-text').textContent = text;
  $('message-action').textContent = action;
  $('message-action').onclick = onAction;
  show('message');
}

/** Back to the first prompt, forgetting the rider. */
function reset() {
  following?.stop();
  clearTimeout(resetTimer);
  rider = null;
  count = 1;
  $('scan-form').reset();
  $('payment-token').value = '';
  $('scan-problem').textContent = '';
  $('bikes-problem').textContent = '';
  void start();
}

async function start() {
  if (!key) return message('This kiosk is not set up', `Open this page once as /kiosk/${kioskId}#key=<this kiosk's key>; the key stays on this device.`, 'Try again', () => location.reload());
  const availability = await client.kioskAvailability(kioskId).catch((err) => ({ refused: statusOf(err) }));
  if (availability.refused === 401 || availability.refused === 403) return message('This kiosk is out of service', 'Its key was refused. Please use another kiosk; staff have the key to set it up again.', 'Try again', reset);
  if (availability.bikesAvailable === 0) return empty();
  show('scan');
  $('scan-form').elements.documentNumber.focus();
}

function empty() {
  message('No bikes here right now', `Kiosk ${kioskId} is empty. Please try another kiosk nearby, or check again in a moment.`, 'Check again', reset);
}

// A stripe reader types the card's track into the focused field, as a keyboard would:
// %<issuing region>^<document number>^<date of birth, YYYYMMDD>? (start sentinel, separators, end sentinel).
const TRACK = /^%([^^?]{2,64})\^([A-Za-z]\d{7})\^(\d{4})(\d{2})(\d{2})\?/;
$('scan-form').addEventListener('input', (event) => {
  const value = event.target.value;
  if (!value.startsWith('%') || !value.includes('?')) return;
  event.target.value = '';
  const track = TRACK.exec(value);
  if (!track) {
    $('scan-problem').textContent = 'The card could not be read. Please swipe it again, or type what is on it.';
    return;
  }
  const form = $('scan-form').elements;
  form.issuingRegion.value = track[1];
  form.documentNumber.value = track[2].toUpperCase();
  form.dateOfBirth.value = `${track[3]}-${track[4]}-${track[5]}`;
  $('scan-form').requestSubmit();
});

$('scan-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.target.elements;
  const credentials = { documentNumber: form.documentNumber.value.trim().toUpperCase(), issuingRegion: form.issuingRegion.value.trim(), dateOfBirth: form.dateOfBirth.value.trim() };
  const problem = !/^[A-Z]\d{7}$/.test(credentials.documentNumber) ? 'The document number is a letter and 7 digits, as on the card (D1234567).'
    : credentials.issuingRegion.length < 2 ? 'Please give the region that issued the card.'
    : !/^\d{4}-\d{2}-\d{2}$/.test(credentials.dateOfBirth) ? 'The date of birth reads like 1980-04-02.' : '';
  $('scan-problem').textContent = problem;
  if (problem) return;
  rider = credentials;
  showCount();
  show('bikes');
});

function showCount() {
  $('count').textContent = String(count);
  $('fewer').disabled = count <= 1;
  $('more').disabled = count >= 10;
}
$('fewer').onclick = () => { count = Math.max(1, count - 1); showCount(); };
$('more').onclick = () => { count = Math.min(10, count + 1); showCount(); };
$('back').onclick = () => show('scan');
$('visitor-limit').append(` Up to ${plural(Number(visitorMaxBikes), 'bike')} at once, ${fee} each.`);

$('request').onclick = async () => {
  const paymentToken = $('payment-token').value.trim();
  const body = { kioskId, bikes: count, credentials: rider, ...(paymentToken ? { paymentToken } : {}) };
  $('request').disabled = true;
  let view = null;
  let refusal = null;
  try {
    view = await client.startBikeCheckout(body);
  } catch (err) {
    refusal = err;
  }
  $('request').disabled = false;
  if (view) return follow(view);
  const status = statusOf(refusal);
  if (status === 409 && refusal.code === 'KioskEmpty') return empty();
  if (status === 400) return message('Please check your ID', 'The ID details could not be read. Please swipe your card again.', 'Scan again', reset);
  if (status === 401 || status === 403) return message('This kiosk is out of service', 'Its key was refused. Please use another kiosk.', 'Start again', reset);
  message('The bike system is busy', 'We could not reach it just now. Please try again in a moment; nothing was charged.', 'Start again', reset);
};

function follow(initial) {
  $('bays').replaceChildren();
  $('status-line').textContent = 'Checking your ID…';
  $('cancel').hidden = false;
  $('done').hidden = true;
  $('status').dataset.sagaId = initial.id;
  show('status');
  following?.stop();
  following = followSaga(client, initial.id, render);
  $('cancel').onclick = async () => {
    $('cancel').disabled = true;
    // Refused past the first open door: the screen shows what the saga does either way.
    await client.cancel(initial.id, { reason: 'the rider cancelled at the kiosk' }).catch(() => undefined);
    $('cancel').disabled = false;
  };
}

function render(view) {
  const bikes = view.bikes ?? [];
  $('bays').replaceChildren(...bikes.map((bike) => bay(view.id, bike)));
  if (view.status === 'FAILED' && bikes.some((b) => b.status === 'DOOR_OPEN')) {
    return message('Take your bike', 'Your bike is in its open bay. We could not take the fee just now; staff have been told and will sort it out.', 'Done', reset);
  }
  if (view.status === 'COMPENSATED' || view.status === 'FAILED') return refused(view);
  const welcome = view.residentStatus === 'LOCAL' ? 'Welcome, local rider: your bikes are free.' : view.residentStatus === 'VISITOR' ? `Welcome, visitor: ${fee} a bike.` : 'Checking your ID…';
  // Once a door opened its bike is with the rider: the checkout can no longer be cancelled.
  $('cancel').hidden = bikes.some((b) => b.status === 'DOOR_OPEN');
  if (view.status === 'COMPLETED' && view.result?.partial) return partial(view, bikes);
  if (view.status === 'COMPLETED') {
    $('status-title').textContent = 'Enjoy your ride!';
    $('status-line').textContent = `${bikes.length === 1 ? 'Your bike is' : 'Your bikes are'} ready: take ${bikes.length === 1 ? 'it' : 'them'} from the open ${bikes.length === 1 ? 'door' : 'doors'}.${view.result?.fee?.amountMinor ? ` ${formatMoney(view.result.fee.amountMinor, view.result.fee.currency)} charged.` : ''}`;
    return finished();
  }
  $('status-title').textContent = 'Your bikes';
  const waiting = bikes.filter((b) => b.status !== 'DOOR_OPEN').length;
  $('status-line').textContent = bikes.length === 0 ? welcome : `${welcome} ${waiting === 0 ? 'All doors open.' : `${plural(count - bikes.length + waiting, 'bike')} still on the way.`}`;
}

/** Some bikes left, a later one did not: the rider takes what is out and pays for that only. */
function partial(view, bikes) {
  const out = bikes.filter((b) => b.status === 'DOOR_OPEN').length;
  const back = bikes.length - out;
  const charged = view.result.fee?.amountMinor ? ` ${formatMoney(view.result.fee.amountMinor, view.result.fee.currency)} charged for ${plural(out, 'bike')}; nothing for the rest.` : '';
  $('status-title').textContent = `${plural(out, 'bike')} of ${count} ready`;
  $('status-line').textContent = `Take ${out === 1 ? 'it' : 'them'} from the open ${out === 1 ? 'door' : 'doors'}. ${back > 0 ? `${plural(back, 'bike')} did not reach ${back === 1 ? 'its bay' : 'their bays'} and went back into storage.` : 'We could not bring the others.'}${charged}`;
  finished();
}

function bay(sagaId, bike) {
  const sensed = async (event) => {
    event.target.disabled = true;
    await client.reportBikeSensed(sagaId, bike.bikeId).catch(() => undefined);
  };
  return el('li', { class: `bay ${bike.status.toLowerCase()}`, 'data-bike': bike.bikeId },
    el('span', { class: 'bay-number' }, `Bay ${bike.bay}`),
    el('span', { class: 'bike-id' }, `Bike ${bike.bikeId}`),
    el('span', { class: 'bike-status' }, BIKE_STATUS[bike.status] ?? bike.status),
    development === 'true' && bike.status === 'ON_ITS_WAY' ? el('button', { type: 'button', class: 'dev', onclick: sensed }, 'Bike sensed (dev)') : null);
}

/** A saga that ended without bikes, as a plain sentence. */
function refused(view) {
  const type = view.error?.type;
  const limit = /up to (\d+)/.exec(view.error?.message ?? '')?.[1];
  const sentences = {
    IdRejected: ['We could not accept this ID', 'The ID service did not accept this card. Please check it and swipe again, or ask at the counter. Nothing was charged.'],
    TooManyBikes: ['Too many bikes', view.residentStatus === 'VISITOR'
      ? `Visitors may take up to ${plural(Number(limit ?? visitorMaxBikes), 'bike')} at once, and you asked for ${count}. Please ask for fewer.`
      : `Your registration covers up to ${plural(Number(limit ?? 1), 'bike')} at once, and you asked for ${count}. Please ask for fewer.`],
    SensorTimeout: ['A bike did not arrive', 'A bike did not reach its bay in time, so we stopped. Every bike went back into storage and nothing was charged.'],
    PaymentRequired: ['Payment needed', `Visitors pay ${fee} a bike: please enter a payment card token.`],
    PaymentDeclined: ['Payment declined', 'Your card was declined. Nothing was charged.'],
    KioskEmpty: ['No bikes left', 'The kiosk ran out of bikes while we were getting yours. Nothing was charged.'],
    Cancelled: ['Cancelled', 'Your request was cancelled. Every bike went back into storage and nothing was charged.'],
  };
  const [title, text] = view.status === 'FAILED'
    ? ['Please ask at the counter', 'Something went wrong after your payment was taken. Staff have been told.']
    : sentences[type] ?? ['We could not hand out bikes', 'Something went wrong on our side. Every bike went back into storage and nothing was charged.'];
  const again = type === 'TooManyBikes' || type === 'PaymentRequired' || type === 'PaymentDeclined';
  message(title, text, again ? 'Choose again' : 'Start again', again ? () => { clearTimeout(resetTimer); show('bikes'); } : reset);
  resetTimer = setTimeout(reset, 60_000);
}

function finished() {
  $('cancel').hidden = true;
  $('done').hidden = false;
  $('done').onclick = reset;
  clearTimeout(resetTimer);
  resetTimer = setTimeout(reset, 60_000);
}

void start();
