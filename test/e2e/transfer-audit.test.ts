import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { API_KEY, CLIENT_ID, startStack, type Stack } from '../support/stack';
import { backendRecords, call, injectFault, sagaKey, unfiredFaults, waitForView } from '../support/http';

const AUDITOR_KEY = 'test-auditor-key-0005';
const ADA = 'DE89370400440532013000';
const CLAIRE = { name: 'Claire Dubois', iban: 'FR7630006000011234567890189', bic: 'BNPAFRPP', country: 'FR', address: { line: '1 rue de Rivoli', city: 'Paris' }, currency: 'USD' };
const body = { debtor: { iban: ADA, currency: 'EUR' }, beneficiary: CLAIRE, amount: { value: '1000.00', currency: 'EUR' }, chargeBearer: 'SHAR', remittanceInformation: 'Invoice 2027-041' };

/** The entries of a clean transfer, in order, as `kind` and what it is about. */
const CLEAN_TRAIL = [
  'status RUNNING',
  'requested',
  'screened CLEAR',
  'rate',
  'status holdFunds HELD',
  'message-sent pacs.008.001.08',
  'message-received pacs.002.001.10 ACSC',
  'posted',
  'message-sent notification',
  'status COMPLETED',
];

let stack: Stack;
before(async () => {
  stack = await startStack({ tuning: { stepRetryInitialMs: 20 }, env: { SAGAWAY_AUDITOR_KEYS: `regulator:${AUDITOR_KEY}` } });
});
after(async () => {
  await stack?.stop();
});

interface Entry {
  kind: string;
  key: string;
  sagaSeq: number;
  actor: Record<string, string> | null;
  data: Record<string, any>;
}

async function transfer(faults: Array<[string, Record<string, unknown>]> = []): Promise<Record<string, any>> {
  const { idempotencyKey, sagaId } = sagaKey();
  for (const [service, fault] of faults) await injectFault(stack.backendsUrl, service, { ...fault, count: 1, sagaId });
  const started = await call(stack.apiUrl, 'POST', '/v1/transfers', { body, idempotencyKey, prefer: 'wait=40' });
  assert.ok([200, 202].includes(started.status), JSON.stringify(started.body));
  const view = await waitForView(stack.apiUrl, sagaId, (v) => v.status !== 'RUNNING' && v.status !== 'COMPENSATING', 60_000);
  assert.deepEqual(await unfiredFaults(stack.backendsUrl, faults.map(([service]) => service), sagaId), [], 'every fault hit the saga');
  return view;
}

async function auditOf(sagaId: string): Promise<{ entries: Entry[]; sagaChainIntact: boolean }> {
  const answer = await call(stack.apiUrl, 'GET', `/v1/audit/sagas/${sagaId}`, { key: AUDITOR_KEY });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body as { entries: Entry[]; sagaChainIntact: boolean };
}

const described = (e: Entry) => [e.kind, e.data.step ?? e.data.type, e.data.status ?? e.data.result].filter((x) => x !== undefined).join(' ');

/** Every IBAN of the transfer written in clear outside the Transfer of Funds Regulation's record. */
function clearIbans(entries: Entry[]): string[] {
  const outside = entries.map((e) => ({ ...e, data: { ...e.data, travelRule: undefined } }));
  const text = JSON.stringify(outside);
  return [ADA, CLAIRE.iban].filter((iban) => text.includes(iban));
}

describe('a transfer\'s audit trail, read by an auditor', { concurrency: true }, () => {
  it('a clean transfer: every entry in order, its chain intact, who asked, no IBAN in clear outside the TFR record', async () => {
    const view = await transfer();
    assert.equal(view.status, 'COMPLETED', JSON.stringify(view.error));
    const { entries, sagaChainIntact } = await auditOf(view.id);
    assert.equal(sagaChainIntact, true);
    assert.deepEqual(entries.map(described), CLEAN_TRAIL);
    assert.deepEqual(entries.map((e) => e.sagaSeq), CLEAN_TRAIL.map((_, i) => i + 1));

    const [started, requested] = entries;
    assert.deepEqual(started!.actor, { client: CLIENT_ID }, 'the engine\'s start entry names the client the saga was started for');
    assert.equal(requested!.actor!.client, CLIENT_ID);
    assert.match(requested!.actor!.keyId!, /^sha256:[0-9a-f]{12}$/);
    assert.ok(!JSON.stringify(entries).includes(API_KEY), 'the key itself is never written');
    assert.equal(requested!.data.uetr, view.uetr);
    assert.deepEqual(requested!.data.travelRule.payee, { name: 'Claire Dubois', account: CLAIRE.iban, agent: 'BNPAFRPP', country: 'FR' });
    assert.equal(requested!.data.request.beneficiary.name, 'C. D.');
    assert.deepEqual(clearIbans(entries), []);

    const sent = entries.find((e) => e.kind === 'message-sent' && e.data.type === 'pacs.008.001.08')!;
    const received = entries.find((e) => e.kind === 'message-received')!;
    assert.match(sent.data.sha256, /^[0-9a-f]{64}$/);
    assert.match(received.data.sha256, /^[0-9a-f]{64}$/);
    const posted = entries.find((e) => e.kind === 'posted')!;
    assert.equal(posted.data.postingId, view.result.postingId);
    const [posting] = (await backendRecords(stack.backendsUrl, 'corebanking', view.id)).filter((r) => r.kind === 'posting');
    assert.equal(posted.data.lines.length, posting!.lines.length, 'the posting as the core system booked it');
  });

  it('every step retried after its first attempt applied (connection dropped): each entry written once', async () => {
    const drop = { mode: 'drop' };
    const view = await transfer([
      ['compliance', { op: 'screen', ...drop }],
      ['fx', { op: 'lockPair', ...drop }],
      ['corebanking', { op: 'holdFunds', ...drop }],
      ['network', { op: 'submit', ...drop }],
      ['corebanking', { op: 'postTransfer', ...drop }],
      ['notifications', { op: 'send', ...drop }],
    ]);
    assert.equal(view.status, 'COMPLETED', JSON.stringify(view.error));
    const { entries, sagaChainIntact } = await auditOf(view.id);
    assert.equal(sagaChainIntact, true);
    assert.deepEqual(entries.map(described), CLEAN_TRAIL);
    const received = entries.find((e) => e.kind === 'message-received')!;
    if (received.data.via === 'status-request') assert.match(received.data.statusRequest.answerSha256, /^[0-9a-f]{64}$/);
  });
});

describe('npm run audit -- verify', () => {
  it('verifies the stack\'s store after the transfers', async () => {
    await transfer();
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/audit.ts', 'verify'], { env: { ...process.env, ...stack.launched.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, out);
    assert.match(out, /verified: every entry matches its hash and both chains/);
    const checked = Number(/(\d+) entries checked/.exec(out)?.[1]);
    assert.ok(checked >= CLEAN_TRAIL.length, out);
  });
});
