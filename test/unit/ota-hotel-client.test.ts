import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { createOtaHotelClient, parseOtaErrors, readOta, type OtaHotelClient } from '../../src/activities/ota-hotel-client';
import { backendAuthorizer, FederationSigner } from '../../src/activities/federation';
import { buildBackends, type Backends } from '../../src/backends/app';
import { loadedKeySet } from '../../src/backends/federation';
import { DEV_FEDERATION_KEYS } from '../../src/config';
import { injectFault } from '../support/http';

let backends: Backends;
let url: string;
let hotels: OtaHotelClient;
const stay = { hotelCode: 'LIS-ALFAMA', checkIn: '2027-05-01', nights: 3, rooms: 2 };
const call = (step: string) => ({ sagaId: 'saga-ota-unit', step, key: `saga-ota-unit:${step}` });

before(async () => {
  const signer = new FederationSigner(DEV_FEDERATION_KEYS);
  backends = await buildBackends({ journalPath: null, admin: true, federationKeys: loadedKeySet(() => signer.jwks()), paymentsClient: { id: 'w', secret: 's'.repeat(20) } });
  url = await backends.app.listen({ host: '127.0.0.1', port: 0 });
  hotels = createOtaHotelClient(`${url}/hotels`, 2_000, backendAuthorizer(signer, 'hotels'));
});

after(async () => {
  await hotels?.close();
  await backends?.app.close();
});

async function refusal(work: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await work.then(() => null, (e: unknown) => e);
  assert.ok(err instanceof ApplicationFailure, `expected a failure, got ${String(err)}`);
  return err;
}

describe('the OTA hotel adapter, against the simulated supplier', () => {
  it('turns OTA amounts into minor units and keeps the stated hold expiry', async () => {
    const quote = await hotels.quote(stay, call('quoteHotel'));
    assert.deepEqual(quote.price, { amountMinor: 72_000, currency: 'EUR' }, '3 nights x 2 rooms x 120.00');
    const hold = await hotels.hold(stay, call('holdHotel'));
    assert.deepEqual(hold.price, quote.price);
    assert.ok(Date.parse(hold.expiresAt) > Date.now() + 14 * 60_000, 'a hotel hold lasts 15 minutes');
    assert.match((await hotels.confirm('saga-ota-unit:holdHotel', call('confirmHotel'))).confirmation, /^HTL-/);
    assert.deepEqual(await hotels.lookup('saga-ota-unit:confirmHotel'), { found: true, status: 'CONFIRMED' });
    await hotels.cancel('saga-ota-unit:confirmHotel', call('confirmHotel:undo'));
    assert.deepEqual(await hotels.lookup('saga-ota-unit:holdHotel'), { found: true, status: 'CANCELLED' });
    assert.deepEqual(await hotels.lookup('saga-ota-unit:nothing'), { found: false, status: null });
  });

  it('maps OTA error codes to failure types: a sold-out hotel, an unknown one, a lapsed hold', async () => {
    const soldOut = await refusal(hotels.hold({ ...stay, hotelCode: 'PAR-OPERA' }, call('holdSoldOut')));
    assert.equal(soldOut.type, 'SoldOut');
    assert.equal(soldOut.nonRetryable, true);
    assert.equal((await refusal(hotels.quote({ ...stay, hotelCode: 'NOWHERE' }, call('quoteNowhere')))).type, 'UnknownOffer');
    await hotels.hold(stay, call('holdLapsing'));
    await fetch(`${url}/hotels/_admin/expire-holds`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sagaId: 'saga-ota-unit' }) });
    assert.equal((await refusal(hotels.confirm('saga-ota-unit:holdLapsing', call('confirmLapsing')))).type, 'HoldExpired');
  });

  it('treats a malformed answer as a failure, not an answer', async () => {
    await injectFault(url, 'hotels', { op: 'hold', mode: 'malformed', count: 1 });
    const err = await refusal(hotels.hold(stay, call('holdMalformed')));
    assert.equal(err.type, 'MalformedResponse');
  });
});

describe('the OTA hotel adapter, reading XML', () => {
  it('reads the first OTA error of an answer, and nothing from XML that is not OTA', () => {
    const xml = '<?xml version="1.0"?><OTA_HotelResRS xmlns="http://www.opentravel.org/OTA/2003/05"><Errors><Error Type="3" Code="322">no rooms</Error><Error Code="1"/></Errors></OTA_HotelResRS>';
    assert.deepEqual(parseOtaErrors(xml), { code: 'SoldOut', detail: 'no rooms' });
    assert.deepEqual(parseOtaErrors('<OTA_HotelResRS><Errors><Error Code="999">odd</Error></Errors></OTA_HotelResRS>'), { code: undefined, detail: 'odd' });
    assert.deepEqual(parseOtaErrors('<<not xml'), {});
    assert.equal(readOta('<<not xml', 'OTA_HotelResRS'), null);
    assert.equal(readOta('<Other/>', 'OTA_HotelResRS'), null);
  });
});
