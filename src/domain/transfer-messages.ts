import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { fromMinor, toMinor } from './iso';
import { MessageTypes } from './message-types';
import type { Amount } from './transfer';

/**
 * The ISO 20022 messages of a cross-border transfer, as sagaway and the simulated network exchange them:
 * pacs.008 (the payment), pacs.002 (its status report), pacs.028 (a status request), pacs.004 (a return).
 * Only the elements sagaway reads or writes; amounts in the currency's own decimals (JPY 0, KWD 3).
 */
export { MessageTypes } from './message-types';

/** The bank sagaway sends for (the debtor agent). */
export const OUR_BIC = 'SAGADEFFXXX';

const parser = new XMLParser({ removeNSPrefix: true, parseTagValue: false, ignoreDeclaration: true, ignoreAttributes: false, attributeNamePrefix: '@' });
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', suppressEmptyNode: true });

function document(type: string, root: string, body: unknown): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ Document: { '@xmlns': `urn:iso:std:iso:20022:tech:xsd:${type}`, [root]: body } })}`;
}

const amountXml = (a: Amount) => ({ '@Ccy': a.currency, '#text': fromMinor(a.minor, a.currency) });

export interface Pacs008 {
  msgId: string;
  uetr: string;
  endToEndId: string;
  amount: Amount;
  chargeBearer: string;
  debtor: { name: string; iban: string };
  creditor: { name: string; iban?: string; accountNumber?: string; bic: string; country: string; addressLine: string };
  remittance?: string;
}

export function pacs008Xml(m: Pacs008, createdAt: string): string {
  const account = m.creditor.iban ? { IBAN: m.creditor.iban } : { Othr: { Id: m.creditor.accountNumber } };
  return document(MessageTypes.pacs008, 'FIToFICstmrCdtTrf', {
    GrpHdr: { MsgId: m.msgId, CreDtTm: createdAt, NbOfTxs: 1, SttlmInf: { SttlmMtd: 'INDA' } },
    CdtTrfTxInf: {
      PmtId: { EndToEndId: m.endToEndId, UETR: m.uetr },
      IntrBkSttlmAmt: amountXml(m.amount),
      ChrgBr: m.chargeBearer,
      Dbtr: { Nm: m.debtor.name },
      DbtrAcct: { Id: { IBAN: m.debtor.iban } },
      DbtrAgt: { FinInstnId: { BICFI: OUR_BIC } },
      CdtrAgt: { FinInstnId: { BICFI: m.creditor.bic } },
      Cdtr: { Nm: m.creditor.name, PstlAdr: { Ctry: m.creditor.country, AdrLine: m.creditor.addressLine } },
      CdtrAcct: { Id: account },
      RmtInf: m.remittance ? { Ustrd: m.remittance } : undefined,
    },
  });
}

/** A pacs.008 read back (the network's side), or null when it is not one. */
export function readPacs008(xml: string): Pacs008 | null {
  const tx = root(xml, 'FIToFICstmrCdtTrf');
  const msgId = text(tx?.GrpHdr?.MsgId);
  const t = tx?.CdtTrfTxInf;
  const amount = amountOf(t?.IntrBkSttlmAmt);
  if (!msgId || !t || !amount || !text(t.PmtId?.UETR)) return null;
  return {
    msgId,
    uetr: text(t.PmtId.UETR)!,
    endToEndId: text(t.PmtId.EndToEndId) ?? 'NOTPROVIDED',
    amount,
    chargeBearer: text(t.ChrgBr) ?? 'SHAR',
    debtor: { name: text(t.Dbtr?.Nm) ?? '', iban: text(t.DbtrAcct?.Id?.IBAN) ?? '' },
    creditor: {
      name: text(t.Cdtr?.Nm) ?? '',
      iban: text(t.CdtrAcct?.Id?.IBAN),
      accountNumber: text(t.CdtrAcct?.Id?.Othr?.Id),
      bic: text(t.CdtrAgt?.FinInstnId?.BICFI) ?? '',
      country: text(t.Cdtr?.PstlAdr?.Ctry) ?? '',
      addressLine: text(t.Cdtr?.PstlAdr?.AdrLine) ?? '',
    },
    remittance: text(t.RmtInf?.Ustrd),
  };
}

export interface StatusReport {
  msgId: string;
  originalMsgId: string;
  uetr: string;
  status: 'ACTC' | 'PDNG' | 'ACSC' | 'RJCT';
  reason: string | null;
}

export function pacs002Xml(r: StatusReport, createdAt: string): string {
  return document(MessageTypes.pacs002, 'FIToFIPmtStsRpt', {
    GrpHdr: { MsgId: r.msgId, CreDtTm: createdAt },
    OrgnlGrpInfAndSts: { OrgnlMsgId: r.originalMsgId, OrgnlMsgNmId: MessageTypes.pacs008 },
    TxInfAndSts: { OrgnlUETR: r.uetr, TxSts: r.status, StsRsnInf: r.reason ? { Rsn: { Cd: r.reason } } : undefined },
  });
}

export function readPacs002(xml: string): StatusReport | null {
  const doc = root(xml, 'FIToFIPmtStsRpt');
  const tx = doc?.TxInfAndSts;
  const status = text(tx?.TxSts);
  const msgId = text(doc?.GrpHdr?.MsgId);
  const originalMsgId = text(doc?.OrgnlGrpInfAndSts?.OrgnlMsgId);
  const uetr = text(tx?.OrgnlUETR);
  if (!msgId || !originalMsgId || !uetr || !status || !['ACTC', 'PDNG', 'ACSC', 'RJCT'].includes(status)) return null;
  return { msgId, originalMsgId, uetr, status: status as StatusReport['status'], reason: text(tx?.StsRsnInf?.Rsn?.Cd) ?? null };
}

export function pacs028Xml(r: { msgId: string; originalMsgId: string; uetr: string }, createdAt: string): string {
  return document(MessageTypes.pacs028, 'FIToFIPmtStsReq', {
    GrpHdr: { MsgId: r.msgId, CreDtTm: createdAt },
    TxInf: { OrgnlGrpInf: { OrgnlMsgId: r.originalMsgId, OrgnlMsgNmId: MessageTypes.pacs008 }, OrgnlUETR: r.uetr },
  });
}

export function readPacs028(xml: string): { msgId: string; uetr: string } | null {
  const doc = root(xml, 'FIToFIPmtStsReq');
  const msgId = text(doc?.GrpHdr?.MsgId);
  const uetr = text(doc?.TxInf?.OrgnlUETR);
  return msgId && uetr ? { msgId, uetr } : null;
}

export interface PaymentReturn {
  msgId: string;
  originalMsgId: string;
  uetr: string;
  returned: Amount;
  reason: string;
}

export function pacs004Xml(r: PaymentReturn, createdAt: string): string {
  return document(MessageTypes.pacs004, 'PmtRtr', {
    GrpHdr: { MsgId: r.msgId, CreDtTm: createdAt, NbOfTxs: 1 },
    TxInf: { OrgnlGrpInf: { OrgnlMsgId: r.originalMsgId, OrgnlMsgNmId: MessageTypes.pacs008 }, OrgnlUETR: r.uetr, RtrdIntrBkSttlmAmt: amountXml(r.returned), RtrRsnInf: { Rsn: { Cd: r.reason } } },
  });
}

export function readPacs004(xml: string): PaymentReturn | null {
  const doc = root(xml, 'PmtRtr');
  const tx = doc?.TxInf;
  const msgId = text(doc?.GrpHdr?.MsgId);
  const originalMsgId = text(tx?.OrgnlGrpInf?.OrgnlMsgId);
  const uetr = text(tx?.OrgnlUETR);
  const returned = amountOf(tx?.RtrdIntrBkSttlmAmt);
  const reason = text(tx?.RtrRsnInf?.Rsn?.Cd);
  return msgId && originalMsgId && uetr && returned && reason ? { msgId, originalMsgId, uetr, returned, reason } : null;
}

/** Which message a document is, by its root element. */
export function messageKind(xml: string): 'pacs.002' | 'pacs.004' | null {
  if (root(xml, 'FIToFIPmtStsRpt')) return 'pacs.002';
  if (root(xml, 'PmtRtr')) return 'pacs.004';
  return null;
}

function root(xml: string, name: string): any {
  try {
    return parser.parse(xml)?.Document?.[name] ?? null;
  } catch {
    return null;
  }
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function amountOf(node: unknown): Amount | null {
  const n = node as { '@Ccy'?: string; '#text'?: string } | undefined;
  if (!n?.['@Ccy'] || typeof n['#text'] !== 'string') return null;
  const minor = toMinor(n['#text'], n['@Ccy']);
  return 'minor' in minor ? { minor: minor.minor, currency: n['@Ccy'] } : null;
}
