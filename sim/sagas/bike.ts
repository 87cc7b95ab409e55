import fc from 'fast-check';
import type { WorkflowHandle } from '@temporalio/client';
import type { BikeCheckoutInput, BikeCheckoutResult, BikeView } from '../../src/domain/bike-request';
import type { SagaView } from '../../src/domain/saga';
import { bikeCheckout, bikeSteps } from '../../src/workflows/bike-checkout';
import { bikeSensedUpdate } from '../../src/workflows/messages';
import type { CallSpecs } from '../backend-calls';
import { engineSpecs, moneyIn, plansFrom, simTuning, type SagaSim, type SimContext } from '../saga-sim';

interface Params {
  resident: 'LOCAL' | 'VISITOR';
  bikes: number;
  /** The door sensor sees each bike this long after its condition was recorded; null: only the schedule's updates. */
  sensorMs: number | null;
  sensorTimeoutMs: number;
}

const FEE = 300;

export const bikeSim: SagaSim<Params> = {
  name: 'bikeCheckout',
  workflow: bikeCheckout,
  plans: plansFrom(bikeSteps, { captureFee: 'pivot' }),
  params: fc.record({
    resident: fc.constantFrom('LOCAL' as const, 'VISITOR' as const),
    bikes: fc.integer({ min: 1, max: 2 }),
    sensorMs: fc.option(fc.integer({ min: 0, max: 600 }), { freq: 6 }),
    sensorTimeoutMs: fc.integer({ min: 400, max: 1_500 }),
  }),
  updates: true,
  specs: ({ resident, sensorMs }, ctx: SimContext): CallSpecs => ({
    verifyRider: { phase: 'plain', backend: 'ids', answer: () => ({ verificationId: 'ver-1', residentStatus: resident, householdSize: 3 }), refusals: ['IdRejected'] },
    authorizeFee: {
      phase: 'forward',
      backend: 'payments',
      status: 'AUTHORIZED',
      answer: (_i, key) => ({ authorizationId: `auth-${key}` }),
      amountMinor: (i) => i.amount.amountMinor,
      refusals: ['PaymentDeclined'],
    },
    voidFee: { phase: 'undo', backend: 'payments', status: 'VOIDED' },
    // A partial checkout captures the fee of the bikes that left, the rest of the authorization released.
    captureFee: { phase: 'pivot', backend: 'payments', status: 'CAPTURED', moves: (i: { amountMinor?: number }) => i.amountMinor },
    lookupFee: { phase: 'probe', backend: 'payments' },
    reserveBike: { phase: 'forward', backend: 'storage', status: 'MOVED', answer: (_i, key) => ({ bikeId: `bike-${key.split(':')[1]?.split('@')[0]}`, bay: 1 }), refusals: ['KioskEmpty', 'BikeUnavailable'] },
    returnBike: { phase: 'undo', backend: 'storage', status: 'RETURNED' },
    lookupBikeMove: { phase: 'probe', backend: 'storage' },
    notifyRider: { phase: 'plain', backend: 'kiosk' },
    checkOutBike: { phase: 'forward', backend: 'kiosk', status: 'CHECKED_OUT', refusals: ['BikeUnavailable'] },
    checkInBike: { phase: 'undo', backend: 'kiosk', status: 'CHECKED_IN' },
    lookupCheckout: { phase: 'probe', backend: 'kiosk' },
    recordCondition: {
      phase: 'plain',
      backend: 'camera',
      answer: (_i, key) => ({ conditionRecordId: `cond-${key.slice(-6)}` }),
      onApplied: (i: { bikeId: string }) => {
        if (sensorMs !== null) ctx.later(sensorMs, (h) => h.executeUpdate(bikeSensedUpdate, { args: [{ bikeId: i.bikeId }] }), 'sensor');
      },
    },
    // An operator's resolve of a STUCK door says it opened: the bay was opened by hand.
    openDoor: { phase: 'plain', backend: 'kiosk', byHand: true },
    ...engineSpecs,
  }),
  args: ({ bikes, sensorTimeoutMs }): [BikeCheckoutInput] => [
    {
      kioskId: 'kiosk-sim',
      bikes,
      credentialsPackage: 'sealed',
      paymentToken: 'tok_visa',
      sensorTimeoutMs,
      visitorMaxBikes: 2,
      feePerBike: { amountMinor: FEE, currency: 'EUR' },
      tuning: simTuning,
    },
  ],
  async update(handle: WorkflowHandle, view: SagaView, value: number): Promise<string> {
    const bikes = (view.details.bikes ?? []) as BikeView[];
    const bike = bikes[value % Math.max(bikes.length, 1)];
    await handle.executeUpdate(bikeSensedUpdate, { args: [{ bikeId: bike?.bikeId ?? 'bike-nobody' }] });
    return 'bike sensed';
  },
  told: (view) => (view as SagaView<BikeCheckoutResult>).result?.fee.amountMinor ?? 0,
  taken: (world) => moneyIn(world, 'payments', 'CAPTURED'),
  expectsPivot: (_view, { resident }) => resident === 'VISITOR',
  // bike-doors: a bike whose door opened is with its rider, its reserve and checkout never undone; the saga
  // then ends COMPLETED (partial, that bike's fee captured: the money check) or FAILED for an operator. A
  // door whose answer never came ends FAILED too, the bike left for the operator; a door refused at every
  // attempt, or a COMPENSATED saga, leaves nothing.
  // The fee's authorization stays for that operator, who captures what left.
  mayStay: (record, view, world) => {
    if (view.status !== 'FAILED') return false;
    const kept = (unit: string) => world.plainApplied.has(`openDoor#${unit}`) || world.unknownAnswers.has(`openDoor#${unit}`);
    if (record.step === 'authorizeFee') return [...world.plainApplied.keys(), ...world.unknownAnswers].some((s) => s.startsWith('openDoor#'));
    const unit = /^(?:reserveBike|checkOutBike)#(\d+)$/.exec(record.step)?.[1];
    return unit !== undefined && kept(unit);
  },
  completed: (view, world) => {
    const bikes = (view as SagaView<BikeCheckoutResult>).result?.bikes.length ?? 0;
    const out = world.live((s) => s.startsWith('checkOutBike')).length;
    const shut = [...Array(bikes).keys()].filter((i) => !world.plainApplied.has(`openDoor#${i + 1}`));
    return [
      ...(bikes === out ? [] : [`COMPLETED with ${bikes} bikes, but ${out} checked out`]),
      ...shut.map((i) => `COMPLETED with bike ${i + 1}, whose door never opened`),
    ];
  },
  required: ['event cancel accepted', 'event bike sensed', 'world sensor', 'final error SensorTimeout', 'phase pivot', 'phase undo', 'phase probe'],
};
