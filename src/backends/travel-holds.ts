import { z } from 'zod';
import type { BackendRecord } from './journal';
import { ok, problem, type BackendService, type OpContext, type OpReply, type ServiceRouter } from './service';

/**
 * What the three simulated travel suppliers share: holds that lapse after a stated time, a hold that
 * becomes a booking (or a ticket), and one cancellation that gives back a hold or a booking. Each
 * supplier renders the outcomes in its own format (JSON, or OTA XML for the hotels).
 */
export type HoldOutcome = { ok: true; record: BackendRecord } | { ok: false; status: number; code: string; detail: string };

const refused = (status: number, code: string, detail: string): HoldOutcome => ({ ok: false, status, code, detail });

/** The hold lifetime this supplier states, or what a test or demo set with the admin route. */
export function holdSeconds(service: BackendService, fallback: number): number {
  const settings = service.records.get('settings');
  return typeof settings?.holdSeconds === 'number' ? settings.holdSeconds : fallback;
}

export function placeHold(service: BackendService, sagaId: string | null, key: string | null, lifetimeSeconds: number, fields: Record<string, unknown>): BackendRecord {
  const expiresAt = new Date(Date.now() + lifetimeSeconds * 1_000).toISOString();
  return service.save({ id: service.newId('hold'), kind: 'hold', sagaId, status: 'HELD', reference: key, expiresAt, ...fields });
}

/** A hold past its stated time has lapsed; it is marked EXPIRED when next looked at. */
function current(service: BackendService, record: BackendRecord): BackendRecord {
  if (record.status === 'HELD' && Date.parse(String(record.expiresAt)) <= Date.now()) return service.save({ ...record, status: 'EXPIRED' });
  return record;
}

/** The hold made by the call with this key, or settled (confirmed, ticketed) by the call with this key. */
function holdByKey(service: BackendService, key: string): BackendRecord | undefined {
  return service.list('hold').find((r) => r.reference === key || r.settledBy === key);
}

/**
 * Turns a live hold into a booking (`CONFIRMED`) or a ticket (`TICKETED`). The settling call's own key
 * names the booking from then on, so its undo and a look-up find it; doing it again is a success.
 */
export function settleHold(service: BackendService, holdReference: string, key: string | null, to: 'CONFIRMED' | 'TICKETED', fields: Record<string, unknown>): HoldOutcome {
  const found = service.byReference(holdReference);
  if (!found) return refused(404, 'NotFound', `no hold for reference ${holdReference}`);
  const record = current(service, found);
  if (record.status === to) return { ok: true, record };
  if (record.status === 'EXPIRED') return refused(409, 'HoldExpired', `hold ${record.id} expired at ${String(record.expiresAt)}`);
  if (record.status !== 'HELD') return refused(409, 'InvalidState', `hold ${record.id} is ${record.status}`);
  return { ok: true, record: service.save({ ...record, ...fields, status: to, settledBy: key }) };
}

/**
 * Gives back a hold (RELEASED) or a booking (CANCELLED), named by the key of the call that made either.
 * A lapsed or already given back one is a success; a ticket cannot be unissued. When nothing was made
 * yet, the late call is refused when it comes.
 */
export function cancelHold(service: BackendService, key: string, tombstone: OpReply = problem(409, 'AlreadyUndone', `reference ${key} was undone before it was done`)): HoldOutcome {
  const found = holdByKey(service, key);
  if (!found) {
    for (const op of ['hold', 'confirm', 'ticket']) service.storeReply(op, key, tombstone);
    return { ok: true, record: { id: '', kind: 'hold', sagaId: null, status: 'RELEASED', reference: key } };
  }
  const record = current(service, found);
  if (record.status === 'TICKETED') return refused(409, 'Ticketed', `hold ${record.id} was ticketed; a ticket cannot be unissued`);
  const to = record.status === 'HELD' ? 'RELEASED' : record.status === 'CONFIRMED' ? 'CANCELLED' : null;
  return { ok: true, record: to ? service.save({ ...record, status: to }) : record };
}

/** `GET /<svc>/references/:key`: what became of the hold, booking or ticket the call with this key made. */
export function lookUpHold(service: BackendService) {
  return ({ params }: OpContext): OpReply => {
    const record = holdByKey(service, params.reference ?? '');
    return ok({ reference: params.reference, found: record !== undefined, status: record ? current(service, record).status : null, id: record?.id ?? null });
  };
}

/**
 * The price of a new hold for this saga: as the supplier prices it, or moved by the next price move a test
 * or demo queued for the saga (`/_admin/price-moves`), each move applying once, in order.
 */
export function heldPrice(service: BackendService, sagaId: string | null, amountMinor: number): number {
  const move = service.list('price-move').find((r) => r.forSaga === sagaId && r.status === 'PENDING');
  if (!move) return amountMinor;
  service.save({ ...move, status: 'APPLIED' });
  return Math.round(amountMinor * (1 + (move.percent as number) / 100));
}

const PriceMoveSchema = z.object({ sagaId: z.string().min(1), percent: z.number().min(-90).max(1_000) });
const LifetimeSchema = z.object({ seconds: z.number().min(0).max(86_400) });
const ExpireSchema = z.object({ sagaId: z.string().min(1) });

/**
 * Steering for tests and demos: `POST /<svc>/_admin/hold-lifetime { seconds }` changes how long new
 * holds last; `POST /<svc>/_admin/expire-holds { sagaId }` lets that saga's live holds lapse now.
 */
export function holdAdmin(service: BackendService) {
  return (router: ServiceRouter) => {
    router.admin('POST', '/hold-lifetime', ({ body }) => {
      const parsed = LifetimeSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      service.save({ id: 'settings', kind: 'settings', sagaId: null, status: 'ACTIVE', reference: null, holdSeconds: parsed.data.seconds });
      return { status: 200, body: parsed.data };
    });
    router.admin('DELETE', '/hold-lifetime', () => {
      service.save({ id: 'settings', kind: 'settings', sagaId: null, status: 'ACTIVE', reference: null, holdSeconds: null });
      return { status: 200, body: {} };
    });
    // `POST /<svc>/_admin/price-moves { sagaId, percent }`: the saga's next hold is priced `percent` off.
    router.admin('POST', '/price-moves', ({ body }) => {
      const parsed = PriceMoveSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      // Kept apart from the saga's own records (sagaId null), so what a saga holds reads as before.
      service.save({ id: service.newId('move'), kind: 'price-move', sagaId: null, status: 'PENDING', reference: null, forSaga: parsed.data.sagaId, percent: parsed.data.percent });
      return { status: 200, body: parsed.data };
    });
    router.admin('POST', '/expire-holds', ({ body }) => {
      const parsed = ExpireSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      const live = service.list('hold').filter((r) => r.sagaId === parsed.data.sagaId && r.status === 'HELD');
      for (const hold of live) service.save({ ...hold, status: 'EXPIRED', expiresAt: new Date().toISOString() });
      return { status: 200, body: { expired: live.map((h) => h.id) } };
    });
  };
}
