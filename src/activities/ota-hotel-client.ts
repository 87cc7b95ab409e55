import { ApplicationFailure } from '@temporalio/activity';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import { FailureType } from '../domain/failures';
import type { Lookup } from '../domain/steps';
import type { LegHold, LegQuote } from '../domain/trip';
import { BackendClient, malformed, type Authorizer, type CallContext, type Problem } from './http-client';

/**
 * The hotel supplier speaks OpenTravel (OTA) XML. This adapter is the only code in sagaway that sees it:
 * requests are built from typed stays, answers are validated, amounts become minor units, and the
 * supplier's OTA error codes become sagaway's failure types.
 */
const OTA_NS = 'http://www.opentravel.org/OTA/2003/05';
const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, parseAttributeValue: false, ignoreDeclaration: true });
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true });

/** OTA error codes this supplier answers with, as sagaway's failure types. */
const OTA_CODES: Record<string, FailureType> = {
  '322': FailureType.SoldOut,
  '424': FailureType.UnknownOffer,
  '375': FailureType.HoldExpired,
};

export interface Stay {
  hotelCode: string;
  checkIn: string;
  nights: number;
  rooms: number;
}

const Amount = z.object({
  AmountAfterTax: z.string().regex(/^\d{1,9}(\.\d{1,2})?$/, 'AmountAfterTax is not a decimal amount'),
  CurrencyCode: z.literal('EUR'),
});
const AvailSchema = z.object({ RoomStays: z.object({ RoomStay: z.object({ RoomRates: z.object({ RoomRate: z.object({ Total: Amount }) }) }) }) });
const HoldSchema = z.object({
  HotelReservations: z.object({
    HotelReservation: z.object({
      UniqueID: z.object({ ID: z.string().min(1) }),
      RoomStays: z.object({ RoomStay: z.object({ Total: Amount }) }),
      TPA_Extensions: z.object({ HoldExpiry: z.object({ AbsoluteDeadline: z.iso.datetime() }) }),
    }),
  }),
});
const CommitSchema = z.object({
  HotelReservations: z.object({ HotelReservation: z.object({ ResGlobalInfo: z.object({ HotelReservationIDs: z.object({ HotelReservationID: z.object({ ResID_Value: z.string().min(1) }) }) }) }) }),
});
const ReadSchema = z.object({ HotelReservations: z.object({ HotelReservation: z.object({ ResStatus: z.string().optional() }) }) });
const CancelSchema = z.object({ Status: z.literal('Cancelled') });

const minor = (amount: z.infer<typeof Amount>) => ({ amountMinor: Math.round(Number(amount.AmountAfterTax) * 100), currency: 'EUR' as const });

function request(root: string, attributes: Record<string, string>, body: Record<string, unknown>): string {
  const attrs = Object.fromEntries(Object.entries(attributes).map(([k, v]) => [`@_${k}`, v]));
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ [root]: { '@_xmlns': OTA_NS, '@_Version': '1.0', ...attrs, ...body } })}`;
}

function roomStay(stay: Stay) {
  return {
    TimeSpan: { '@_Start': stay.checkIn, '@_Duration': `P${stay.nights}N` },
    RoomTypes: { RoomType: { '@_NumberOfUnits': String(stay.rooms) } },
    BasicPropertyInfo: { '@_HotelCode': stay.hotelCode },
  };
}

/** The root element of an OTA answer, or null when the XML is not well formed or lacks it. */
export function readOta(xml: string, root: string): Record<string, unknown> | null {
  try {
    const doc = parser.parse(xml, true) as Record<string, unknown>;
    const body = doc?.[root];
    return body && typeof body === 'object' ? (body as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** An OTA `<Errors>` answer as a problem: the first error's code and text. */
export function parseOtaErrors(xml: string): Problem {
  const match = /<(OTA_\w+RS)\b/.exec(xml);
  const errors = match ? (readOta(xml, match[1]!)?.Errors as { Error?: { Code?: string; '#text'?: string } | Array<{ Code?: string; '#text'?: string }> } | undefined) : undefined;
  const first = Array.isArray(errors?.Error) ? errors.Error[0] : errors?.Error;
  if (!first) return {};
  return { code: OTA_CODES[first.Code ?? ''], detail: first['#text'] ?? `OTA error ${first.Code ?? ''}` };
}

export class OtaHotelClient {
  constructor(private readonly http: BackendClient) {}

  async quote(stay: Stay, call: CallContext): Promise<LegQuote> {
    const body = { AvailRequestSegments: { AvailRequestSegment: {
      StayDateRange: { '@_Start': stay.checkIn, '@_Duration': `P${stay.nights}N` },
      RoomStayCandidates: { RoomStayCandidate: { '@_Quantity': String(stay.rooms) } },
      HotelSearchCriteria: { Criterion: { HotelRef: { '@_HotelCode': stay.hotelCode } } },
    } } };
    const answer = await this.exchange('/OTA_HotelAvailRQ', request('OTA_HotelAvailRQ', {}, body), 'OTA_HotelAvailRS', AvailSchema, call);
    return { offerId: `htl-${stay.hotelCode}-${stay.checkIn}`, price: minor(answer.RoomStays.RoomStay.RoomRates.RoomRate.Total) };
  }

  async hold(stay: Stay, call: CallContext): Promise<LegHold> {
    const body = { HotelReservations: { HotelReservation: { RoomStays: { RoomStay: roomStay(stay) } } } };
    const answer = await this.exchange('/OTA_HotelResRQ/Initiate', request('OTA_HotelResRQ', { ResStatus: 'Initiate' }, body), 'OTA_HotelResRS', HoldSchema, call);
    const reservation = answer.HotelReservations.HotelReservation;
    return { holdId: reservation.UniqueID.ID, price: minor(reservation.RoomStays.RoomStay.Total), expiresAt: reservation.TPA_Extensions.HoldExpiry.AbsoluteDeadline };
  }

  /** Commits the hold made by the call whose Idempotency-Key is `reference`. */
  async confirm(reference: string, call: CallContext): Promise<{ confirmation: string }> {
    const xml = request('OTA_HotelResRQ', { ResStatus: 'Commit' }, { UniqueID: { '@_Type': '14', '@_ID': reference } });
    const answer = await this.exchange('/OTA_HotelResRQ/Commit', xml, 'OTA_HotelResRS', CommitSchema, call);
    return { confirmation: answer.HotelReservations.HotelReservation.ResGlobalInfo.HotelReservationIDs.HotelReservationID.ResID_Value };
  }

  /** Gives back the hold, or cancels the booking, made by the call whose Idempotency-Key is `reference`. */
  async cancel(reference: string, call: CallContext): Promise<void> {
    const xml = request('OTA_CancelRQ', { CancelType: 'Cancel' }, { UniqueID: { '@_Type': '14', '@_ID': reference } });
    await this.exchange('/OTA_CancelRQ', xml, 'OTA_CancelRS', CancelSchema, call);
  }

  /** What became of the hold or booking made by the call with this key (OTA_ReadRQ, served on GET); `call` names the saga. */
  async lookup(reference: string, call?: CallContext): Promise<Lookup> {
    const path = `/reservations/${encodeURIComponent(reference)}`;
    const res = await this.http.send('GET', path, undefined, undefined, call);
    const answer = ReadSchema.safeParse(readOta(res.text, 'OTA_HotelResRS'));
    if (!answer.success) throw malformed('hotels', '/reservations', answer.error.issues[0]?.message ?? 'unexpected shape');
    const status = answer.data.HotelReservations.HotelReservation.ResStatus ?? null;
    return { found: status !== null, status };
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private async exchange<S extends z.ZodType>(path: string, xml: string, root: string, schema: S, call: CallContext): Promise<z.infer<S>> {
    const res = await this.http.send('POST', path, xml, 'application/xml', call);
    const answer = readOta(res.text, root);
    if (!answer) throw malformed('hotels', path, `no ${root} in the answer`);
    // OTA may refuse inside a 2xx answer: an <Errors> element instead of <Success/>.
    if (answer.Errors) {
      const problem = parseOtaErrors(res.text);
      throw ApplicationFailure.nonRetryable(`hotels: ${problem.detail ?? 'refused'}`, problem.code ?? FailureType.BackendRejected);
    }
    const parsed = schema.safeParse(answer);
    if (!parsed.success) throw malformed('hotels', path, parsed.error.issues[0]?.message ?? 'unexpected shape');
    return parsed.data;
  }
}

export function createOtaHotelClient(baseUrl: string, timeoutMs: number, authorize?: Authorizer): OtaHotelClient {
  return new OtaHotelClient(new BackendClient('hotels', baseUrl, { timeoutMs, parseProblem: parseOtaErrors, authorize }));
}
