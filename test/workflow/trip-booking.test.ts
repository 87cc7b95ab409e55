import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TripRequest } from '../../src/domain/trip-request';
import { tripBooking } from '../../src/workflows/trip-booking';
import { sagaStateQuery } from '../../src/workflows/saga';
import { priceConfirmationUpdate } from '../../src/workflows/messages';
import { waitFor } from '../support/http';
import { mockTravel, type Behaviour, type SeenCall } from '../support/travel-mocks';
import { tripBody } from '../support/trips';
import { businessRejection, fastTuning, startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';

let env: WorkflowEnv;
before(async () => {
  env = await startWorkflowEnv();
});
after(async () => {
  await env?.teardown();
});

const input = () => ({ trip: { ...tripBody(), priceConfirmationSeconds: 300 } as TripRequest, localSteps: true, tuning: fastTuning });

describe('trip booking, a hold held again', { concurrency: true }, () => {
  it('asks the traveller when the hold comes back at a price beyond the tolerance, and compensates unanswered, newest first', async () => {
    const { activities, seen } = mockTravel({
      holdHotel: async (_input, round) => ({ holdId: `h${round}`, price: { amountMinor: round === 1 ? 20_000 : 25_000, currency: 'EUR' }, expiresAt: '2030-01-01T00:00:00.000Z' }),
      confirmHotel: async () => {
        throw businessRejection('HoldExpired', 'hold lapsed');
      },
    });
    const view = await env.execute(tripBooking, [{ ...input(), trip: { ...input().trip, priceConfirmationSeconds: 1 } }], activities);
    assert.equal(view.status, 'COMPENSATED');
    assert.equal(view.error?.type, 'PriceConfirmationTimeout', 'the new total was put to the traveller, who did not answer');
    assert.match(view.error!.message, /new total of 400\.00 EUR/);
    assert.deepEqual(
      seen.filter((c) => c.step.endsWith(':undo')).map((c) => c.step),
      ['holdHotel#2:undo', 'confirmCar:undo', 'authorizePayment:undo', 'holdCar:undo', 'holdHotel:undo', 'holdFlight:undo', 'lockRate:undo'],
    );
    assert.ok(!seen.some((c) => c.step === 'confirmHotel#2'), 'nothing is confirmed at a price the traveller did not agree to');
  });

  it('confirms the hold made again by its own reference', async () => {
    const { activities, seen } = mockTravel({
      confirmHotel: async (_input, round) => {
        if (round === 1) throw businessRejection('HoldExpired', 'hold lapsed');
        return { confirmation: 'HTL-2' };
      },
    });
    const view = await env.execute(tripBooking, [input()], activities);
    assert.equal(view.status, 'COMPLETED');
    const again = seen.find((c) => c.step === 'holdHotel#2')!;
    const confirm = seen.find((c) => c.step === 'confirmHotel#2')!;
    assert.deepEqual(confirm.input, { reference: again.key });
    assert.equal((view.result as { hotelConfirmation: string }).hotelConfirmation, 'HTL-2');
  });
});

const heldAt = (prices: number[]): Behaviour => async (_input, round) => ({ holdId: `h${round}`, price: { amountMinor: prices[round - 1], currency: 'EUR' }, expiresAt: '2030-01-01T00:00:00.000Z' });
const lapsesOnce: Behaviour = async (_input, round) => {
  if (round === 1) throw businessRejection('HoldExpired', 'hold lapsed');
  return { confirmation: 'HTL-2' };
};
const captures = (seen: SeenCall[]) => seen.filter((c) => c.activity === 'capturePayment').map((c) => (c.input as { amountMinor: number }).amountMinor);
const authorizations = (seen: SeenCall[]) => seen.filter((c) => c.activity === 'authorizePayment').map((c) => (c.input as { amount: { amountMinor: number } }).amount.amountMinor);

describe('trip booking, the total the traveller agreed to', { concurrency: true }, () => {
  it('drift does not compound: +4.5% then +4.3% on the hotel is measured against the quote, and asked', async () => {
    const { activities, seen } = mockTravel({ holdHotel: heldAt([20_900, 21_799]), confirmHotel: lapsesOnce });
    const handle = await env.start(tripBooking, [input()], activities);
    const waiting = await waitFor('the saga to ask the traveller', async () => {
      const view = await handle.query(sagaStateQuery);
      return view.details.awaiting || view.status !== 'RUNNING' ? view : null;
    });
    assert.deepEqual((waiting.details.awaiting as { quotedTotal: unknown }).quotedTotal, { amountMinor: 35_000, currency: 'EUR' }, 'the quote, not the first hold');
    await handle.executeUpdate(priceConfirmationUpdate, { args: [{ accept: true }] });
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED');
    assert.deepEqual(authorizations(seen), [35_900, 899], 'the first total within the tolerance, then the difference the traveller accepted');
    assert.deepEqual(captures(seen), [35_900, 899]);
    assert.deepEqual(view.result?.total, { amountMinor: 36_799, currency: 'EUR' });
  });

  it('a hold taken again cheaper, within the tolerance: no new authorization, the capture is the new total', async () => {
    const { activities, seen } = mockTravel({ holdHotel: heldAt([20_000, 19_500]), confirmHotel: lapsesOnce });
    const view = await env.execute(tripBooking, [input()], activities);
    assert.equal(view.status, 'COMPLETED');
    assert.deepEqual(authorizations(seen), [35_000]);
    assert.deepEqual(captures(seen), [34_500], 'the rest of the authorization is released');
    assert.deepEqual((view.details.legs as any).hotel, { agreed: { amountMinor: 20_000, currency: 'EUR' }, held: { amountMinor: 19_500, currency: 'EUR' } });
  });
});

describe('trip booking, the traveller\'s answer', () => {
  it('answers the same answer again as the first (a retry after a lost response) and refuses the other one', async () => {
    let release = () => {};
    const authorizing = new Promise<void>((resolve) => (release = resolve));
    const { activities, seen } = mockTravel({
      holdFlight: async () => ({ holdId: 'h', price: { amountMinor: 12_000, currency: 'EUR' }, expiresAt: '2030-01-01T00:00:00.000Z' }),
      authorizePayment: async () => {
        await authorizing;
        return { authorizationId: 'a' };
      },
    });
    const handle = await env.start(tripBooking, [input()], activities);
    const waiting = await waitFor('the saga to ask the traveller', async () => {
      const view = await handle.query(sagaStateQuery);
      return view.details.awaiting || view.status !== 'RUNNING' ? view : null;
    });
    assert.equal(waiting.status, 'RUNNING', JSON.stringify(waiting));
    const answer = () => handle.executeUpdate(priceConfirmationUpdate, { args: [{ accept: true }] });
    assert.deepEqual(await answer(), { accepted: true });
    await waitFor('the payment to be asked for', async () => seen.some((c) => c.activity === 'authorizePayment'));
    assert.deepEqual(await answer(), { accepted: true }, 'the same answer again, after the wait ended');
    await assert.rejects(handle.executeUpdate(priceConfirmationUpdate, { args: [{ accept: false }] }), (err: Error) => /already accepted/.test(String((err.cause as Error | undefined)?.message)));
    release();
    assert.equal((await handle.result()).status, 'COMPLETED');
  });
});
