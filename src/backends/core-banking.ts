import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import type { BackendRecord } from './journal';
import { problem, type BackendService, type OpReply, type ServiceRouter } from './service';
import { recording } from './recording';
import { lookUpByReference, undoByReference } from './undo';
import { coreBankingWsdl, CORE_BANKING_NS } from './core-banking-wsdl';

/**
 * The core banking system: a legacy service that speaks SOAP 1.1 (one document/literal operation per
 * SOAPAction, its WSDL at `GET /corebanking/soap?wsdl`, faults as `soap:Fault` with HTTP 500). It holds
 * funds, releases holds, books a held transfer as a balanced double-entry posting, and credits a return.
 */
export interface DemoAccount {
  name: string;
  currency: string;
  openingMinor: number;
  status: 'ACTIVE' | 'BLOCKED';
}

/** The demo customers' accounts (README): one with money, one with little, one blocked. */
export const ACCOUNTS: Record<string, DemoAccount> = {
  DE89370400440532013000: { name: 'Ada Lovelace', currency: 'EUR', openingMinor: 5_000_000_00, status: 'ACTIVE' },
  DE44500105175407324931: { name: 'Charles Babbage', currency: 'EUR', openingMinor: 50_00, status: 'ACTIVE' },
  DE02120300000000202051: { name: 'Blocked Customer', currency: 'EUR', openingMinor: 10_000_00, status: 'BLOCKED' },
};

const parser = new XMLParser({ removeNSPrefix: true, parseTagValue: false, ignoreDeclaration: true });
const builder = new XMLBuilder({ ignoreAttributes: false, suppressEmptyNode: true });

function envelope(body: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({
    'soap:Envelope': { '@_xmlns:soap': 'http://schemas.xmlsoap.org/soap/envelope/', '@_xmlns:cb': CORE_BANKING_NS, 'soap:Body': body },
  })}`;
}

const xml = (body: Record<string, unknown>): OpReply => ({ status: 200, body: envelope(body), contentType: 'text/xml; charset=utf-8' });

/** SOAP 1.1 answers every fault with HTTP 500; `Client.*` says the request itself was refused, for good. */
function fault(side: 'Client' | 'Server', code: string, message: string): OpReply {
  return { status: 500, body: envelope({ 'soap:Fault': { faultcode: `soap:${side}.${code}`, faultstring: message } }), contentType: 'text/xml; charset=utf-8' };
}

function requestOf(raw: unknown, operation: string): Record<string, unknown> | null {
  if (typeof raw !== 'string') return null;
  try {
    const body = parser.parse(raw)?.Envelope?.Body?.[operation];
    return body && typeof body === 'object' ? (body as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const HoldSchema = z.object({ AccountIban: z.string().min(15).max(34), AmountMinor: z.coerce.number().int().positive(), Currency: z.string().length(3) });
const LineSchema = z.object({ Account: z.string().min(1), AmountMinor: z.coerce.number().int(), Currency: z.string().length(3) });
const PostSchema = z.object({ HoldReference: z.string().min(1), Line: z.union([LineSchema, z.array(LineSchema)]).transform((l) => (Array.isArray(l) ? l : [l])) });
const CreditSchema = z.object({ Line: z.union([LineSchema, z.array(LineSchema)]).transform((l) => (Array.isArray(l) ? l : [l])), TransferReference: z.string().min(1) });

type Line = z.infer<typeof LineSchema>;

function accountOf(service: BackendService, iban: string): DemoAccount | undefined {
  const added = service.list('account').find((r) => r.iban === iban);
  return added ? { name: String(added.name), currency: String(added.currency), openingMinor: Number(added.openingMinor), status: added.status as DemoAccount['status'] } : ACCOUNTS[iban];
}

/** Opening balance, plus every posted line, minus what is held: what the customer may still spend. */
export function availableMinor(service: BackendService, iban: string, account: DemoAccount): number {
  let minor = account.openingMinor;
  for (const posting of service.list('posting')) for (const line of posting.lines as Line[]) if (line.Account === iban) minor += line.AmountMinor;
  for (const hold of service.list('hold')) if (hold.iban === iban && hold.status === 'HELD') minor -= Number(hold.amountMinor);
  return minor;
}

/** A posting must net to zero in each currency. */
function unbalanced(lines: Line[]): string | null {
  const sums = new Map<string, number>();
  for (const l of lines) sums.set(l.Currency, (sums.get(l.Currency) ?? 0) + l.AmountMinor);
  const off = [...sums].find(([, sum]) => sum !== 0);
  return off ? `the lines in ${off[0]} sum to ${off[1]}, not 0` : null;
}

const toLines = (lines: Line[]) => lines.map((l) => ({ Account: l.Account, AmountMinor: l.AmountMinor, Currency: l.Currency }));

export function coreBankingRoutes(service: BackendService) {
  return (router: ServiceRouter) => {
    coreBankingAdmin(service)(router);
    router.read('wsdl', '/soap', ({ query }) => ('wsdl' in query ? { status: 200, body: coreBankingWsdl(), contentType: 'text/xml; charset=utf-8' } : problem(405, 'UseSoap', 'POST a SOAP 1.1 envelope to /soap/<Operation>; the WSDL is at ?wsdl')), 'public');
    router.write('holdFunds', 'POST', '/soap/HoldFunds', ({ body, sagaId, key }) => {
      const parsed = HoldSchema.safeParse(requestOf(body, 'HoldFunds'));
      if (!parsed.success) return fault('Client', 'InvalidRequest', 'HoldFunds needs AccountIban, AmountMinor and Currency');
      const { AccountIban: iban, AmountMinor: amountMinor, Currency: currency } = parsed.data;
      const account = accountOf(service, iban);
      if (!account) return fault('Client', 'UnknownAccount', `no account ${iban}`);
      if (account.status === 'BLOCKED') return fault('Client', 'AccountBlocked', `account ${iban} is blocked`);
      if (account.currency !== currency) return fault('Client', 'InvalidRequest', `account ${iban} is held in ${account.currency}, not ${currency}`);
      if (availableMinor(service, iban, account) < amountMinor) return fault('Client', 'InsufficientFunds', `account ${iban} has not enough available funds`);
      const hold = service.save({ id: service.newId('hold'), kind: 'hold', sagaId, status: 'HELD', reference: key, iban, amountMinor, currency });
      return xml({ 'cb:HoldFundsResponse': { 'cb:HoldId': hold.id, 'cb:Status': 'HELD' } });
    });
    router.write('releaseHold', 'POST', '/soap/ReleaseHold', ({ body }) => {
      const req = requestOf(body, 'ReleaseHold');
      if (typeof req?.Reference !== 'string') return fault('Client', 'InvalidRequest', 'ReleaseHold needs Reference');
      const reply = undoByReference(service, { reference: req.Reference }, { from: ['HELD'], to: 'RELEASED', idField: 'holdId', tombstoneOp: 'holdFunds' });
      if (reply.status >= 400) return fault('Client', 'InvalidState', JSON.stringify(reply.body));
      return xml({ 'cb:ReleaseHoldResponse': { 'cb:Status': 'RELEASED' } });
    });
    router.write('postTransfer', 'POST', '/soap/PostTransfer', ({ body, sagaId, key }) => {
      const parsed = PostSchema.safeParse(requestOf(body, 'PostTransfer'));
      if (!parsed.success) return fault('Client', 'InvalidRequest', 'PostTransfer needs HoldReference and its Lines');
      const hold = service.byReference(parsed.data.HoldReference);
      if (!hold || hold.kind !== 'hold') return fault('Client', 'UnknownHold', `no hold ${parsed.data.HoldReference}`);
      const lines = parsed.data.Line;
      const problemWith = (hold.status === 'HELD' ? null : `hold ${hold.id} is ${hold.status}`) ?? unbalanced(lines) ?? debitProblem(hold, lines);
      // Recording mode books what it was asked to (a released hold, lines that do not balance) and notes why a
      // careful core system would have refused it: the fault campaign judges the postings, not this check.
      if (problemWith && !recording()) return fault('Client', hold.status === 'HELD' ? 'Unbalanced' : 'InvalidState', problemWith);
      // The hold becomes the posting in one change: the posting record carries the hold, then the hold is POSTED.
      const posting = service.save({ id: service.newId('pst'), kind: 'posting', sagaId, status: 'POSTED', reference: key, holdId: hold.id, lines: toLines(lines), ...(problemWith ? { refusable: problemWith } : {}) });
      if (hold.status === 'HELD') service.save({ ...hold, status: 'POSTED', postingId: posting.id });
      return xml({ 'cb:PostTransferResponse': { 'cb:PostingId': posting.id, 'cb:Status': 'POSTED' } });
    });
    router.write('creditReturn', 'POST', '/soap/CreditReturn', ({ body, sagaId, key }) => {
      const parsed = CreditSchema.safeParse(requestOf(body, 'CreditReturn'));
      if (!parsed.success) return fault('Client', 'InvalidRequest', 'CreditReturn needs TransferReference and its Lines');
      const problemWith = unbalanced(parsed.data.Line);
      if (problemWith && !recording()) return fault('Client', 'Unbalanced', problemWith);
      const posting = service.save({ id: service.newId('pst'), kind: 'posting', sagaId, status: 'POSTED', reference: key, transferReference: parsed.data.TransferReference, lines: toLines(parsed.data.Line), ...(problemWith ? { refusable: problemWith } : {}) });
      return xml({ 'cb:CreditReturnResponse': { 'cb:PostingId': posting.id, 'cb:Status': 'POSTED' } });
    });
    router.read('lookup', '/references/:reference', lookUpByReference(service));
  };
}

/** The customer's debit must be exactly what was held, on the held account. */
function debitProblem(hold: BackendRecord, lines: Line[]): string | null {
  const debit = lines.filter((l) => l.Account === hold.iban).reduce((sum, l) => sum + l.AmountMinor, 0);
  return debit === -Number(hold.amountMinor) ? null : `the posting debits ${hold.iban} by ${-debit}, the hold is ${String(hold.amountMinor)}`;
}

const AccountSchema = z.object({ iban: z.string().min(15).max(34), name: z.string().min(1), currency: z.string().length(3), openingMinor: z.number().int().min(0), status: z.enum(['ACTIVE', 'BLOCKED']).default('ACTIVE') });

/** `POST /corebanking/_admin/accounts`: an account for a test or a demo. */
function coreBankingAdmin(service: BackendService) {
  return (router: ServiceRouter) => {
    router.admin('POST', '/accounts', ({ body }) => {
      const parsed = AccountSchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', parsed.error.message);
      service.save({ id: service.newId('acct'), kind: 'account', sagaId: null, reference: null, ...parsed.data });
      return { status: 201, body: parsed.data };
    });
  };
}
