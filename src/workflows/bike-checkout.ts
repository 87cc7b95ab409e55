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
 * that was moved, checks them back in and voids the fee. The rider's notice, the condition record and
 * the door are idempotent calls with nothing to undo: they run as local activities, so the door opens
 * one server round trip sooner after the sensor fires.
 */
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import type { BikeActivities, FeeActivities } from '../activities/bike-activities';
import type { BikeCheckoutInput, BikeCheckoutResult, BikeView } from '../domain/bike-request';
import { FailureType } from '../domain/failures';
import { formatMoney } from '../domain/money';
import type { SagaView } from '../domain/saga';
import { activityOptions } from './activity-options';
import { bikeSensedUpdate } from './messages';
import { Saga } from './saga';
import { declareSteps } from './steps';

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

export async function bikeCheckout(input: BikeCheckoutInput): Promise<SagaView<BikeCheckoutResult>> {
  const saga: BikeSaga = new Saga({ type: 'bike-checkout', tuning: input.tuning, ...activityOptions }, bikeSteps);
  const bikes: BikeView[] = [];
  const sensed = new Set<string>();
  const show = () => saga.annotate({ bikes: bikes.map((b) => ({ ...b })) });
  setHandler(
    bikeSensedUpdate,
    ({ bikeId }) => {
      sensed.add(bikeId);
      const bike = bikes.find((b) => b.bikeId === bikeId)!;
      bike.status = 'IN_BAY';
      show();
      return { bikeId, bay: bike.bay, status: bike.status };
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
    const out: BikeCheckoutResult['bikes'] = [];
    for (let n = 1; n <= input.bikes; n += 1) {
      out.push(await dispenseBike(saga, input, rider.verificationId, n, { bikes, sensed, show }));
    }
    if (fee.amountMinor > 0) await saga.pivot('captureFee', saga.referenceOf('authorizeFee'), { summary: `Capture ${formatMoney(fee)}` });
    return { residentStatus: rider.residentStatus, bikes: out, fee };
  });
}

interface Tracking {
  bikes: BikeView[];
  sensed: Set<string>;
  show: () => void;
}

/** One bike, as a distinct unit: from storage to an open bay door. */
async function dispenseBike(saga: BikeSaga, input: BikeCheckoutInput, verificationId: string, n: number, t: Tracking) {
  const { kioskId } = input;
  const reserved = await saga.step('reserveBike', { kioskId, verificationId }, {
    unit: n,
    summary: `Bring bike ${n} of ${input.bikes} from storage`,
    onCompensated: () => markReturned(t, n),
  });
  const bike: BikeView = { bikeId: reserved.bikeId, bay: reserved.bay, status: 'ON_ITS_WAY' };
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
  await saga.step('openDoor', { kioskId, bay: bike.bay, bikeId: bike.bikeId }, { unit: n });
  bike.status = 'DOOR_OPEN';
  t.show();
  return { bikeId: bike.bikeId, bay: bike.bay, conditionRecordId };
}

function markReturned(t: Tracking, n: number): void {
  const bike = t.bikes[n - 1];
  if (bike) bike.status = 'RETURNED';
  t.show();
}
