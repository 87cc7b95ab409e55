/**
 * The engine, step by step, on the order saga: a refusal at every step, a cancel while every step is in
 * flight, in both modes (short steps local, and every step an activity). Each case is checked against
 * what the backends were asked: everything that was done before the pivot is undone, newest first, and
 * nothing is undone past it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { cancelUpdate, operatorActionUpdate, orderCheckout } from '../../src/workflows';
import { input, orderBackends } from '../support/order-saga';
import { waitFor } from '../support/http';
import { businessRejection, startWorkflowEnv, type WorkflowEnv } from '../support/workflow-env';

/** The order's steps in the order they run (reserve and quote side by side), and the undo of each. */
const BEFORE_PIVOT = ['priceOrder', 'reserveInventory', 'quoteShipping', 'authorizePayment', 'createShipment'] as const;
const AFTER_PIVOT = ['commitInventory', 'notifyCustomer'] as const;
const UNDO: Record<string, string> = { reserveInventory: 'releaseInventory', authorizePayment: 'voidPayment', createShipment: 'cancelShipment' };
const LOCAL_BY_DEFAULT = new Set(['priceOrder', 'quoteShipping', 'commitInventory', 'notifyCustomer']);
const UNDOS = new Set(Object.values(UNDO));

/**
 * How the order runs its holds and its capture, as the API decides for the sagas it starts: as activities
 * (the default), every hold local (SAGAWAY_LOCAL_HOLDS), or the capture and every hold but the last local
 * (SAGAWAY_LOCAL_PIVOT). The two local modes are for measurement in development (see src/config.ts).
 */
const MODES = [
  { name: 'holds and capture activities', input: {} },
  { name: 'holds local', input: { localHolds: true } },
  { name: 'capture local', input: { localPivot: true } },
] as const;

/** A call held until the test lets it answer. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Backends that say yes, but whose `step` holds its answer until the test opens the gate. */
function heldAt(step: string) {
  const held = gate();
  let arrived = false;
  const backends = orderBackends({});
  const answer = backends.activities[step]!;
  backends.activities[step] = async (...args: never[]) => {
    arrived = true;
    await held.opened;
    return answer(...args);
  };
  return { ...backends, arrived: async () => arrived, open: held.open };
}

/** The steps before the pivot that come after `step` (the shipping quote runs beside the reservation). */
function stepsAfter(step: (typeof BEFORE_PIVOT)[number]): string[] {
  return BEFORE_PIVOT.slice(BEFORE_PIVOT.indexOf(step) + 1).filter((s) => !(step === 'reserveInventory' && s === 'quoteShipping'));
}

/** The undos the saga must send: of every step with an undo that was called and answered, newest first. */
function expectedUndos(calls: string[], refused: string | null): string[] {
  return calls.filter((c) => UNDO[c] && c !== refused).map((c) => UNDO[c]!).reverse();
}

let env: WorkflowEnv;
before(async () => {
  env = await startWorkflowEnv();
});
after(async () => {
  await env?.teardown();
});

describe('a refusal at every step', { concurrency: true }, () => {
  for (const [step, mode] of BEFORE_PIVOT.flatMap((s) => MODES.map((m) => [s, m] as const))) {
    it(`refused at ${step} (${mode.name}): COMPENSATED, what was done undone newest first, ${step} itself not undone`, async () => {
      const { activities, calls } = orderBackends({
        [step]: async () => {
          throw businessRejection('BackendRejected', `${step} refused`);
        },
      });
      const view = await env.execute(orderCheckout, [input(mode.input)], activities);
      assert.equal(view.status, 'COMPENSATED');
      assert.deepEqual({ type: view.error?.type, step: view.error?.step }, { type: 'BackendRejected', step });
      const forward = calls.filter((c) => !UNDOS.has(c) && !c.startsWith('lookup'));
      assert.deepEqual(calls.filter((c) => UNDOS.has(c)), expectedUndos(forward, step));
      assert.ok(!calls.includes('capturePayment'), 'the pivot was never tried');
      assert.deepEqual(stepsAfter(step).filter((s) => calls.includes(s)), [], 'no step after the refused one ran');
    });
  }

  for (const mode of MODES) {
    it(`refused at the pivot (${mode.name}), with the payments service showing nothing captured: COMPENSATED, all three undone newest first`, async () => {
      const { activities, calls } = orderBackends({
        capturePayment: async () => {
          throw businessRejection('BackendRejected', 'capture refused');
        },
        lookupPayment: async () => ({ found: true, status: 'AUTHORIZED' }),
      });
      const view = await env.execute(orderCheckout, [input(mode.input)], activities);
      assert.equal(view.status, 'COMPENSATED');
      assert.deepEqual(calls.filter((c) => UNDOS.has(c)), ['cancelShipment', 'voidPayment', 'releaseInventory']);
    });

    it(`a capture that landed but whose answer was lost (${mode.name}): the look-up shows it CAPTURED, the order completes, nothing undone`, async () => {
      // An idempotent processor: the first answer cannot be read; sent again under its key, the stored reply.
      let captures = 0;
      const { activities, calls } = orderBackends({
        capturePayment: async () => {
          captures += 1;
          if (captures === 1) throw ApplicationFailure.nonRetryable('payments /captures answered something malformed: the body is not JSON', 'MalformedResponse');
          return undefined;
        },
        lookupPayment: async () => ({ found: true, status: 'CAPTURED' }),
      });
      const view = await env.execute(orderCheckout, [input(mode.input)], activities);
      assert.equal(view.status, 'COMPLETED');
      assert.equal(view.steps.find((s) => s.name === 'capturePayment')?.status, 'SUCCEEDED');
      assert.deepEqual(calls.filter((c) => UNDOS.has(c)), []);
    });
  }

  for (const step of AFTER_PIVOT) {
    it(`refused at ${step} (after the pivot), its alert refused too: STUCK for an operator, nothing undone; resolved, the order completes`, async () => {
      const { activities, calls } = orderBackends({
        [step]: async () => {
          throw businessRejection('BackendRejected', `${step} refused`);
        },
        sendAlert: async () => {
          throw businessRejection('AlertRefused', 'alert webhook answered 401');
        },
      });
      const handle = await env.start(orderCheckout, [input()], activities);
      await waitFor(`${step} STUCK`, async () => (await handle.query<any>('sagaState')).steps.some((s: any) => s.name === step && s.status === 'STUCK'));
      assert.equal((await handle.query<any>('sagaState')).status, 'RUNNING');
      await handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'resolve', step, operator: 'ops', reason: 'done by hand' }] });
      const view = await handle.result();
      assert.equal(view.status, 'COMPLETED');
      assert.deepEqual(calls.filter((c) => UNDOS.has(c)), [], 'past the pivot nothing is undone');
    });
  }
});

describe('the holds as local activities (SAGAWAY_LOCAL_HOLDS)', () => {
  it('completes with fewer history events and workflow tasks than with the holds as activities', async () => {
    const events: Record<string, number> = {};
    for (const localHolds of [false, true]) {
      const { activities } = orderBackends();
      const handle = await env.start(orderCheckout, [input({ localHolds })], activities);
      assert.equal((await handle.result()).status, 'COMPLETED');
      events[String(localHolds)] = (await handle.describe()).historyLength ?? 0;
    }
    assert.ok(events.true! < events.false!, JSON.stringify(events));
  });
});

describe('a refused undo', () => {
  it('whose alert is refused too: STUCK for an operator, the other undos still done; resolved, COMPENSATED', async () => {
    const { activities, calls } = orderBackends({
      createShipment: async () => {
        throw businessRejection('AddressRejected', 'no such street');
      },
      voidPayment: async () => {
        throw businessRejection('BackendRejected', 'payments: authorization is CAPTURED, cannot become VOIDED');
      },
      sendAlert: async () => {
        throw businessRejection('AlertRefused', 'alert webhook answered 401');
      },
    });
    const handle = await env.start(orderCheckout, [input()], activities);
    await waitFor('authorizePayment STUCK', async () => (await handle.query<any>('sagaState')).steps.some((s: any) => s.name === 'authorizePayment' && s.status === 'STUCK'));
    assert.equal((await handle.query<any>('sagaState')).status, 'COMPENSATING');
    await handle.executeUpdate(operatorActionUpdate, { args: [{ action: 'resolve', step: 'authorizePayment', operator: 'ops', reason: 'voided at the processor' }] });
    const view = await handle.result();
    assert.equal(view.status, 'COMPENSATED');
    assert.deepEqual(calls.filter((c) => c === 'releaseInventory'), ['releaseInventory'], 'the stock is released after the resolved void');
  });
});

describe('a cancel while every step is in flight', { concurrency: true }, () => {
  for (const localSteps of [false, true]) {
    // A local step holds the workflow task: a cancel sent during it is taken when it ends, so in the default
    // mode only the steps that are activities are in flight when the cancel is taken.
    const steps = BEFORE_PIVOT.filter((s) => !localSteps || !LOCAL_BY_DEFAULT.has(s));
    for (const step of steps) {
      it(`cancelled during ${step} (local steps ${localSteps ? 'on' : 'off'}): COMPENSATED, ${step} undone too once it lands`, async () => {
        const { activities, calls, arrived, open } = heldAt(step);
        const handle = await env.start(orderCheckout, [input({ localSteps })], activities);
        try {
          await waitFor(`${step} in flight`, arrived);
          const accepted = await handle.executeUpdate(cancelUpdate, { args: [{ reason: `cancelled during ${step}` }] });
          assert.equal(accepted.status, 'COMPENSATING');
        } finally {
          open();
        }
        const view = await handle.result();
        assert.equal(view.status, 'COMPENSATED');
        assert.deepEqual({ type: view.error?.type, message: view.error?.message }, { type: 'Cancelled', message: `cancelled during ${step}` });
        const forward = calls.filter((c) => !UNDOS.has(c) && !c.startsWith('lookup'));
        assert.deepEqual(calls.filter((c) => UNDOS.has(c)), expectedUndos(forward, null));
        assert.ok(!calls.includes('capturePayment'), 'the pivot was never tried');
        // The cancel was taken while the step was in flight: nothing after it started (but its side-by-side partner).
        assert.deepEqual(stepsAfter(step).filter((s) => forward.includes(s)), [], 'no step after the cancelled one ran');
      });
    }
  }

  // A local hold holds the workflow task, and an update is only delivered between tasks: the cancel is sent
  // while the hold runs and taken when the task ends. With the capture local, the last hold is an activity,
  // so that is before the capture; with every hold local, the task ends once the capture was sent.
  for (const [mode, step, outcome] of [
    [MODES[2], 'reserveInventory', 'COMPENSATED'],
    [MODES[2], 'authorizePayment', 'COMPENSATED'],
    [MODES[2], 'createShipment', 'COMPENSATED'],
    [MODES[1], 'authorizePayment', 'PastPivot'],
  ] as const) {
    it(`cancelled during ${step} (${mode.name}): ${outcome === 'PastPivot' ? 'refused (PastPivot) once the capture was sent, the order completes' : 'taken before the capture, COMPENSATED, all that was done undone'}`, async () => {
      const { activities, calls, arrived, open } = heldAt(step);
      const handle = await env.start(orderCheckout, [input(mode.input)], activities);
      let cancel: Promise<unknown>;
      try {
        await waitFor(`${step} in flight`, arrived);
        const updateId = `cancel-${step}`;
        cancel = handle
          .startUpdate(cancelUpdate, { args: [{ reason: `cancelled during ${step}` }], updateId, waitForStage: WorkflowUpdateStage.ACCEPTED })
          .then((u) => u.result())
          .catch((err: Error) => err);
        await untilAdmitted(handle, updateId);
      } finally {
        open();
      }
      const taken = await cancel;
      const view = await handle.result();
      if (outcome === 'PastPivot') {
        assert.match(`${(taken as Error).message} ${(taken as any).cause?.message}`, /pivot/);
        assert.equal(view.status, 'COMPLETED');
        assert.deepEqual(calls.filter((c) => UNDOS.has(c)), []);
        return;
      }
      assert.deepEqual(taken, { status: 'COMPENSATING' });
      assert.equal(view.status, 'COMPENSATED');
      const forward = calls.filter((c) => !UNDOS.has(c) && !c.startsWith('lookup'));
      assert.deepEqual(calls.filter((c) => UNDOS.has(c)), expectedUndos(forward, null));
      assert.ok(!calls.includes('capturePayment'), 'the capture was never sent');
    });
  }

  // The commit is a local step by default, which holds the workflow task: it runs as an activity here.
  for (const step of ['capturePayment', ...AFTER_PIVOT.slice(0, 1)] as const) {
    it(`cancelled during ${step === 'capturePayment' ? 'the pivot' : `${step}, after the pivot`}: refused (PastPivot), the order completes, nothing undone`, async () => {
      const held = gate();
      const { activities, calls } = orderBackends({
        [step]: async () => {
          await held.opened;
        },
      });
      const handle = await env.start(orderCheckout, [input({ localSteps: false })], activities);
      try {
        await waitFor(`${step} in flight`, async () => calls.includes(step));
        await assert.rejects(handle.executeUpdate(cancelUpdate, { args: [{ reason: 'too late' }] }), (err: Error) => /pivot/.test(`${err.message} ${(err as any).cause?.message}`));
      } finally {
        held.open();
      }
      assert.equal((await handle.result()).status, 'COMPLETED');
      assert.deepEqual(calls.filter((c) => UNDOS.has(c)), []);
    });
  }
});

/** Waits until the server holds the update (admitted), though no workflow task has taken it yet. */
async function untilAdmitted(handle: WorkflowHandle, updateId: string): Promise<void> {
  const stages = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;
  await waitFor(`update ${updateId} admitted`, async () => {
    try {
      const polled = await env.client.workflowService.pollWorkflowExecutionUpdate({
        namespace: env.client.options.namespace,
        updateRef: { workflowExecution: { workflowId: handle.workflowId }, updateId },
        waitPolicy: { lifecycleStage: stages.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED },
      });
      return (polled.stage ?? 0) >= stages.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;
    } catch {
      return false; // not there yet
    }
  });
}
