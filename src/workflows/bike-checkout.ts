/**
 * Bike checkout at a city kiosk: the rider scans an ID and asks for a number of bikes.
 *
 *   verifyRider (sealed credentials package; a rejected ID ends here, nothing to undo)
 *   limit: a LOCAL takes up to their household, a VISITOR up to the configured maximum
 *   VISITOR: authorizeFee ............. undo voidFee
 *   for each bike, as a distinct unit (the verification is re-sent with each):
 *     reserveBike#n (storage, XML) .... undo returnBike#n
 *     notifyRider#n ("on its way")
 *     checkOutBike#n .................. undo checkInBike#n
 *     recordCondition#n (camera)
 *     awaitBike#n: the door sensor's bikeSensed update, with a timeout
 *     openDoor#n
 *   VISITOR: captureFee ............... PIVOT
 *
 * A sensor timeout, a storage fault retries cannot fix, or a cancel before the pivot returns every bike
 * that was moved, checks them back in and voids the fee (sagas started before the bike-doors patch).
 *
 * bike-doors: a bike whose door was sent the open command is with its rider, that bike's own point of no
 * return: its undos are dropped and the saga can no longer be cancelled. A failure before any door opened
 * compensates as above. A failure of a later bike gives back that bike only (returnBike, checkInBike) and
 * the saga ends COMPLETED with `partial: true`: the fee is captured for the bikes that left, the rest of the
 * authorization released. A capture that fails after a bike left is STUCK, alerted, and open to an operator (retry or
 * resolve) like a step after the pivot (ended FAILED before no-silent-waits); it never brings the bikes "back". The rider's notice, the condition record and
 * the door are idempotent calls with nothing to undo: they run as local activities, so the door opens
 * one server round trip sooner after the sensor fires.
 */
import { ApplicationFailure, condition, patched, setHandler } from '@temporalio/workflow';
import type { BikeActivities, FeeActivities } from '../activities/bike-activities';
import type { BikeCheckoutInput, BikeCheckoutResult, BikeView } from '../domain/bike-request';
import { FailureType } from '../domain/failures';
import { formatMoney, type Money } from '../domain/money';
import type { SagaView } from '../domain/saga';
import { activityOptions } from './activity-options';
import { describeFailure } from './failures';
import { bikeSensedUpdate } from './messages';
import { Saga } from './saga';
import { declareSteps, labelOf } from './steps';

type Activities = BikeActivities & FeeActivities;

export const bikeSteps = declareSteps<Activities>()({
  verifyRider: { summary: () => 'Verify the rider\'s ID' },
  authorizeFee: { undo: 'voidFee', probe: 'lookupFee', undone: ['VOIDED'], summary: ({ amount }) => `Authorize ${formatMoney(amount)}`, legacy: { activity: 'authorizePayment', undo: 'voidPayment' } },
  reserveBike: { undo: 'returnBike', probe: 'lookupBikeMove', undone: ['RETURNED'] },
  notifyRider: { local: true },
  checkOutBike: { undo: 'checkInBike', probe: 'lookupCheckout', undone: ['CHECKED_IN'] },
  recordCondition: { local: true },
  openDoor: { local: true, summary: ({ bay }) => `Open bay ${bay}` },
  captureFee: { probe: 'lookupFee', appliedWhen: ['CAPTURED'], legacy: { activity: 'capturePayment' } },
});
type BikeSaga = Saga<Activities, typeof bikeSteps>;

/** A door that opened is that bike's point of no return; a household checkout may end partial. */
export const BIKE_DOORS_PATCH = 'bike-doors';

export async function bikeCheckout(input: BikeCheckoutInput): Promise<SagaView<BikeCheckoutResult>> {
  const saga: BikeSaga = new Saga({ type: 'bike-checkout', tuning: input.tuning, ...activityOptions }, bikeSteps);
  const bikes: BikeView[] = [];
  const sensed = new Set<string>();
  const show = () => saga.annotate({ bikes: bikes.map((b) => ({ ...b })) });
  setHandler(
    bikeSensedUpdate,
    ({ bikeId }) => {
      sensed.add(bikeId);
      // The validator saw the bike on its way; on replay it does not run, and the update can be handed over
      // before the answer that listed the bike (a sensor that came while a local step ran): the bike then
      // takes its status when it is listed (dispenseBike). Throwing here failed every replay of the saga.
      const bike = bikes.find((b) => b.bikeId === bikeId);
      if (bike) bike.status = 'IN_BAY';
      show();
      return { bikeId, bay: bike?.bay ?? 0, status: 'IN_BAY' };
    },
    {
      validator: ({ bikeId }) => {
        const bike = bikes.find((b) => b.bikeId === bikeId);
        if (!bike) throw ApplicationFailure.nonRetryable(`bike ${bikeId} is not on its way to this rider`, FailureType.UnknownBike);
        if (bike.status !== 'ON_ITS_WAY') throw ApplicationFailure.nonRetryable(`bike ${bikeId} is already ${bike.status}`, FailureType.UnknownBike);
      },
    },
  );

  return saga.run(async () => {
    const rider = await saga.step('verifyRider', { credentialsPackage: input.credentialsPackage });
    saga.annotate({ residentStatus: rider.residentStatus });
    const limit = rider.residentStatus === 'LOCAL' ? rider.householdSize : input.visitorMaxBikes;
    if (input.bikes > limit) {
      saga.reject(FailureType.TooManyBikes, `a ${rider.residentStatus} may take up to ${limit} bike${limit === 1 ? '' : 's'} at once, ${input.bikes} asked`);
    }
    const fee = rider.residentStatus === 'LOCAL' ? { ...input.feePerBike, amountMinor: 0 } : { ...input.feePerBike, amountMinor: input.feePerBike.amountMinor * input.bikes };
    if (fee.amountMinor > 0) {
      if (!input.paymentToken) saga.reject(FailureType.PaymentRequired, 'visitors pay: send a paymentToken');
      await saga.step('authorizeFee', { amount: fee, paymentToken: input.paymentToken! });
    }
    const tracking: Tracking = { bikes, sensed, show, doors: patched(BIKE_DOORS_PATCH) ? new Set() : null };
    if (tracking.doors) return handOver(saga, input, { ...rider, fee }, tracking);
    const out: BikeCheckoutResult['bikes'] = [];
    for (let n = 1; n <= input.bikes; n += 1) {
      out.push(await dispenseBike(saga, input, rider.verificationId, n, tracking));
    }
    if (fee.amountMinor > 0) await saga.pivot('captureFee', saga.referenceOf('authorizeFee'), { summary: `Capture ${formatMoney(fee)}` });
    return { residentStatus: rider.residentStatus, bikes: out, fee };
  });
}

interface Tracking {
  bikes: BikeView[];
  sensed: Set<string>;
  show: () => void;
  /** The units whose door was sent the open command (bike-doors); null for sagas started before it. */
  doors: Set<number> | null;
}

interface Rider {
  residentStatus: BikeCheckoutResult['residentStatus'];
  verificationId: string;
  fee: Money;
}

/**
 * bike-doors: the bikes one by one; a failure once a bike has left gives back only the bike that failed,
 * and the fee is captured for the bikes that left. A door whose answer is unknown (its command sent, its
 * answer lost) is not guessed at: it is sent again under its key up to the attempts bound, then STUCK and
 * sent again only when an operator says so (unit-pass-settles; without it, FAILED for an operator).
 */
async function handOver(saga: BikeSaga, input: BikeCheckoutInput, rider: Rider, t: Tracking): Promise<BikeCheckoutResult> {
  const out: BikeCheckoutResult['bikes'] = [];
  let stopped: BikeCheckoutResult['stopped'] = null;
  for (let n = 1; n <= input.bikes && !stopped; n += 1) {
    try {
      out.push(await dispenseBike(saga, input, rider.verificationId, n, t));
    } catch (err) {
      if (out.length === 0 || t.doors!.has(n)) throw err;
      const { type, message } = describeFailure(err, labelOf('dispenseBike', n));
      stopped = { type, message };
      await saga.undoUnit(n);
    }
  }
  const fee = { ...rider.fee, amountMinor: (rider.fee.amountMinor / input.bikes) * out.length };
  if (rider.fee.amountMinor > 0) {
    await saga.step('captureFee', { ...saga.referenceOf('authorizeFee'), amountMinor: fee.amountMinor }, { summary: `Capture ${formatMoney(fee)} for ${out.length} bike${out.length === 1 ? '' : 's'}` });
  }
  const returned = t.bikes.filter((b) => b.status === 'RETURNED').map((b) => b.bikeId);
  saga.annotate({ partial: stopped !== null, fee });
  return { residentStatus: rider.residentStatus, bikes: out, fee, partial: stopped !== null, returned, stopped };
}

/** One bike, as a distinct unit: from storage to an open bay door. */
async function dispenseBike(saga: BikeSaga, input: BikeCheckoutInput, verificationId: string, n: number, t: Tracking) {
  const { kioskId } = input;
  const reserved = await saga.step('reserveBike', { kioskId, verificationId }, {
    unit: n,
    summary: `Bring bike ${n} of ${input.bikes} from storage`,
    onCompensated: () => markReturned(t, n),
  });
  const bike: BikeView = { bikeId: reserved.bikeId, bay: reserved.bay, status: t.sensed.has(reserved.bikeId) ? 'IN_BAY' : 'ON_ITS_WAY' };
  t.bikes.push(bike);
  t.show();
  await saga.step('notifyRider', { kioskId, message: `Your bike ${bike.bikeId} is on its way to bay ${bike.bay}` }, { unit: n });
  await saga.step('checkOutBike', { bikeId: bike.bikeId, kioskId }, { unit: n });
  const { conditionRecordId } = await saga.step('recordCondition', { bikeId: bike.bikeId, kioskId }, { unit: n });
  await saga.track(`awaitBike#${n}`, async () => {
    if (!(await condition(() => t.sensed.has(bike.bikeId), input.sensorTimeoutMs))) {
      saga.reject(FailureType.SensorTimeout, `the door sensor did not see bike ${bike.bikeId} in bay ${bike.bay} within ${input.sensorTimeoutMs} ms`);
    }
  });
  const door = { kioskId, bay: bike.bay, bikeId: bike.bikeId };
  if (t.doors) {
    // The door is this bike's point of no return from the moment it is sent; a door refused outright
    // never opened, and the bike is given back like one whose door was never asked for.
    t.doors.add(n);
    const reason = `the door of bay ${bike.bay} opened for bike ${bike.bikeId}: it is with its rider, so the checkout can no longer be cancelled`;
    const doors = t.doors;
    const refusedOutright = (onRefused: () => void) => () => {
      onRefused();
      doors.delete(n);
    };
    await saga.passUnit(n, reason, (onRefused) => saga.step('openDoor', door, { unit: n, onRefused: refusedOutright(onRefused), passesUnit: true }));
  } else {
    await saga.step('openDoor', door, { unit: n });
  }
  bike.status = 'DOOR_OPEN';
  t.show();
  return { bikeId: bike.bikeId, bay: bike.bay, conditionRecordId };
}

function markReturned(t: Tracking, n: number): void {
  const bike = t.bikes[n - 1];
  if (bike) bike.status = 'RETURNED';
  t.show();
}
