import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PostingLine, TransferInput } from '../../src/domain/transfer';
import { TransferRequestSchema } from '../../src/domain/transfer-request';
import { Context } from '@temporalio/activity';
import { reportAttempts } from '../../src/activities/attempts';
import { networkRejection } from '../../src/activities/transfer-activities';
import type { AuditEntryInput } from '../../src/domain/audit';
import { complianceReviewUpdate, crossBorderTransfer } from '../../src/workflows/cross-border-transfer';
import { operatorActionUpdate } from '../../src/workflows/messages';
import { sagaStateQuery } from '../../src/workflows/saga';
import { transferReturn } from '../../src/workflows/transfer-return';
import { waitFor } from '../support/http';
import { businessRejection, fastTuning, mockActivities, startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';

let env: WorkflowEnv;
before(async () => {
  env = await startWorkflowEnv();
});
after(async () => {
  await env?.teardown();
});

const request = (overrides: Record<string, unknown> = {}) =>
  TransferRequestSchema.parse({
    debtor: { iban: 'DE89370400440532013000', currency: 'EUR' },
    beneficiary: { name: 'Claire Dubois', iban: 'FR7630006000011234567890189', bic: 'BNPAFRPP', country: 'FR', address: { line: '1 rue de Rivoli', city: 'Paris' }, currency: 'EUR' },
    amount: { value: '1000.00', currency: 'EUR' },
    ...overrides,
  });
const input = (overrides: Record<string, unknown> = {}): TransferInput => ({ transfer: request(overrides), tuning: fastTuning, requestedBy: { clientId: 'shop', keyId: 'sha256:0123456789ab' } });
const toJpy = { beneficiary: { name: 'Sato Hanako', accountNumber: '1234567', bic: 'MHCBJPJT', country: 'JP', address: { line: '1-1 Marunouchi', city: 'Tokyo' }, currency: 'JPY' } };

type Behaviour = (input: any) => Promise<unknown>;

/**
 * The transfer's activities, mocked: calls are recorded in order, and the posting's lines kept. The audit
 * entries are kept apart (`written`: every attempt, as the store is sent them); with `auditFlaky` each
 * entry's first attempt fails after it was written, as a store whose answer is lost; while `auditDown()`
 * the store cannot be reached.
 */
function mockTransfer(overrides: Record<string, Behaviour> = {}, { auditFlaky = false, auditDown = (): boolean => false } = {}) {
  const written: AuditEntryInput[] = [];
  const auditing = reportAttempts({
    appendAudit: async (entry: AuditEntryInput) => {
      if (auditDown()) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      written.push(entry);
      if (auditFlaky && Context.current().info.attempt === 1) throw new Error('the store applied it, and the answer was lost');
      return { sagaSeq: written.length, globalSeq: written.length, hash: 'h' };
    },
    digestPayment: async () => ({ type: 'pacs.008.001.08', sha256: 'd'.repeat(64) }),
  });
  const posted: PostingLine[][] = [];
  const ok = (value: unknown): Behaviour => async () => value;
  const defaults: Record<string, Behaviour> = {
    screenParties: ok({ screeningId: 's', result: 'CLEAR', matches: [] }),
    lookupScreening: ok({ found: true, status: 'CLEAR' }),
    quotePair: ok({ quoteId: 'q', sell: 'EUR', buy: 'JPY', rateE6: 162_450_000 }),
    lockPair: async (i) => ({ quoteId: i.quoteId, sell: i.sell, buy: i.buy, rateE6: 162_450_000 }),
    releasePair: ok(undefined),
    lookupPair: ok({ found: true, status: 'LOCKED' }),
    holdFunds: ok({ holdId: 'h' }),
    releaseHold: ok(undefined),
    lookupHold: ok({ found: true, status: 'HELD' }),
    submitPayment: ok({ status: 'ACSC', reportMsgId: 'r', via: 'report' }),
    requestStatus: ok({ found: true, status: 'ACSC', report: null }),
    postTransfer: async (i) => {
      posted.push(i.lines);
      return { postingId: 'p' };
    },
    creditReturn: async (i) => {
      posted.push(i.lines);
      return { postingId: 'p2' };
    },
    lookupPosting: ok({ found: true, status: 'POSTED' }),
    notifyTransfer: ok({ messageId: 'm' }),
    sendAlert: ok(undefined),
  };
  const impls = Object.fromEntries(Object.entries(defaults).map(([name, fallback]) => [name, (i: never) => (overrides[name] ?? fallback)(i)]));
  const mocked = mockActivities(impls);
  return { activities: { ...mocked.activities, ...auditing }, calls: mocked.calls, posted, written };
}

const potentialMatch: Behaviour = async () => ({ screeningId: 's', result: 'POTENTIAL_MATCH', matches: [{ party: 'beneficiary', score: 0.9, listEntry: 'EU-CFSP-2024/1187', name: 'Viktor Sanctionov' }] });
const netZero = (lines: PostingLine[]) => [...new Set(lines.map((l) => l.currency))].map((c) => lines.filter((l) => l.currency === c).reduce((s, l) => s + l.minor, 0));

/** Each entry once, in order, as `kind` or `kind step/type/status`, from every attempt the store was sent. */
function trail(written: AuditEntryInput[]): string[] {
  const seen = new Map<string, AuditEntryInput>();
  for (const entry of written) if (!seen.has(entry.key)) seen.set(entry.key, entry);
  return [...seen.values()].map((e) => [e.kind, e.data.step ?? e.data.type, e.data.status].filter((x) => x !== undefined).join(' '));
}

describe('cross-border transfer, audit trail', { concurrency: true }, () => {
  it('a clean transfer writes every entry in order, each under one key however often it is retried', async () => {
    const { activities, written } = mockTransfer({}, { auditFlaky: true });
    const view = await env.execute(crossBorderTransfer, [input(toJpy)], activities);
    assert.equal(view.status, 'COMPLETED', JSON.stringify(view.error));
    assert.deepEqual(trail(written), [
      'status RUNNING',
      'requested',
      'screened',
      'rate',
      'status holdFunds HELD',
      'message-sent pacs.008.001.08',
      'message-received pacs.002.001.10 ACSC',
      'posted',
      'message-sent notification',
      'status COMPLETED',
    ]);
    const keys = new Map<string, number>();
    for (const e of written) keys.set(e.key, (keys.get(e.key) ?? 0) + 1);
    assert.deepEqual([...new Set(keys.values())], [2], 'each entry sent twice (the lost answer, then its retry), always under the same key');
    assert.ok([...keys.keys()].every((k) => k.startsWith(`${view.id}:appendAudit#`)), [...keys.keys()].join());
    const requested = written.find((e) => e.kind === 'requested')!;
    assert.deepEqual(requested.actor, { client: 'shop', keyId: 'sha256:0123456789ab' });
    assert.deepEqual(requested.data.travelRule, { payer: { name: 'Account holder', account: 'DE89370400440532013000' }, payee: { name: 'Sato Hanako', account: '1234567', agent: 'MHCBJPJT', country: 'JP' } });
    assert.equal(requested.data.uetr, view.result!.uetr);
  });

  it('a network rejection: the report with its reason, then each release, then COMPENSATED', async () => {
    const { activities, written } = mockTransfer({
      submitPayment: async () => {
        throw networkRejection('AC04', { sha256: 'f'.repeat(64) });
      },
      requestStatus: async () => ({ found: true, status: 'RJCT', report: null }),
    });
    const view = await env.execute(crossBorderTransfer, [input(toJpy)], activities);
    assert.equal(view.status, 'COMPENSATED');
    assert.deepEqual(trail(written).slice(5), [
      'message-sent pacs.008.001.08',
      'message-received pacs.002.001.10 RJCT',
      'status releaseHold RELEASED',
      'status releasePair RELEASED',
      'status COMPENSATED',
    ]);
    const report = written.find((e) => e.kind === 'message-received')!;
    assert.deepEqual([report.data.reason, report.data.sha256], ['AC04', 'f'.repeat(64)]);
  });
});

describe('cross-border transfer, audit store unreachable', () => {
  it('a write the store does not take is STUCK past its time bound, alerted once, and ends by itself when the store is back', async () => {
    let storeDown = true;
    const alerts: Array<{ kind: string; step: string | null }> = [];
    const { activities, written } = mockTransfer({
      sendAlert: async (alert) => {
        alerts.push(alert);
      },
    }, { auditDown: () => storeDown });
    // The time bound itself is tested in audit-store-down.test.ts; short here, so the test is quick.
    const handle = await env.start(crossBorderTransfer, [{ ...input(), tuning: { ...fastTuning, auditStuckAfterMs: 1_000 } }], activities);
    const stuckStep = async () => (await handle.query(sagaStateQuery)).steps.find((s) => s.name === 'appendAudit#status:started');
    await waitFor('the audit write STUCK', async () => (await stuckStep())?.status === 'STUCK', 20_000);
    const stuckAt = (await stuckStep())!.attempts;
    await waitFor('more rounds while STUCK', async () => ((await stuckStep())?.attempts ?? 0) > stuckAt + 2, 20_000);
    assert.deepEqual(alerts.map((a) => [a.kind, a.step]), [['STUCK', 'appendAudit#status:started']], 'alerted once for the episode');
    storeDown = false;
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED');
    assert.equal(view.steps.find((s) => s.name === 'appendAudit#status:started')?.status, 'SUCCEEDED');
    assert.deepEqual(trail(written).slice(0, 2), ['status RUNNING', 'requested']);
    assert.equal(trail(written).at(-1), 'status COMPLETED');
  });
});

describe('cross-border transfer, operator actions', () => {
  it('a posting refused after the network settled: the operator\'s resolve is in the transfer\'s trail, before its final status', async () => {
    const { activities, written } = mockTransfer({
      postTransfer: async () => {
        throw businessRejection('AccountBlocked', 'corebanking: the account is blocked for postings');
      },
      lookupPosting: async () => ({ found: false, status: null }),
    });
    const handle = await env.start(crossBorderTransfer, [input()], activities);
    await waitFor('postTransfer STUCK', async () => (await handle.query(sagaStateQuery)).steps.some((s) => s.name === 'postTransfer' && s.status === 'STUCK'), 20_000);
    await handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'resolve', step: 'postTransfer', operator: 'carla', reason: 'posted by hand, ticket OPS-7' }] });
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED', JSON.stringify([view.error, view.steps]));
    assert.deepEqual(trail(written).slice(-4), ['operator-action postTransfer', 'posted', 'message-sent notification', 'status COMPLETED']);
    const action = written.find((e) => e.kind === 'operator-action')!;
    assert.deepEqual([action.actor, action.data.action, action.data.reason], [{ operator: 'carla' }, 'resolve', 'posted by hand, ticket OPS-7']);
  });

  it('a payment STUCK without an answer, then found rejected by the network: no operator decision is taken about it any more', async () => {
    let rejected = false;
    const { activities, written } = mockTransfer({
      submitPayment: async () => {
        if (!rejected) throw new Error('no pacs.002 within the timeout');
        throw networkRejection('AC04');
      },
      requestStatus: async () => (rejected ? { found: true, status: 'RJCT', report: null } : { found: false, status: null, report: null }),
      // Keeps the transfer compensating, so that it still takes updates.
      releaseHold: async () => {
        throw businessRejection('HoldLocked', 'corebanking: the hold is locked');
      },
    });
    const handle = await env.start(crossBorderTransfer, [input()], activities);
    const step = async (name: string) => (await handle.query(sagaStateQuery)).steps.find((s) => s.name === name);
    await waitFor('submitPayment STUCK', async () => (await step('submitPayment'))?.status === 'STUCK', 20_000);
    rejected = true;
    await waitFor('the hold\'s release STUCK', async () => (await step('holdFunds'))?.status === 'STUCK', 20_000);
    assert.notEqual((await step('submitPayment'))?.status, 'STUCK');
    await assert.rejects(
      handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'retry', step: 'submitPayment', operator: 'carla', reason: 'send it again' }] }),
      (err: Error) => /submitPayment is \w+; only a STUCK undo/.test(String((err.cause as Error | undefined)?.message ?? err.message)),
    );
    assert.ok(!written.some((e) => e.kind === 'operator-action'), 'no operator action in the trail');
    await handle.terminate('test done');
  });
});

describe('cross-border transfer', { concurrency: true }, () => {
  it('a clean transfer in one currency: screened, held, sent, posted balanced, notified; no rate', async () => {
    const { activities, calls, posted } = mockTransfer();
    const view = await env.execute(crossBorderTransfer, [input()], activities);
    assert.equal(view.status, 'COMPLETED', JSON.stringify(view.error));
    assert.deepEqual(calls, ['screenParties', 'holdFunds', 'submitPayment', 'postTransfer', 'notifyTransfer']);
    assert.deepEqual([view.result!.debited.minor, view.result!.fee.minor, view.result!.arrives.minor], [100_500, 500, 100_000]);
    assert.deepEqual(netZero(posted[0]!), [0]);
    assert.match(view.result!.uetr, /^[0-9a-f-]{36}$/);
  });

  it('a network rejection after submission releases the hold, then the rate, and ends COMPENSATED with the reason', async () => {
    const { activities, calls } = mockTransfer({
      submitPayment: async () => {
        throw networkRejection('AC04');
      },
      requestStatus: async () => ({ found: true, status: 'RJCT', report: null }),
    });
    const view = await env.execute(crossBorderTransfer, [input(toJpy)], activities);
    assert.equal(view.status, 'COMPENSATED');
    assert.equal(view.error!.type, 'NetworkRejected');
    assert.match(view.error!.message, /AC04 closed account/);
    assert.deepEqual(calls.slice(calls.indexOf('submitPayment')), ['submitPayment', 'requestStatus', 'releaseHold', 'releasePair']);
    assert.ok(!calls.includes('postTransfer'));
  });

  it('a pacs.002 RJCT that was lost, found by the status request on a later attempt: released and COMPENSATED, not STUCK', async () => {
    let attempts = 0;
    const { activities, calls } = mockTransfer({
      // Attempt 1: the report is lost (timed out); attempt 2 asks the network first and finds the RJCT.
      submitPayment: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('no pacs.002 within the timeout');
        throw networkRejection('AC04');
      },
      requestStatus: async () => ({ found: true, status: 'RJCT', report: null }),
    });
    const handle = await env.start(crossBorderTransfer, [input(toJpy)], activities);
    const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), 20_000));
    const view = await Promise.race([handle.result(), timeout]);
    if (!view) {
      const stuck = await handle.query(sagaStateQuery);
      await handle.terminate('test done');
      assert.fail(`the transfer did not end by itself: ${stuck.status} ${JSON.stringify(stuck.steps.map((s) => [s.name, s.status]))}`);
    }
    assert.equal(view.status, 'COMPENSATED', JSON.stringify(view.steps.map((s) => [s.name, s.status])));
    assert.equal(view.error!.type, 'NetworkRejected');
    assert.ok(calls.includes('releaseHold') && calls.includes('releasePair'), 'the customer\'s money and the rate are released');
    assert.ok(!calls.includes('postTransfer') && !calls.includes('sendAlert'));
  });

  it('a rejection the network does not confirm (its status says settled) is taken as settled', async () => {
    const { activities, calls } = mockTransfer({
      submitPayment: async () => {
        throw networkRejection('AC04');
      },
    });
    const view = await env.execute(crossBorderTransfer, [input()], activities);
    assert.equal(view.status, 'COMPLETED');
    assert.ok(!calls.includes('releaseHold'));
  });

  it('JPY: the rate is locked, the yen amount exact, and the posting nets to zero in each currency', async () => {
    const { activities, calls, posted } = mockTransfer();
    const view = await env.execute(crossBorderTransfer, [input(toJpy)], activities);
    assert.equal(view.status, 'COMPLETED');
    assert.deepEqual(calls.slice(0, 3), ['screenParties', 'quotePair', 'lockPair']);
    assert.deepEqual(view.result!.arrives, { minor: 162_450, currency: 'JPY' });
    assert.equal(view.result!.rate, '162.450000');
    assert.deepEqual(netZero(posted[0]!), [0, 0]);
  });

  it('insufficient funds: the rate lock is released and nothing is sent', async () => {
    const { activities, calls } = mockTransfer({
      holdFunds: async () => {
        throw businessRejection('InsufficientFunds', 'not enough');
      },
    });
    const view = await env.execute(crossBorderTransfer, [input(toJpy)], activities);
    assert.equal(view.status, 'COMPENSATED');
    assert.equal(view.error!.type, 'InsufficientFunds');
    assert.ok(calls.includes('releasePair') && !calls.includes('submitPayment'));
  });
});

async function awaitingReview(handle: { query: (q: typeof sagaStateQuery) => Promise<{ details: Record<string, unknown> }> }): Promise<void> {
  await waitFor('the transfer to wait for its review', async () => (handle.query(sagaStateQuery).then((v) => (v.details.awaiting as { for?: string } | null)?.for === 'complianceReview')), 10_000);
}

describe('cross-border transfer, compliance review (four eyes)', { concurrency: true }, () => {
  const review = (operator: string, decision: 'approve' | 'refuse') => ({ args: [{ operator, decision, reason: `${operator} checked the list entry` }] as [never] });

  it('waits for two different officers; the same officer twice is refused; then it goes on', async () => {
    const { activities, calls, written } = mockTransfer({ screenParties: potentialMatch });
    const handle = await env.start(crossBorderTransfer, [input()], activities);
    await awaitingReview(handle);
    assert.ok(!calls.includes('holdFunds'), 'nothing is held while it waits');
    await handle.executeUpdate(complianceReviewUpdate, review('alice', 'approve'));
    await waitFor('alice\'s approval in the trail while the second is awaited', async () => written.some((e) => e.kind === 'reviewed' && e.actor?.operator === 'alice'), 10_000);
    await assert.rejects(handle.executeUpdate(complianceReviewUpdate, review('alice', 'approve')), (err: Error) => /already reviewed/.test(String((err.cause as Error | undefined)?.message)));
    const state = await handle.executeUpdate(complianceReviewUpdate, review('bob', 'approve'));
    assert.equal(state.decision, 'APPROVED');
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED');
    assert.deepEqual((view.details.reviews as Array<{ operator: string }>).map((r) => r.operator), ['alice', 'bob']);
    assert.deepEqual(trail(written).slice(2, 6), ['screened', 'reviewed awaitComplianceReview', 'reviewed awaitComplianceReview', 'status awaitComplianceReview APPROVED']);
    assert.deepEqual(written.filter((e) => e.kind === 'reviewed').map((e) => [e.actor?.operator, e.data.decision, e.data.reason]), [['alice', 'approve', 'alice checked the list entry'], ['bob', 'approve', 'bob checked the list entry']]);
    assert.ok(written.filter((e) => e.kind === 'reviewed').every((e) => Number.isFinite(Date.parse(String(e.data.at)))), 'each review has its time');
    assert.equal(written.find((e) => e.kind === 'screened')!.data.matches && (written.find((e) => e.kind === 'screened')!.data.matches as any[])[0].screeningHit.listEntry, 'EU-CFSP-2024/1187');
  });

  it('one refusal ends it with nothing held', async () => {
    const { activities, calls } = mockTransfer({ screenParties: potentialMatch });
    const handle = await env.start(crossBorderTransfer, [input()], activities);
    await awaitingReview(handle);
    await handle.executeUpdate(complianceReviewUpdate, review('alice', 'refuse'));
    const view = await handle.result();
    assert.equal(view.status, 'COMPENSATED');
    assert.equal(view.error!.type, 'ComplianceRefused');
    assert.match(view.error!.message, /refused by alice/);
    assert.deepEqual(calls, ['screenParties']);
  });

  it('no two approvals in time: it ends by itself with nothing held', async () => {
    const { activities, calls } = mockTransfer({ screenParties: potentialMatch });
    const handle = await env.start(crossBorderTransfer, [input({ reviewSeconds: 1 })], activities);
    const view = await handle.result();
    assert.equal(view.status, 'COMPENSATED');
    assert.equal(view.error!.type, 'ComplianceReviewTimeout');
    assert.equal(view.details.complianceReview, 'TIMED_OUT');
    assert.deepEqual(calls, ['screenParties']);
  });
});

describe('transfer return', () => {
  it('credits the customer at the locked rate, balanced, and tells them why', async () => {
    const { activities, calls, posted, written } = mockTransfer();
    const view = await env.execute(transferReturn, [{ transferId: 't', uetr: 'u', customerIban: 'DE89370400440532013000', returned: { minor: 162_450, currency: 'JPY' }, reason: 'MD07', returnMsgId: 'r', messageSha256: 'e'.repeat(64), rateE6: 162_450_000, debitCurrency: 'EUR', tuning: fastTuning }], activities);
    assert.equal(view.status, 'COMPLETED');
    assert.deepEqual(view.result!.credited, { minor: 100_000, currency: 'EUR' });
    assert.deepEqual(calls, ['creditReturn', 'notifyTransfer']);
    assert.deepEqual(netZero(posted[0]!), [0, 0]);
    assert.match(view.result!.reason, /MD07 beneficiary deceased/);
    assert.deepEqual(trail(written), ['status RUNNING', 'message-received pacs.004.001.09', 'posted', 'message-sent notification', 'status COMPLETED']);
    assert.equal(written[1]!.data.sha256, 'e'.repeat(64));
  });
});
