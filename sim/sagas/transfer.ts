import fc from 'fast-check';
import { CompleteAsyncError, Context } from '@temporalio/activity';
import { networkRejection } from '../../src/activities/transfer-activities';
import { failureFor } from '../../src/activities/http-client';
import type { SagaView } from '../../src/domain/saga';
import type { TransferInput, TransferResult } from '../../src/domain/transfer';
import { TransferRequestSchema } from '../../src/domain/transfer-request';
import { complianceReviewUpdate, crossBorderTransfer, transferSteps } from '../../src/workflows/cross-border-transfer';
import type { CallSpecs } from '../backend-calls';
import { engineSpecs, plansFrom, simTuning, type SagaSim, type SimContext } from '../saga-sim';
import { acceptPayment, CORE, debitedIn, deliverReport, NETWORK, networkDecides, transferLedgerChecks, type Posting } from '../transfer-world';

interface Review {
  operator: 'alice' | 'bob' | 'carol';
  decision: 'approve' | 'refuse';
  atMs: number;
}

interface Params {
  /** The beneficiary's currency; the customer's account is in EUR, so JPY and KWD lock a rate. */
  currency: 'EUR' | 'JPY' | 'KWD';
  screening: 'CLEAR' | 'POTENTIAL_MATCH';
  /** Compliance officers' reviews, at random moments after the screening answered. */
  reviews: Review[];
  reviewSeconds: number;
  /** What the network decides, when, and whether its pacs.002 reaches sagaway (else the pacs.028 finds it). */
  network: 'ACSC' | 'RJCT';
  reason: 'AC04' | 'AM05' | 'RR04';
  reportMs: number;
  reportLost: boolean;
}

const DEBTOR = 'DE89370400440532013000';
const RATES: Record<Params['currency'], number> = { EUR: 1_000_000, JPY: 162_450_000, KWD: 330_000 };
const BENEFICIARY: Record<Params['currency'], object> = {
  EUR: { name: 'Claire Dubois', iban: 'FR7630006000011234567890189', bic: 'BNPAFRPP', country: 'FR', address: { line: '1 rue de Rivoli', city: 'Paris' } },
  JPY: { name: 'Sato Hanako', accountNumber: '1234567', bic: 'MHCBJPJT', country: 'JP', address: { line: '1-1 Marunouchi', city: 'Tokyo' } },
  KWD: { name: 'Fatima Al-Sabah', accountNumber: '1234560101', bic: 'NBOKKWKW', country: 'KW', address: { line: 'Gulf Road 1', city: 'Kuwait City' } },
};

const review = fc.record({ operator: fc.constantFrom('alice' as const, 'bob' as const, 'carol' as const), decision: fc.constantFrom('approve' as const, 'approve' as const, 'approve' as const, 'refuse' as const), atMs: fc.integer({ min: 0, max: 1_500 }) });

function specs(p: Params, ctx: SimContext): CallSpecs {
  const { world } = ctx;
  const screening = { screeningId: 'scr-1', result: p.screening, matches: p.screening === 'CLEAR' ? [] : [{ party: 'beneficiary', score: 0.91, listEntry: 'EU-CFSP-2024/1187', name: 'Viktor Sanctionov' }] };
  let reviewsSent = false;
  const reportLater = (uetr: string) =>
    ctx.later(p.reportMs, async (h) => {
      const status = networkDecides(world, uetr, p.network);
      if (p.reportLost || status === 'ACTC') return;
      world.note(`${NETWORK}: pacs.002 ${status} ${await deliverReport(h, uetr, status, status === 'RJCT' ? p.reason : null)}`);
    }, `network ${p.network}${p.reportLost ? ', report lost' : ''}`);
  return {
    screenParties: {
      phase: 'plain',
      backend: 'compliance',
      refusals: ['BackendRejected'],
      apply: (_i, call) => {
        world.applyForward('compliance', call.key, 'screenParties', p.screening, screening, 0);
        if (p.screening === 'POTENTIAL_MATCH' && !reviewsSent) {
          reviewsSent = true;
          for (const r of p.reviews) ctx.later(r.atMs, (h) => h.executeUpdate(complianceReviewUpdate, { args: [{ operator: r.operator, decision: r.decision, reason: `${r.operator} checked the list entry` }] }), `review ${r.decision}`);
        }
        return screening;
      },
    },
    lookupScreening: { phase: 'probe', backend: 'compliance' },
    quotePair: { phase: 'plain', backend: 'fx', answer: (i) => ({ quoteId: 'q-1', sell: i.sell, buy: i.buy, rateE6: RATES[p.currency] }) },
    lockPair: { phase: 'forward', backend: 'fx', status: 'LOCKED', answer: (i) => ({ quoteId: i.quoteId, sell: i.sell, buy: i.buy, rateE6: RATES[p.currency] }), refusals: ['RateExpired'] },
    releasePair: { phase: 'undo', backend: 'fx', status: 'RELEASED' },
    lookupPair: { phase: 'probe', backend: 'fx' },
    holdFunds: { phase: 'forward', backend: CORE, status: 'HELD', answer: (_i, key) => ({ holdId: `hold-${key.slice(-6)}` }), amountMinor: (i) => i.minor, refusals: ['InsufficientFunds', 'AccountBlocked'] },
    releaseHold: { phase: 'undo', backend: CORE, status: 'RELEASED' },
    lookupHold: { phase: 'probe', backend: CORE },
    submitPayment: {
      phase: 'pivot',
      backend: NETWORK,
      apply: (i, call) => {
        if (acceptPayment(world, i.reference, call.key, i.payment.amount.minor).isNew) reportLater(i.reference);
        return undefined;
      },
      // The activity as src/activities/transfer-activities.ts runs it: a later attempt asks the network
      // first (the pacs.028, answered here from the network's ledger), then sends; the report completes it.
      around: async (i, send) => {
        try {
          if (Context.current().info.attempt > 1) {
            const known = world.find(NETWORK, i.reference);
            if (known?.status === 'ACSC') return { status: 'ACSC', reportMsgId: 'sr-1', via: 'status-request' };
            if (known?.status === 'RJCT') throw networkRejection(p.reason);
            if (known) throw new CompleteAsyncError();
          }
          await send();
          throw new CompleteAsyncError();
        } finally {
          // An operator who resolves the submission got it settled by hand; a rejection stays one.
          world.byHandFor.set('submitPayment', () => {
            acceptPayment(world, i.reference, 'by-hand', i.payment.amount.minor);
            networkDecides(world, i.reference, 'ACSC', true);
          });
        }
      },
    },
    requestStatus: { phase: 'probe', backend: NETWORK },
    postTransfer: {
      phase: 'after',
      backend: CORE,
      reference: (i) => i.holdReference,
      apply: (i, call) => {
        const hold = world.find(CORE, i.holdReference);
        if (!hold || hold.undoneAt !== null) throw failureFor(CORE, '/postTransfer', { status: 422, contentType: 'application/problem+json', text: JSON.stringify({ code: 'HoldNotFound', detail: 'no live hold' }) });
        const posting: Posting = { postingId: `pst-${call.key.slice(-6)}`, lines: i.lines };
        world.applyForward(CORE, call.key, 'postTransfer', 'POSTED', posting, 0);
        world.move(CORE, i.holdReference, call.key, 'POSTED', false);
        return { postingId: (world.find(CORE, call.key)!.value as Posting).postingId };
      },
    },
    lookupPosting: { phase: 'probe', backend: CORE },
    notifyTransfer: { phase: 'plain', backend: 'notifications', answer: () => ({ messageId: 'm-1' }) },
    digestPayment: { phase: 'plain', backend: 'worker', answer: () => ({ type: 'pacs.008.001.08', sha256: '0'.repeat(64) }) },
    ...engineSpecs,
  };
}

export const transferSim: SagaSim<Params> = {
  name: 'crossBorderTransfer',
  workflow: crossBorderTransfer,
  plans: plansFrom(transferSteps, { submitPayment: 'pivot', postTransfer: 'after' }),
  params: fc.record({
    currency: fc.constantFrom('EUR' as const, 'JPY' as const, 'KWD' as const),
    screening: fc.constantFrom('CLEAR' as const, 'CLEAR' as const, 'POTENTIAL_MATCH' as const),
    reviews: fc.array(review, { maxLength: 3 }),
    reviewSeconds: fc.integer({ min: 1, max: 2 }),
    network: fc.constantFrom('ACSC' as const, 'ACSC' as const, 'RJCT' as const),
    reason: fc.constantFrom('AC04' as const, 'AM05' as const, 'RR04' as const),
    reportMs: fc.integer({ min: 0, max: 1_500 }),
    reportLost: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  }),
  updates: false,
  specs,
  // Its rate is quoted in the worker (quotePair), beside the screening.
  localFirst: () => true,
  args: (p): [TransferInput] => [
    {
      requestedBy: { clientId: 'sim', keyId: 'sha256:000000000000' },
      transfer: TransferRequestSchema.parse({
        debtor: { iban: DEBTOR, currency: 'EUR' },
        beneficiary: { ...BENEFICIARY[p.currency], currency: p.currency },
        amount: { value: '1000.00', currency: 'EUR' },
        reviewSeconds: p.reviewSeconds,
      }),
      tuning: simTuning,
    },
  ],
  told: (view) => (view as SagaView<TransferResult>).result?.debited.minor ?? 0,
  taken: (world) => debitedIn(world, DEBTOR),
  expectsPivot: () => true,
  ledgerChecks: transferLedgerChecks,
  required: [
    'world network ACSC',
    'world network RJCT',
    'world review approve',
    'world review approve refused',
    'final error NetworkRejected',
    'final error ComplianceRefused',
    'final error ComplianceReviewTimeout',
    'phase pivot',
    'phase after',
    'phase undo',
    'phase probe',
  ],
};
