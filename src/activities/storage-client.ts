import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import { BackendClient, malformed, type Authorizer, type CallContext, type Problem } from './http-client';

/**
 * The storage service speaks SOAP-style XML. This module is the only place in sagaway that sees it:
 * requests are built from typed objects and answers are validated before anything else reads them.
 */
const parser = new XMLParser({ removeNSPrefix: true, parseTagValue: false, ignoreDeclaration: true });
const builder = new XMLBuilder({ suppressEmptyNode: true, ignoreAttributes: false });

const ReserveAnswerSchema = z.object({ BikeId: z.string().min(1), Bay: z.coerce.number().int().positive(), Status: z.string() });
const ReturnAnswerSchema = z.object({ Status: z.literal('RETURNED') });
const StockAnswerSchema = z.object({ KioskId: z.string(), Available: z.coerce.number().int().min(0) });

export function storageEnvelope(operation: string, fields: Record<string, string | number>): string {
  const body = Object.fromEntries(Object.entries(fields).map(([k, v]) => [`st:${k}`, v]));
  const doc = {
    'soap:Envelope': {
      '@_xmlns:soap': 'http://schemas.xmlsoap.org/soap/envelope/',
      '@_xmlns:st': 'urn:city-bikes:storage',
      'soap:Body': { [`st:${operation}`]: body },
    },
  };
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(doc)}`;
}

/** The named element of the SOAP body, or null when the XML is not a well-formed envelope holding it. */
export function readEnvelope(xml: string, element: string): unknown {
  try {
    const doc = parser.parse(xml, true) as { Envelope?: { Body?: Record<string, unknown> } };
    return doc?.Envelope?.Body?.[element] ?? null;
  } catch {
    return null;
  }
}

/** A SOAP fault's code (`soap:Client.KioskEmpty` -> `KioskEmpty`) and message. */
export function parseSoapFault(xml: string): Problem {
  const fault = readEnvelope(xml, 'Fault') as { faultcode?: string; faultstring?: string } | null;
  if (!fault) return {};
  return { code: String(fault.faultcode ?? '').split('.').pop(), detail: fault.faultstring };
}

export class StorageClient {
  constructor(readonly http: BackendClient) {}

  async reserveBike(kioskId: string, verificationId: string, call: CallContext) {
    return this.exchange('ReserveBike', { KioskId: kioskId, VerificationId: verificationId }, ReserveAnswerSchema, call);
  }

  async returnBike(reference: string, call: CallContext) {
    return this.exchange('ReturnBike', { Reference: reference }, ReturnAnswerSchema, call);
  }

  async kioskStock(kioskId: string): Promise<number> {
    const res = await this.http.send('GET', `/kiosks/${encodeURIComponent(kioskId)}/stock`, undefined, undefined);
    return this.validate(res.text, 'KioskStockResponse', StockAnswerSchema, '/kiosks/stock').Available;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private async exchange<S extends z.ZodType>(operation: string, fields: Record<string, string>, schema: S, call: CallContext): Promise<z.infer<S>> {
    const res = await this.http.send('POST', `/${operation}`, storageEnvelope(operation, fields), 'application/xml', call);
    return this.validate(res.text, `${operation}Response`, schema, `/${operation}`);
  }

  private validate<S extends z.ZodType>(xml: string, element: string, schema: S, path: string): z.infer<S> {
    const answer = readEnvelope(xml, element);
    if (!answer) throw malformed('storage', path, `no ${element} in the envelope`);
    const parsed = schema.safeParse(answer);
    if (!parsed.success) throw malformed('storage', path, parsed.error.issues[0]?.message ?? 'unexpected shape');
    return parsed.data;
  }
}

export function createStorageClient(baseUrl: string, timeoutMs: number, authorize?: Authorizer): StorageClient {
  return new StorageClient(new BackendClient('storage', baseUrl, { timeoutMs, parseProblem: parseSoapFault, authorize }));
}
