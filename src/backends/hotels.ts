import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { type BackendService, type OpReply, type ServiceRouter } from './service';
import { cancelHold, holdAdmin, holdSeconds, heldPrice, lookUpHold, placeHold, settleHold, type HoldOutcome } from './travel-holds';

/**
 * The hotel chain's reservation system: it speaks OpenTravel (OTA) XML and prices rooms a night in EUR.
 * `PAR-OPERA` answers quotes from a stale rate sheet but is sold out when a room is held. A hold lasts
 * 15 minutes.
 */
export const HOTELS: Record<string, { nightMinor: number; soldOut?: boolean }> = {
  'LIS-ALFAMA': { nightMinor: 12_000 },
  'BER-MITTE': { nightMinor: 9_500 },
  'NYC-MIDTOWN': { nightMinor: 24_000 },
  'PAR-OPERA': { nightMinor: 21_000, soldOut: true },
};
export const HOTEL_HOLD_SECONDS = 15 * 60;

const OTA_NS = 'http://www.opentravel.org/OTA/2003/05';
/** The supplier's OTA error codes: 321 bad request, 322 no availability, 424 no such hotel, 245 no such reservation, 375 hold lapsed, 95 wrong state. */
const OTA_ERRORS: Record<string, { status: number; code: string }> = {
  NotFound: { status: 404, code: '245' },
  HoldExpired: { status: 409, code: '375' },
  InvalidState: { status: 409, code: '95' },
};

const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, parseAttributeValue: false, ignoreDeclaration: true });
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true });

type Xml = Record<string, any>;

function answer(root: string, body: Xml, status = 200): OpReply {
  const doc = { [root]: { '@_xmlns': OTA_NS, '@_Version': '1.0', ...body } };
  return { status, body: `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(doc)}`, contentType: 'application/xml' };
}

function otaError(root: string, status: number, code: string, text: string): OpReply {
  return answer(root, { Errors: { Error: { '@_Type': '3', '@_Code': code, '#text': text } } }, status);
}

function read(raw: unknown, root: string): Xml | null {
  if (typeof raw !== 'string') return null;
  try {
    const doc = parser.parse(raw) as Xml;
    return doc?.[root] && typeof doc[root] === 'object' ? (doc[root] as Xml) : null;
  } catch {
    return null;
  }
}

/** The stay an OTA request describes, or null when a field is missing. */
function stayOf(rq: Xml | null): { hotelCode: string; start: string; nights: number; rooms: number } | null {
  const segment = rq?.AvailRequestSegments?.AvailRequestSegment ?? rq?.HotelReservations?.HotelReservation?.RoomStays?.RoomStay;
  const hotelCode = segment?.HotelSearchCriteria?.Criterion?.HotelRef?.HotelCode ?? segment?.BasicPropertyInfo?.HotelCode;
  const start = segment?.StayDateRange?.Start ?? segment?.TimeSpan?.Start;
  const nights = Number(segment?.StayDateRange?.Duration?.replace(/^P(\d+)N$/, '$1') ?? segment?.TimeSpan?.Duration?.replace(/^P(\d+)N$/, '$1'));
  const rooms = Number(segment?.RoomStayCandidates?.RoomStayCandidate?.Quantity ?? segment?.RoomTypes?.RoomType?.NumberOfUnits);
  if (typeof hotelCode !== 'string' || typeof start !== 'string' || !(nights > 0) || !(rooms > 0)) return null;
  return { hotelCode, start, nights, rooms };
}

const decimal = (minor: number) => (minor / 100).toFixed(2);

function outcomeXml(root: string, outcome: HoldOutcome, body: (r: Xml) => Xml): OpReply {
  if (outcome.ok) return answer(root, { Success: '', ...body(outcome.record) });
  const mapped = OTA_ERRORS[outcome.code] ?? { status: outcome.status, code: '95' };
  return otaError(root, mapped.status, mapped.code, outcome.detail);
}

export function hotelsRoutes(service: BackendService) {
  return (router: ServiceRouter) => {
    holdAdmin(service)(router);
    router.write('quote', 'POST', '/OTA_HotelAvailRQ', ({ body }) => {
      const stay = stayOf(read(body, 'OTA_HotelAvailRQ'));
      if (!stay) return otaError('OTA_HotelAvailRS', 400, '321', 'HotelRef, StayDateRange and RoomStayCandidate are required');
      const hotel = HOTELS[stay.hotelCode];
      if (!hotel) return otaError('OTA_HotelAvailRS', 422, '424', `no hotel ${stay.hotelCode}`);
      const total = hotel.nightMinor * stay.nights * stay.rooms;
      return answer('OTA_HotelAvailRS', {
        Success: '',
        RoomStays: { RoomStay: { BasicPropertyInfo: { '@_HotelCode': stay.hotelCode }, RoomRates: { RoomRate: { '@_RatePlanCode': 'BAR', Total: { '@_AmountAfterTax': decimal(total), '@_CurrencyCode': 'EUR' } } } } },
      });
    });
    router.write('hold', 'POST', '/OTA_HotelResRQ/Initiate', ({ body, sagaId, key }) => {
      const stay = stayOf(read(body, 'OTA_HotelResRQ'));
      if (!stay) return otaError('OTA_HotelResRS', 400, '321', 'HotelReservation with RoomStay, TimeSpan and RoomType is required');
      const hotel = HOTELS[stay.hotelCode];
      if (!hotel) return otaError('OTA_HotelResRS', 422, '424', `no hotel ${stay.hotelCode}`);
      if (hotel.soldOut) return otaError('OTA_HotelResRS', 409, '322', `${stay.hotelCode} has no rooms left from ${stay.start}`);
      const amountMinor = heldPrice(service, sagaId, hotel.nightMinor * stay.nights * stay.rooms);
      const hold = placeHold(service, sagaId, key, holdSeconds(service, HOTEL_HOLD_SECONDS), { ...stay, amountMinor, currency: 'EUR' });
      return answer('OTA_HotelResRS', {
        '@_ResResponseType': 'Pending',
        Success: '',
        HotelReservations: { HotelReservation: {
          UniqueID: { '@_Type': '14', '@_ID': hold.id },
          RoomStays: { RoomStay: { Total: { '@_AmountAfterTax': decimal(amountMinor), '@_CurrencyCode': 'EUR' } } },
          TPA_Extensions: { HoldExpiry: { '@_AbsoluteDeadline': hold.expiresAt } },
        } },
      });
    });
    router.write('confirm', 'POST', '/OTA_HotelResRQ/Commit', ({ body, key }) => {
      const reference = read(body, 'OTA_HotelResRQ')?.UniqueID?.ID;
      if (typeof reference !== 'string') return otaError('OTA_HotelResRS', 400, '321', 'UniqueID is required');
      const outcome = settleHold(service, reference, key, 'CONFIRMED', { confirmation: `HTL-${service.newId('h').slice(2, 12).toUpperCase()}` });
      return outcomeXml('OTA_HotelResRS', outcome, (r) => ({
        '@_ResResponseType': 'Committed',
        HotelReservations: { HotelReservation: { ResGlobalInfo: { HotelReservationIDs: { HotelReservationID: { '@_ResID_Type': '10', '@_ResID_Value': r.confirmation } } } } },
      }));
    });
    // OTA_ReadRQ's answer, served on GET so a saga can ask what became of a call after a lost answer.
    router.read('lookup', '/reservations/:reference', (ctx) => {
      const found = lookUpHold(service)(ctx).body as { found: boolean; status: string | null };
      const status = found.found ? { '@_ResStatus': found.status } : {};
      return answer('OTA_HotelResRS', { Success: '', HotelReservations: { HotelReservation: { ...status, UniqueID: { '@_Type': '14', '@_ID': ctx.params.reference } } } });
    });
    router.write('cancel', 'POST', '/OTA_CancelRQ', ({ body }) => {
      const reference = read(body, 'OTA_CancelRQ')?.UniqueID?.ID;
      if (typeof reference !== 'string') return otaError('OTA_CancelRS', 400, '321', 'UniqueID is required');
      return outcomeXml('OTA_CancelRS', cancelHold(service, reference, otaError('OTA_HotelResRS', 409, '95', `reservation ${reference} was cancelled before it was held`)), (r) => ({ '@_Status': 'Cancelled', UniqueID: { '@_Type': '14', '@_ID': r.id } }));
    });
  };
}
