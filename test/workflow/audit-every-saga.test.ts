/**
 * Every saga type has an audit record (issue 24): its start, each operator action it accepted (who, why,
 * which step, when) and its final status, written through `appendAudit` under keys a retry does not change.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { reportAttempts } from '../../src/activities/attempts';
import type { AuditEntryInput } from '../../src/domain/audit';
import type { TripRequest } from '../../src/domain/trip-request';
import { sagaViewSinks } from '../../src/views/saga-view-store';
import { bikeCheckout, classRegistration, operatorActionUpdate, orderCheckout, tripBooking } from '../../src/workflows';
import { waitFor } from '../support/http';
import { FAST_TUNING, mockOrderActivities, ORDER } from '../support/mock-activities';
import { mockTravel } from '../support/travel-mocks';
import { tripBody } from '../support/trips';
import { workflowBundle } from '../support/workflow-bundle';
import { businessRejection, fastTuning, mockActivities, startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';

let env: WorkflowEnv;
before(async () => {
  env = await startWorkflowEnv();
});
after(async () => {
  await env?.teardown();
});

/** A store that keeps every entry it is sent; `flaky`: each entry's first attempt is stored and its answer lost. */
function auditStore({ flaky = false } = {}) {
  const sent: AuditEntryInput[] = [];
  const activities = reportAttempts({
    appendAudit: async (entry: AuditEntryInput) => {
      sent.push(entry);
      if (flaky && Context.current().info.attempt === 1) throw new Error('the store applied it, and the answer was lost');
      return { sagaSeq: sent.length, globalSeq: sent.length, hash: 'h' };
    },
  });
  /** The entries as a store keyed by (saga, key) holds them: the first of each key, in order. */
  const stored = () => [...new Map(sent.map((e) => [e.key, e] as const)).values()];
  return { activities, sent, stored };
}

const summary = (entries: AuditEntryInput[]) => entries.map((e) => [e.kind, e.data.action, e.data.step, e.data.status].filter((x) => x !== undefined).join(' '));
const refused = (message: string) => async () => {
  throw businessRejection('BackendRejected', message);
};

describe('every saga type writes its start and its final status', { concurrency: true }, () => {
  const cases: Array<[string, () => Promise<{ id: string; status: string }>, ReturnType<typeof auditStore>]> = [];
  const add = (type: string, store: ReturnType<typeof auditStore>, run: () => Promise<{ id: string; status: string }>) => cases.push([type, run, store]);

  const order = auditStore();
  add('order', order, () => env.execute(orderCheckout, [{ order: ORDER, deadlineMs: 30_000, localSteps: false, tuning: FAST_TUNING }], { ...mockOrderActivities().activities, ...order.activities }));
  const trip = auditStore();
  add('trip', trip, () => env.execute(tripBooking, [{ trip: { ...tripBody(), priceConfirmationSeconds: 300 } as TripRequest, localSteps: true, tuning: fastTuning }], { ...mockTravel({}).activities, ...trip.activities }));
  const bike = auditStore();
  const bikeInput = { kioskId: 'kiosk-1', bikes: 1, credentialsPackage: 'sealed', paymentToken: null, sensorTimeoutMs: 30_000, visitorMaxBikes: 2, feePerBike: { amountMinor: 350, currency: 'EUR' as const }, tuning: fastTuning };
  add('bike-checkout', bike, () => env.execute(bikeCheckout, [bikeInput], { ...mockActivities({ verifyRider: refused('idcheck: credentials revoked'), sendAlert: async () => undefined }).activities, ...bike.activities }));
  const classes = auditStore();
  const classInput = { studentId: 's-1001', sectionId: 'CS-101', tuition: { amountMinor: 45_000, currency: 'EUR' as const }, tuning: fastTuning, allocatorMaxHistory: 5_000 };
  add('class-registration', classes, () => env.execute(classRegistration, [classInput], { ...mockActivities({ fetchRegistrationDate: refused('students: no such student'), sendAlert: async () => undefined }).activities, ...classes.activities }));

  for (const [type, run, store] of cases) {
    it(`${type}: RUNNING first, the final status last, each under the saga's own key`, async () => {
      const view = await run();
      const entries = store.stored();
      assert.ok(entries.length >= 2, `${type} wrote ${entries.length} audit entries`);
      assert.deepEqual([summary(entries)[0], summary(entries).at(-1)], ['status RUNNING', `status ${view.status}`]);
      assert.ok(entries.every((e) => e.sagaId === view.id && e.sagaType === type && e.key.startsWith(`${view.id}:appendAudit#`)), JSON.stringify(entries));
    });
  }
});

/** Waits for `step` to be STUCK, then takes `action` on it as operator `operator`. */
async function actWhenStuck(handle: WorkflowHandle, step: string, action: 'retry' | 'resolve', operator: string, reason: string, episode: number) {
  await waitFor(`${step} STUCK (${episode})`, async () => {
    const view = await handle.query<any>('sagaState');
    return (view.audit?.length ?? 0) === episode - 1 && view.steps.some((s: any) => s.name === step && s.status === 'STUCK');
  });
  await handle.executeUpdate(operatorActionUpdate, { args: [{ action, step, operator, reason }] });
}

describe('operator actions are in the audit trail', () => {
  it('an order\'s retry and resolve: who, why, which step and when, once each though every answer of the store is lost once', async () => {
    const store = auditStore({ flaky: true });
    const { activities } = mockOrderActivities({ commitInventory: refused('inventory: reservation is RELEASED, cannot become COMMITTED') });
    const handle = await env.start(orderCheckout, [{ order: ORDER, deadlineMs: 30_000, localSteps: false, tuning: FAST_TUNING }], { ...activities, ...store.activities });
    await actWhenStuck(handle, 'commitInventory', 'retry', 'ana', 'stock recounted', 1);
    await actWhenStuck(handle, 'commitInventory', 'resolve', 'ben', 'committed by hand', 2);
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED');
    const entries = store.stored();
    assert.deepEqual(summary(entries), ['status RUNNING', 'operator-action retry commitInventory', 'operator-action resolve commitInventory', 'status COMPLETED']);
    const actions = entries.filter((e) => e.kind === 'operator-action');
    assert.deepEqual(actions.map((e) => [e.actor, e.data.reason]), [[{ operator: 'ana' }, 'stock recounted'], [{ operator: 'ben' }, 'committed by hand']]);
    for (const e of actions) assert.ok(Number.isFinite(Date.parse(String(e.data.at))), `an action has its time: ${String(e.data.at)}`);
    const sends = new Map<string, number>();
    for (const e of store.sent) sends.set(e.key, (sends.get(e.key) ?? 0) + 1);
    assert.deepEqual([...new Set(sends.values())], [2], 'each entry sent twice (the lost answer, then its retry), under one key');
  });
});

describe('the trail costs the client no round trip through the server', () => {
  it('an order whose store answers at once writes its final status from the worker: the start is its only audit activity', async () => {
    const store = auditStore();
    const handle = await env.start(orderCheckout, [{ order: ORDER, deadlineMs: 30_000, localSteps: false, tuning: FAST_TUNING }], { ...mockOrderActivities().activities, ...store.activities });
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED');
    assert.deepEqual(summary(store.stored()), ['status RUNNING', 'status COMPLETED']);
    const { events } = await handle.fetchHistory();
    const scheduled = (events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []));
    assert.ok(scheduled.length > 0, 'the order scheduled its steps as activities');
    assert.deepEqual(scheduled.filter((name) => name === 'appendAudit'), ['appendAudit'], `only the start entry as an activity: ${scheduled.join(', ')}`);
  });
});

describe('a slow store never makes a saga\'s history unreplayable', () => {
  it('a trip whose start entry the store answers late, beside its local quotes, replays from its history', async () => {
    // Seen in the fault campaign: the start entry tried in the worker, not awaited, timed out twice beside
    // the trip's local quotes; a worker replaying the history resolved them in one go, scheduled the
    // write's first round before lockRate, and the saga stood still on a non-determinism error.
    const sent: string[] = [];
    const store = reportAttempts({
      appendAudit: async (entry: AuditEntryInput) => {
        sent.push(entry.key);
        if (entry.key.includes('status:started') && sent.filter((k) => k === entry.key).length <= 2) await new Promise((r) => setTimeout(r, 1_300));
        return { sagaSeq: sent.length, globalSeq: sent.length, hash: 'h' };
      },
    });
    const handle = await env.start(tripBooking, [{ trip: { ...tripBody(), priceConfirmationSeconds: 300 } as TripRequest, localSteps: true, tuning: fastTuning }], { ...mockTravel({}).activities, ...store });
    const view = await handle.result();
    assert.equal(view.status, 'COMPLETED', JSON.stringify(view.error));
    const history = await handle.fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), sinks: sagaViewSinks(null) }, history, handle.workflowId);
  });
});
