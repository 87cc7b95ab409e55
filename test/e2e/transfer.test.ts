import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signNetworkBody } from '../../src/api/network-signature';
import { DEV_NETWORK_SECRET } from '../../src/config';
import { pacs002Xml } from '../../src/domain/transfer-messages';
import { backendRecords, call, injectFault, sagaKey, unfiredFaults, waitFor, waitForView } from '../support/http';
import { OPERATOR_KEY, startStack, type Stack } from '../support/stack';

const SECOND_OPERATOR_KEY = 'test-operator-key-0004';
let stack: Stack;

before(async () => {
  stack = await startStack({ tuning: { stepRetryInitialMs: 20 }, env: { SAGAWAY_OPERATOR_KEYS: `alice:${OPERATOR_KEY},bob:${SECOND_OPERATOR_KEY}` } });
});
after(async () => {
  await stack?.stop();
});

const ADA = 'DE89370400440532013000';
const beneficiaries = {
  clean: { name: 'Claire Dubois', iban: 'FR7630006000011234567890189', bic: 'BNPAFRPP', country: 'FR', address: { line: '1 rue de Rivoli', city: 'Paris' }, currency: 'EUR' },
  listed: { name: 'Viktor Sanctionov', iban: 'NL20INGB0001234567', bic: 'INGBNL2A', country: 'NL', address: { line: 'Damrak 1', city: 'Amsterdam' }, currency: 'EUR' },
  closed: { name: 'Old Account Ltd', iban: 'GB29NWBK60161331926819', bic: 'NWBKGB2L', country: 'GB', address: { line: '1 Lombard St', city: 'London' }, currency: 'GBP' },
  returns: { name: 'Javier Ruiz', iban: 'ES9121000418450200051332', bic: 'CAIXESBB', country: 'ES', address: { line: 'Gran Via 1', city: 'Madrid' }, currency: 'EUR' },
  yen: { name: 'Sato Hanako', accountNumber: '1234567', bic: 'MHCBJPJT', country: 'JP', address: { line: '1-1 Marunouchi', city: 'Tokyo' }, currency: 'JPY' },
  dinar: { name: 'Fatima Al-Sabah', iban: 'KW81CBKU0000000000001234560101', bic: 'CBKUKWKW', country: 'KW', address: { line: 'Gulf Road 1', city: 'Kuwait City' }, currency: 'KWD' },
};

const transferBody = (overrides: Record<string, unknown> = {}) => ({
  debtor: { iban: ADA, currency: 'EUR' },
  beneficiary: beneficiaries.clean,
  amount: { value: '1000.00', currency: 'EUR' },
  chargeBearer: 'SHAR',
  remittanceInformation: 'Invoice 2027-041',
  ...overrides,
});

async function startTransfer(overrides: Record<string, unknown> = {}, faults: Array<[string, Record<string, unknown>]> = [], prefer?: string) {
  const { idempotencyKey, sagaId } = sagaKey();
  for (const [service, fault] of faults) await injectFault(stack.backendsUrl, service, { ...fault, sagaId });
  const answer = await call(stack.apiUrl, 'POST', '/v1/transfers', { body: transferBody(overrides), idempotencyKey, prefer });
  assert.ok([200, 202].includes(answer.status), JSON.stringify(answer.body));
  return answer.body;
}

async function settledTransfer(overrides: Record<string, unknown> = {}) {
  const started = await startTransfer(overrides, [], 'wait=40');
  return waitForView(stack.apiUrl, started.id, (v) => v.status !== 'RUNNING' && v.status !== 'COMPENSATING', 60_000);
}

/** What the core system, the currency desk and the network hold for the saga, as `service:kind:status`. */
async function states(sagaId: string): Promise<string[]> {
  const out: string[] = [];
  for (const service of ['corebanking', 'fx', 'network']) {
    for (const r of await backendRecords(stack.backendsUrl, service, sagaId)) if (r.kind !== 'pair-quote') out.push(`${service}:${r.kind}:${r.status}`);
  }
  return out.sort();
}

async function postingOf(sagaId: string): Promise<Array<{ Account: string; AmountMinor: number; Currency: string }>> {
  const postings = (await backendRecords(stack.backendsUrl, 'corebanking', sagaId)).filter((r) => r.kind === 'posting');
  assert.equal(postings.length, 1, 'one posting');
  return postings[0]!.lines;
}

function netPerCurrency(lines: Array<{ AmountMinor: number; Currency: string }>): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const l of lines) sums[l.Currency] = (sums[l.Currency] ?? 0) + l.AmountMinor;
  return sums;
}

const review = (id: string, key: string, decision: 'approve' | 'refuse') =>
  call(stack.apiUrl, 'POST', `/v1/ops/transfers/${id}/review`, { key, body: { decision, reason: `${decision}: the list entry is another person (checked date of birth)` } });

function callback(body: string, signature: string | null) {
  return fetch(`${stack.apiUrl}/v1/callbacks/payment-network`, { method: 'POST', headers: { 'content-type': 'application/xml', ...(signature ? { 'x-network-signature': signature } : {}) }, body });
}

describe('cross-border transfer', { concurrency: true }, () => {
  it('a clean transfer settles: held, sent, reported, posted as a balanced double entry, notified', async () => {
    const view = await settledTransfer();
    assert.equal(view.status, 'COMPLETED', JSON.stringify(view.error));
    assert.deepEqual(view.steps.map((s: any) => s.name), ['screenParties', 'holdFunds', 'submitPayment', 'postTransfer', 'notifyTransfer']);
    assert.deepEqual(await states(view.id), ['corebanking:hold:POSTED', 'corebanking:posting:POSTED', 'network:payment:ACSC']);
    const lines = await postingOf(view.id);
    assert.deepEqual(netPerCurrency(lines), { EUR: 0 });
    assert.deepEqual(lines.map((l) => [l.Account, l.AmountMinor]), [[ADA, -100_500], ['FEES-EUR', 500], ['NOSTRO-EUR', 100_000]]);
    const [payment] = await backendRecords(stack.backendsUrl, 'network', view.id);
    assert.equal(payment!.reference, view.uetr, 'the UETR is the payment\'s reference on the network');
    assert.equal(payment!.reportDelivery.status, 200);
    assert.equal(view.network.via, 'report');
    const [message] = await backendRecords(stack.backendsUrl, 'notifications', view.id);
    assert.deepEqual([message!.template, message!.data.arrives, message!.data.fee], ['transfer-settled', '1000.00 EUR', '5.00 EUR']);
  });

  it('JPY and KWD amounts are exact: 1000.00 EUR sent is 162450 JPY; 12.345 KWD to arrive costs 37.27 EUR', async () => {
    const [yen, dinar] = await Promise.all([
      settledTransfer({ beneficiary: beneficiaries.yen }),
      settledTransfer({ beneficiary: beneficiaries.dinar, amountIs: 'received', amount: { value: '12.345', currency: 'KWD' } }),
    ]);
    assert.equal(yen.status, 'COMPLETED', JSON.stringify(yen.error));
    assert.equal(dinar.status, 'COMPLETED', JSON.stringify(dinar.error));
    const [yenPayment] = await backendRecords(stack.backendsUrl, 'network', yen.id);
    assert.deepEqual([yenPayment!.amountMinor, yenPayment!.currency], [162_450, 'JPY']);
    const [dinarPayment] = await backendRecords(stack.backendsUrl, 'network', dinar.id);
    assert.deepEqual([dinarPayment!.amountMinor, dinarPayment!.currency], [12_345, 'KWD']);
    assert.deepEqual(dinar.result.debited, { minor: 3_727 + 500, currency: 'EUR' });
    for (const view of [yen, dinar]) {
      const sums = netPerCurrency(await postingOf(view.id));
      assert.deepEqual(Object.values(sums), [0, 0], JSON.stringify(sums));
      assert.ok((await states(view.id)).includes('fx:pair-lock:LOCKED'));
    }
  });

  it('insufficient funds is a refusal: the rate lock is released and nothing is sent', async () => {
    const view = await settledTransfer({ debtor: { iban: 'DE44500105175407324931', currency: 'EUR' }, beneficiary: beneficiaries.yen });
    assert.equal(view.status, 'COMPENSATED');
    assert.equal(view.error.type, 'InsufficientFunds');
    assert.deepEqual(await states(view.id), ['fx:pair-lock:RELEASED']);
  });

  it('a network rejection after submission releases the hold and the rate, and ends COMPENSATED with the reason', async () => {
    const view = await settledTransfer({ beneficiary: beneficiaries.closed });
    assert.equal(view.status, 'COMPENSATED');
    assert.equal(view.error.type, 'NetworkRejected');
    assert.match(view.error.message, /AC04 closed account/);
    assert.deepEqual(await states(view.id), ['corebanking:hold:RELEASED', 'fx:pair-lock:RELEASED', 'network:payment:RJCT']);
  });

  it('a lost report is settled by the status request (pacs.028); forged, unsigned and unknown reports meanwhile change nothing', async () => {
    const started = await startTransfer({}, [['network', { op: 'report', mode: 'drop', count: 1 }]]);
    // The audit writes before the submission open the embedded store (seconds each on a busy machine).
    const waiting = await waitForView(stack.apiUrl, started.id, (v) => v.steps.some((s: any) => s.name === 'submitPayment'), 90_000);
    await waitFor('the network to settle', async () => (await backendRecords(stack.backendsUrl, 'network', started.id))[0]?.status === 'ACSC');
    const forged = pacs002Xml({ msgId: 'FORGED1', originalMsgId: started.id, uetr: waiting.uetr, status: 'RJCT', reason: 'AC04' }, new Date().toISOString());
    assert.equal((await callback(forged, null)).status, 401, 'unsigned');
    assert.equal((await callback(forged, signNetworkBody('not-the-network-secret-at-all-000000', forged))).status, 401, 'badly signed');
    assert.equal((await callback(forged, signNetworkBody(DEV_NETWORK_SECRET, forged, Math.floor(Date.now() / 1000) - 3_600))).status, 401, 'signed an hour ago');
    const unknown = pacs002Xml({ msgId: 'UNKNOWN1', originalMsgId: started.id, uetr: '00000000-0000-4000-8000-000000000000', status: 'RJCT', reason: 'AC04' }, new Date().toISOString());
    assert.equal((await callback(unknown, signNetworkBody(DEV_NETWORK_SECRET, unknown))).status, 404, 'unknown UETR');
    const view = await waitForView(stack.apiUrl, started.id, (v) => v.status === 'COMPLETED', 60_000);
    assert.equal(view.network.via, 'status-request');
    assert.deepEqual(await states(view.id), ['corebanking:hold:POSTED', 'corebanking:posting:POSTED', 'network:payment:ACSC']);
    assert.deepEqual(await unfiredFaults(stack.backendsUrl, ['network'], view.id), []);
  });

  it('a duplicate report after settlement is harmless, and the same signed message again is refused as a replay', async () => {
    const view = await settledTransfer();
    const late = pacs002Xml({ msgId: `LATE${view.id.slice(-8)}`, originalMsgId: view.id, uetr: view.uetr, status: 'RJCT', reason: 'AM05' }, new Date().toISOString());
    const signature = signNetworkBody(DEV_NETWORK_SECRET, late);
    assert.equal((await callback(late, signature)).status, 200);
    assert.equal((await callback(late, signature)).status, 409);
    assert.deepEqual(await states(view.id), ['corebanking:hold:POSTED', 'corebanking:posting:POSTED', 'network:payment:ACSC']);
    assert.equal((await call(stack.apiUrl, 'GET', `/v1/sagas/${view.id}`)).body.status, 'COMPLETED');
  });

  it('a return (pacs.004) starts a linked return saga that credits the customer; both views link', async () => {
    const view = await settledTransfer({ beneficiary: beneficiaries.returns });
    assert.equal(view.status, 'COMPLETED');
    const returned = await waitForView(stack.apiUrl, `${view.id}-return`, (v) => v.status === 'COMPLETED', 60_000);
    assert.equal(returned.transferId, view.id);
    assert.match(returned.reason, /MD07 beneficiary deceased/);
    const credit = (await backendRecords(stack.backendsUrl, 'corebanking', returned.id)).find((r) => r.kind === 'posting')!;
    assert.deepEqual(credit.lines.find((l: any) => l.Account === ADA), { Account: ADA, AmountMinor: 100_000, Currency: 'EUR' });
    assert.deepEqual(netPerCurrency(credit.lines), { EUR: 0 });
    const linked = await call(stack.apiUrl, 'GET', `/v1/transfers/${view.id}`);
    assert.deepEqual(linked.body.return, { sagaId: returned.id, status: 'COMPLETED' });
  });
});

describe('cross-border transfer, compliance review', { concurrency: true }, () => {
  it('a potential match waits for two different officers; one officer twice is a 409; then it settles', async () => {
    const started = await startTransfer({ beneficiary: beneficiaries.listed });
    const waiting = await waitForView(stack.apiUrl, started.id, (v) => v.awaiting?.for === 'complianceReview');
    assert.equal(waiting.screening.matches[0].listEntry, 'EU-CFSP-2024/1187');
    assert.deepEqual(await states(started.id), [], 'nothing is held while it waits');
    assert.equal((await review(started.id, OPERATOR_KEY, 'approve')).status, 200);
    assert.equal((await review(started.id, OPERATOR_KEY, 'approve')).status, 409);
    assert.equal((await call(stack.apiUrl, 'POST', `/v1/ops/transfers/${started.id}/review`, { body: { decision: 'approve', reason: 'x' } })).status, 403, 'a client key is no officer');
    assert.equal((await review(started.id, SECOND_OPERATOR_KEY, 'approve')).status, 200);
    const view = await waitForView(stack.apiUrl, started.id, (v) => v.status === 'COMPLETED', 60_000);
    assert.deepEqual(view.reviews.map((r: any) => [r.operator, r.decision]), [['alice', 'approve'], ['bob', 'approve']]);
  });

  it('one refusal ends it with nothing held', async () => {
    const started = await startTransfer({ beneficiary: beneficiaries.listed });
    await waitForView(stack.apiUrl, started.id, (v) => v.awaiting?.for === 'complianceReview');
    assert.equal((await review(started.id, SECOND_OPERATOR_KEY, 'refuse')).status, 200);
    const view = await waitForView(stack.apiUrl, started.id, (v) => v.status === 'COMPENSATED');
    assert.equal(view.error.type, 'ComplianceRefused');
    assert.deepEqual(await states(view.id), []);
  });

  it('no two approvals before the deadline: it ends with nothing held', async () => {
    const started = await startTransfer({ beneficiary: beneficiaries.listed, reviewSeconds: 2 });
    await waitForView(stack.apiUrl, started.id, (v) => v.awaiting?.for === 'complianceReview');
    assert.equal((await review(started.id, OPERATOR_KEY, 'approve')).status, 200);
    const view = await waitForView(stack.apiUrl, started.id, (v) => v.status === 'COMPENSATED');
    assert.equal(view.error.type, 'ComplianceReviewTimeout');
    assert.deepEqual(await states(view.id), []);
    assert.equal((await review(started.id, SECOND_OPERATOR_KEY, 'approve')).status, 409, 'too late');
  });

  it('names the field of each error at the door', async () => {
    const answer = await call(stack.apiUrl, 'POST', '/v1/transfers', { body: transferBody({ debtor: { iban: 'DE89370400440532013001', currency: 'EUR' }, amount: { value: '10.5', currency: 'JPY' }, amountIs: 'received', beneficiary: beneficiaries.yen }) });
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    const text = JSON.stringify(answer.body);
    assert.match(text, /debtor\.iban|debtor\/iban|"iban"/);
    assert.match(text, /no minor unit/);
  });
});
