/**
 * Only a definite answer decides (issue 21): an unknown one is settled by the look-up, whose stored result
 * the saga goes on with; a refusal after an unknown attempt proves nothing; an undo or a step after the
 * pivot that never gets a definite answer is STUCK, alerted and still retried, and the saga answers reads.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import type { TripRequest } from '../../src/domain/trip-request';
import { operatorActionUpdate } from '../../src/workflows/messages';
import { sagaStateQuery } from '../../src/workflows/saga';
import { tripBooking } from '../../src/workflows/trip-booking';
import { waitFor } from '../support/http';
import { tripBody } from '../support/trips';
import { businessRejection, fastTuning, startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';
import { mockTravel } from '../support/travel-mocks';

let env: WorkflowEnv;
before(async () => {
  env = await startWorkflowEnv();
});
after(async () => {
  await env?.teardown();
});

const input = () => ({ trip: { ...tripBody(), priceConfirmationSeconds: 300 } as TripRequest, localSteps: true, tuning: fastTuning });
/** What the HTTP client threw for an unreadable 2xx before it was retried: a non-retryable failure. */
const unreadable = (what: string) => ApplicationFailure.nonRetryable(`${what} answered something malformed: the body is not JSON`, 'MalformedResponse');


const stepOf = (view: any, name: string) => view.steps.find((s: any) => s.name === name);

describe('only a definite answer decides', { concurrency: true }, () => {
  it('a ticket issued but answered unreadably: sent again under its key, the activity\'s own answer (not the look-up\'s raw one) completes the trip', async () => {
    const { activities, count, seen } = mockTravel({
      // The activity reshapes the backend's { ticketNumber, status }; its stored reply, sent again, maps the same way.
      issueTicket: async (_input, round) => {
        if (round === 1) throw unreadable('flights /tickets');
        return { ticketNumber: 'TKT-RESENT' };
      },
      lookupFlight: async () => ({ found: true, status: 'TICKETED', result: { ticket_number: 'TKT-RAW', state: 'TICKETED' } }),
    });
    const view = await env.execute(tripBooking, [input()], activities);
    assert.equal(view.status, 'COMPLETED', JSON.stringify(view.error));
    assert.equal((view.result as { ticketNumber: string }).ticketNumber, 'TKT-RESENT');
    const keys = new Set(seen.filter((c) => c.activity === 'issueTicket').map((c) => c.key));
    assert.equal(count('issueTicket'), 2);
    assert.equal(keys.size, 1, 'sent again under the same Idempotency-Key');
    assert.equal(count('capturePayment'), 1);
    assert.equal(count('sendItinerary'), 1);
  });

  it('a ticket the look-up finds issued whose answer stays unreadable when sent again is STUCK for an operator, never compensated', async () => {
    const { activities, count } = mockTravel({
      issueTicket: async () => {
        throw unreadable('flights /tickets');
      },
      lookupFlight: async () => ({ found: true, status: 'TICKETED', result: { ticket_number: 'TKT-RAW' } }),
    });
    const handle = await env.start(tripBooking, [input()], activities);
    const stuck = await waitFor('the ticket to be STUCK', async () => {
      const view = await handle.query(sagaStateQuery);
      return stepOf(view, 'issueTicket')?.status === 'STUCK' || view.status !== 'RUNNING' ? view : null;
    }, 30_000);
    assert.equal(stuck.status, 'RUNNING', JSON.stringify(stuck.error));
    assert.ok(count('issueTicket') >= 2, 'sent again once the look-up found it applied');
    assert.equal(count('lookupFlight'), 1, 'asked once: the look-up said it applied');
    assert.equal(count('voidPayment') + count('cancelHotel') + count('releaseFlight') + count('capturePayment'), 0);
    // The alert is sent, not waited for (no-silent-waits): it may reach the webhook just after the view says STUCK.
    await waitFor('the operator to be alerted', async () => count('sendAlert') >= 1, 10_000);
    assert.equal(count('sendAlert'), 1);
    await handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'resolve', step: 'issueTicket', operator: 'ops', reason: 'ticketed, seen at the airline' }] });
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED');
    assert.equal((view.result as { ticketNumber: string | null }).ticketNumber, null);
  });

  it('a hold refused on a retry after an attempt with no answer keeps its undo', async () => {
    const { activities, seen } = mockTravel({
      holdFlight: async (_input, round) => {
        if (round === 1) throw new Error('flights POST /holds: timed out');
        throw businessRejection('SoldOut', 'no seats');
      },
    });
    const view = await env.execute(tripBooking, [input()], activities);
    assert.equal(view.status, 'COMPENSATED');
    assert.ok(seen.some((c) => c.step === 'holdFlight:undo'), `the hold the first attempt may have made is released: ${seen.map((c) => c.step).join(', ')}`);
  });

  it('a pivot refused on a retry after an attempt with no answer is never compensated: STUCK for an operator', async () => {
    const { activities, count } = mockTravel({
      issueTicket: async (_input, round) => {
        if (round === 1) throw new Error('flights POST /tickets: timed out');
        throw ApplicationFailure.nonRetryable('flights: request in progress', 'BackendRejected');
      },
    });
    const handle = await env.start(tripBooking, [input()], activities);
    const stuck = await waitFor('the ticket to be STUCK', async () => {
      const view = await handle.query(sagaStateQuery);
      return stepOf(view, 'issueTicket')?.status === 'STUCK' || view.status !== 'RUNNING' ? view : null;
    }, 30_000);
    assert.equal(stuck.status, 'RUNNING', JSON.stringify(stuck.error));
    assert.equal(count('voidPayment') + count('cancelHotel') + count('releaseFlight'), 0, 'nothing undone');
    // The alert goes out beside the STUCK view, not before it: on a loaded machine it may come a moment later.
    await waitFor('the operator to be alerted', async () => count('sendAlert') >= 1, 10_000);
    assert.equal(count('sendAlert'), 1);
    await handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'resolve', step: 'issueTicket', operator: 'ops', reason: 'ticketed, seen at the airline' }] });
    assert.equal((await handle.result()).status, 'COMPLETED');
  });
});

describe('no silent waits', { concurrency: true }, () => {
  it('an undo whose answer is never readable is STUCK, alerted once, still retried, and the undos after it run', async () => {
    const { activities, count } = mockTravel({
      holdHotel: async () => {
        throw businessRejection('SoldOut', 'PAR-OPERA is sold out');
      },
      releaseFlight: async () => {
        throw unreadable('flights /holds/release');
      },
    });
    const handle = await env.start(tripBooking, [input()], activities);
    const stuck = await waitFor('the flight release to be STUCK and the rate released', async () => {
      const view = await handle.query(sagaStateQuery);
      return stepOf(view, 'holdFlight')?.status === 'STUCK' && stepOf(view, 'lockRate')?.status === 'COMPENSATED' ? view : null;
    }, 30_000);
    assert.equal(stuck.status, 'COMPENSATING');
    assert.equal(stepOf(stuck, 'lockRate').status, 'COMPENSATED');
    assert.equal(stepOf(stuck, 'holdCar').status, 'COMPENSATED');
    const tries = count('releaseFlight');
    await waitFor('the release to be tried again', async () => count('releaseFlight') > tries, 10_000);
    // The alert goes out beside the STUCK view, not before it: on a loaded machine it may come a moment later.
    await waitFor('the operator to be alerted', async () => count('sendAlert') >= 1, 10_000);
    assert.equal(count('sendAlert'), 1);
    await handle.terminate('test done');
  });

  it('a local step after the pivot that keeps failing is STUCK, answers reads, and ends by itself once it recovers', async () => {
    let down = true;
    const { activities, count } = mockTravel({
      sendItinerary: async () => {
        if (down) throw new Error('notifications POST /messages: HTTP 503');
        return { messageId: 'm' };
      },
    });
    const handle = await env.start(tripBooking, [input()], activities);
    const stuck = await waitFor('the itinerary to be STUCK', async () => {
      const view = await handle.query(sagaStateQuery);
      return stepOf(view, 'sendItinerary')?.status === 'STUCK' ? view : null;
    }, 30_000);
    assert.equal(stuck.status, 'RUNNING');
    // The alert goes out beside the STUCK view, not before it: on a loaded machine it may come a moment later.
    await waitFor('the operator to be alerted', async () => count('sendAlert') >= 1, 10_000);
    assert.equal(count('sendAlert'), 1);
    const sent = count('sendItinerary');
    await waitFor('the itinerary to be retried while STUCK', async () => count('sendItinerary') > sent, 10_000);
    down = false;
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED');
    assert.equal(stepOf(view, 'sendItinerary').status, 'SUCCEEDED');
  });

  it('a local step before the pivot that keeps failing does not hold the saga\'s reads: the query answers within two seconds', async () => {
    const { activities, count } = mockTravel({
      quoteFlight: async (_input, round) => {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        if (round < 5) throw new Error('flights POST /quotes: HTTP 503');
        return { offerId: 'f', price: { amountMinor: 10_000, currency: 'EUR' } };
      },
    });
    const handle = await env.start(tripBooking, [input()], activities);
    await waitFor('the quote to fail twice', async () => count('quoteFlight') >= 3, 20_000);
    const answered = await Promise.race([
      handle.query(sagaStateQuery),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 2_000)),
    ]);
    assert.ok(answered && stepOf(answered, 'quoteFlight'), `the saga answered ${JSON.stringify(answered)}`);
    assert.equal((await handle.result()).status, 'COMPLETED');
  });
});
