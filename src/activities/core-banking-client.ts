import { ApplicationFailure } from '@temporalio/activity';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { Pool } from 'undici';
import { z } from 'zod';
import { FailureType, isFailureType } from '../domain/failures';
import type { PostingLine } from '../domain/transfer';
import { BackendClient, inProgress, malformed, type Authorizer, type CallContext } from './http-client';

/**
 * The core banking system speaks SOAP 1.1: an envelope per operation, the operation named in SOAPAction,
 * and every fault answered with HTTP 500. This client is the only code that sees it. A `soap:Client.*`
 * fault is the request refused for good (a business rejection); a `soap:Server.*` fault, any other 5xx, a
 * timeout or a reset is an unknown outcome the retry policy handles.
 */
export const CORE_BANKING_NS = 'urn:sagaway:core-banking:v1';

const parser = new XMLParser({ removeNSPrefix: true, parseTagValue: false, ignoreDeclaration: true });
const builder = new XMLBuilder({ suppressEmptyNode: true, ignoreAttributes: false });

const HoldAnswer = z.object({ HoldId: z.string().min(1), Status: z.literal('HELD') });
const ReleaseAnswer = z.object({ Status: z.literal('RELEASED') });
const PostingAnswer = z.object({ PostingId: z.string().min(1), Status: z.literal('POSTED') });

export function soapEnvelope(operation: string, fields: Record<string, unknown>): string {
  const body = Object.fromEntries(Object.entries(fields).map(([k, v]) => [`cb:${k}`, v]));
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({
    'soap:Envelope': { '@_xmlns:soap': 'http://schemas.xmlsoap.org/soap/envelope/', '@_xmlns:cb': CORE_BANKING_NS, 'soap:Body': { [`cb:${operation}`]: body } },
  })}`;
}

function bodyElement(xml: string, element: string): unknown {
  try {
    return (parser.parse(xml) as { Envelope?: { Body?: Record<string, unknown> } })?.Envelope?.Body?.[element] ?? null;
  } catch {
    return null;
  }
}

const lineXml = (lines: PostingLine[]) => lines.map((l) => ({ 'cb:Account': l.account, 'cb:AmountMinor': l.minor, 'cb:Currency': l.currency }));

export class CoreBankingClient {
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(
    baseUrl: string,
    private readonly timeoutMs: number,
    private readonly authorize: Authorizer | undefined,
    /** The JSON side every backend has: look-ups by reference. */
    readonly lookups: BackendClient,
  ) {
    const url = new URL(baseUrl);
    this.basePath = url.pathname.replace(/\/$/, '');
    this.pool = new Pool(url.origin, { connections: 32, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  }

  async holdFunds(iban: string, minor: number, currency: string, call: CallContext) {
    return this.exchange('HoldFunds', { AccountIban: iban, AmountMinor: minor, Currency: currency }, HoldAnswer, call);
  }

  async releaseHold(reference: string, call: CallContext) {
    return this.exchange('ReleaseHold', { Reference: reference }, ReleaseAnswer, call);
  }

  async postTransfer(holdReference: string, lines: PostingLine[], call: CallContext) {
    return this.exchange('PostTransfer', { HoldReference: holdReference, Line: lineXml(lines) }, PostingAnswer, call);
  }

  async creditReturn(transferReference: string, lines: PostingLine[], call: CallContext) {
    return this.exchange('CreditReturn', { TransferReference: transferReference, Line: lineXml(lines) }, PostingAnswer, call);
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.close(), this.lookups.close()]);
  }

  private async exchange<S extends z.ZodType>(operation: string, fields: Record<string, unknown>, schema: S, call: CallContext): Promise<z.infer<S>> {
    const headers = {
      'content-type': 'text/xml; charset=utf-8',
      soapaction: `"${CORE_BANKING_NS}#${operation}"`,
      'idempotency-key': call.key,
      'x-saga-id': call.sagaId,
      ...(await this.authorize?.headers(call)),
    };
    let res: { statusCode: number; text: string };
    try {
      const answer = await this.pool.request({ method: 'POST', path: `${this.basePath}/soap/${operation}`, headers, body: soapEnvelope(operation, fields), signal: AbortSignal.timeout(this.timeoutMs) });
      res = { statusCode: answer.statusCode, text: await answer.body.text() };
    } catch (err) {
      throw new Error(`corebanking ${operation}: ${(err as Error).message}`);
    }
    if (res.statusCode === 401) this.authorize?.rejected?.();
    if (res.statusCode >= 200 && res.statusCode < 300) {
      const parsed = schema.safeParse(bodyElement(res.text, `${operation}Response`));
      if (!parsed.success) throw malformed('corebanking', operation, parsed.error.issues[0]?.message ?? `no ${operation}Response`);
      return parsed.data;
    }
    throw this.failureOf(operation, res);
  }

  private failureOf(operation: string, res: { statusCode: number; text: string }): Error {
    const fault = bodyElement(res.text, 'Fault') as { faultcode?: string; faultstring?: string } | null;
    const [side, code] = String(fault?.faultcode ?? '').replace(/^soap:/, '').split('.', 2);
    if (fault && side === 'Client' && code) {
      const type = isFailureType(code) ? code : FailureType.BackendRejected;
      return ApplicationFailure.nonRetryable(`corebanking: ${fault.faultstring ?? code}`, type, { status: res.statusCode, code });
    }
    const problemCode = fault ? undefined : (/"code":"(\w+)"/.exec(res.text) ?? [])[1];
    // The idempotency layer's 409 while an earlier attempt with this key still runs (one that outlived its
    // timeout): that attempt may yet apply, so it is no answer, retried like a timeout.
    if (!fault && inProgress(res.statusCode, problemCode)) return new Error(`corebanking ${operation}: HTTP 409 ${problemCode ?? 'without a definite answer'}`);
    // A 4xx that is not SOAP (an undo that came first, answered by the idempotency layer) is still final.
    if (res.statusCode >= 400 && res.statusCode < 500 && ![401, 408, 425, 429].includes(res.statusCode)) {
      return ApplicationFailure.nonRetryable(`corebanking ${operation}: HTTP ${res.statusCode} ${problemCode ?? ''}`.trim(), problemCode && isFailureType(problemCode) ? problemCode : FailureType.BackendRejected);
    }
    return new Error(`corebanking ${operation}: HTTP ${res.statusCode}${fault ? ` ${String(fault.faultcode)}` : ''}`);
  }
}

export function createCoreBankingClient(baseUrl: string, timeoutMs: number, authorize?: Authorizer): CoreBankingClient {
  return new CoreBankingClient(baseUrl, timeoutMs, authorize, new BackendClient('corebanking', baseUrl, { timeoutMs, authorize }));
}
