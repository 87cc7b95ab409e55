import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import { bikeIdsOf, KIOSKS, type Kiosk } from './kiosks';
import { problem, type BackendService, type OpReply, type ServiceRouter } from './service';
import { lookUpByReference, undoByReference } from './undo';

/**
 * The bike storage system: a legacy service that speaks SOAP-style XML envelopes, not JSON. It moves
 * a bike from storage to a bay, takes one back, and counts what a kiosk holds.
 */
const parser = new XMLParser({ removeNSPrefix: true, parseTagValue: false, ignoreDeclaration: true });
const builder = new XMLBuilder({ ignoreAttributes: false, suppressEmptyNode: true });

export function envelope(body: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({
    'soap:Envelope': { '@_xmlns:soap': 'http://schemas.xmlsoap.org/soap/envelope/', '@_xmlns:st': 'urn:city-bikes:storage', 'soap:Body': body },
  })}`;
}

function xml(status: number, body: Record<string, unknown>): OpReply {
  return { status, body: envelope(body), contentType: 'application/xml' };
}

function fault(status: number, code: string, message: string): OpReply {
  return xml(status, { 'soap:Fault': { faultcode: `soap:Client.${code}`, faultstring: message } });
}

function requestOf(raw: unknown, operation: string): Record<string, string> | null {
  if (typeof raw !== 'string') return null;
  try {
    const body = parser.parse(raw)?.Envelope?.Body?.[operation];
    return body && typeof body === 'object' ? (body as Record<string, string>) : null;
  } catch {
    return null;
  }
}

const KioskSchema = z.object({ kioskId: z.string().regex(/^kiosk-[a-z0-9-]{1,60}$/), bikes: z.number().int().min(0).max(100_000), bays: z.number().int().min(1).max(100).default(4) });

/** A demo kiosk, or one a test or benchmark set up through the admin route. */
function kioskOf(service: BackendService, kioskId: string): Kiosk | undefined {
  const added = service.list('kiosk').find((r) => r.kioskId === kioskId);
  return added ? { bikes: added.bikes as number, bays: added.bays as number } : KIOSKS[kioskId];
}

function released(service: BackendService, kioskId: string): Set<string> {
  return new Set(service.list('bike-reservation').filter((r) => r.kioskId === kioskId && r.status === 'RELEASED').map((r) => r.bikeId as string));
}

/**
 * A bay nobody's bike is in: one whose last bike was given back, or that never had one. Storage does not
 * see a door open, so when every bay had a bike out, the one that had it longest ago is taken: its rider is
 * the likeliest to be gone. Two riders never share a bay while there are as many bays as bikes on their way.
 */
function freeBay(service: BackendService, kioskId: string, bays: number): number {
  const last = new Map<number, { at: number; out: boolean }>();
  service.list('bike-reservation').forEach((r, at) => {
    if (r.kioskId === kioskId) last.set(r.bay as number, { at, out: r.status === 'RELEASED' });
  });
  const rank = (bay: number) => {
    const held = last.get(bay);
    return held === undefined || !held.out ? -1 : held.at;
  };
  let best = 1;
  for (let bay = 2; bay <= bays; bay += 1) if (rank(bay) < rank(best)) best = bay;
  return best;
}

export function storageRoutes(service: BackendService) {
  return (router: ServiceRouter) => {
    storageAdmin(service)(router);
    router.write('reserve', 'POST', '/ReserveBike', ({ body, sagaId, key }) => {
      const req = requestOf(body, 'ReserveBike');
      if (!req?.KioskId || !req.VerificationId) return fault(400, 'InvalidRequest', 'ReserveBike needs KioskId and VerificationId');
      const kiosk = kioskOf(service, req.KioskId);
      if (!kiosk) return fault(404, 'UnknownKiosk', `no kiosk ${req.KioskId}`);
      const out = released(service, req.KioskId);
      const bikeId = bikeIdsOf(req.KioskId, kiosk).find((id) => !out.has(id));
      if (!bikeId) return fault(409, 'KioskEmpty', `kiosk ${req.KioskId} has no bike in storage`);
      const bay = freeBay(service, req.KioskId, kiosk.bays);
      service.save({ id: service.newId('mv'), kind: 'bike-reservation', sagaId, status: 'RELEASED', reference: key, kioskId: req.KioskId, bikeId, bay, verificationId: req.VerificationId });
      return xml(200, { 'st:ReserveBikeResponse': { 'st:BikeId': bikeId, 'st:Bay': bay, 'st:Status': 'MOVING_TO_BAY' } });
    });
    router.write('return', 'POST', '/ReturnBike', ({ body }) => {
      const req = requestOf(body, 'ReturnBike');
      if (!req?.Reference) return fault(400, 'InvalidRequest', 'ReturnBike needs Reference');
      const reply = undoByReference(service, { reference: req.Reference }, { from: ['RELEASED'], to: 'RETURNED', idField: 'id', tombstoneOp: 'reserve' });
      if (reply.status >= 400) return fault(reply.status, 'InvalidState', JSON.stringify(reply.body));
      return xml(200, { 'st:ReturnBikeResponse': { 'st:Status': 'RETURNED' } });
    });
    router.read('lookup', '/references/:reference', lookUpByReference(service));
    router.read('stock', '/kiosks/:kioskId/stock', ({ params }) => {
      const kiosk = kioskOf(service, params.kioskId!);
      if (!kiosk) return fault(404, 'UnknownKiosk', `no kiosk ${params.kioskId}`);
      const available = kiosk.bikes - released(service, params.kioskId!).size;
      return xml(200, { 'st:KioskStockResponse': { 'st:KioskId': params.kioskId, 'st:Available': available } });
    }, 'public');
  };
}

/** `POST /storage/_admin/kiosks { kioskId, bikes, bays? }`: a kiosk for a test, a demo or a benchmark. */
function storageAdmin(service: BackendService) {
  return (router: ServiceRouter) => {
    router.admin('POST', '/kiosks', ({ body }) => {
      const parsed = KioskSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      const existing = service.list('kiosk').find((r) => r.kioskId === parsed.data.kioskId);
      service.save({ id: existing?.id ?? service.newId('kiosk'), kind: 'kiosk', sagaId: null, status: 'ACTIVE', reference: null, ...parsed.data });
      return { status: 201, body: parsed.data };
    });
  };
}
