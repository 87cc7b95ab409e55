import { randomUUID } from 'node:crypto';
import { NETWORK_SIGNATURE_HEADER, signNetworkBody } from '../api/network-signature';
import { pacs002Xml, pacs004Xml, readPacs008, readPacs028, type StatusReport } from '../domain/transfer-messages';
import type { BackendRecord } from './journal';
import { problem, type BackendService, type OpReply, type ServiceRouter } from './service';
import { lookUpByReference } from './undo';

/**
 * The payment network: takes a pacs.008 by its UETR and acknowledges it at once (ACTC), settles it a
 * moment later and reports how (a signed pacs.002 POSTed to sagaway's callback, delivered again until it
 * is taken), answers pacs.028 status requests, and for some beneficiaries returns the money later (pacs.004).
 */
export interface NetworkOptions {
  /** Where reports go (sagaway's `/v1/callbacks/payment-network`); null keeps them undelivered. */
  callbackUrl: string | null;
  secret: string;
  settleMs: number;
  returnMs: number;
}

/** Beneficiary accounts whose bank rejects (pacs.002 RJCT) or later returns (pacs.004) the payment (README). */
export const NETWORK_OUTCOMES: Record<string, { outcome: 'RJCT' | 'RETURN'; reason: string }> = {
  GB29NWBK60161331926819: { outcome: 'RJCT', reason: 'AC04' },
  ES9121000418450200051332: { outcome: 'RETURN', reason: 'MD07' },
};

const xml = (status: number, body: string): OpReply => ({ status, body, contentType: 'application/xml' });
const now = () => new Date().toISOString();

export function paymentNetworkRoutes(service: BackendService, options: NetworkOptions) {
  const network = new Network(service, options);
  return (router: ServiceRouter) => {
    router.write('submit', 'POST', '/pacs008', ({ body, sagaId }) => {
      const payment = typeof body === 'string' ? readPacs008(body) : null;
      if (!payment) return problem(400, 'InvalidMessage', 'the body is not a pacs.008 with a UETR and an amount');
      // A UETR is submitted once: the same payment again (a resend after a lost answer) is acknowledged as before.
      const existing = service.byReference(payment.uetr);
      const record = existing ?? service.save({
        id: service.newId('pmt'), kind: 'payment', sagaId, status: 'ACTC', reference: payment.uetr, msgId: payment.msgId,
        amountMinor: payment.amount.minor, currency: payment.amount.currency, creditorAccount: payment.creditor.iban ?? payment.creditor.accountNumber, creditorBic: payment.creditor.bic,
      });
      if (!existing) network.settleLater(record);
      return xml(202, pacs002Xml(network.report(record, 'ACTC', null), now()));
    });
    router.write('status', 'POST', '/pacs028', ({ body }) => {
      const request = typeof body === 'string' ? readPacs028(body) : null;
      if (!request) return problem(400, 'InvalidMessage', 'the body is not a pacs.028 with an original UETR');
      const record = service.byReference(request.uetr);
      if (!record || record.kind !== 'payment') return problem(404, 'UnknownUetr', `no payment ${request.uetr}`);
      return xml(200, pacs002Xml(network.report(record, record.status as StatusReport['status'], (record.reason as string | undefined) ?? null), now()));
    });
    router.read('lookup', '/references/:reference', lookUpByReference(service));
  };
}

class Network {
  constructor(private readonly service: BackendService, private readonly options: NetworkOptions) {}

  report(record: BackendRecord, status: StatusReport['status'], reason: string | null): StatusReport {
    return { msgId: `NET${randomUUID().replaceAll('-', '').slice(0, 24)}`, originalMsgId: String(record.msgId), uetr: String(record.reference), status, reason };
  }

  settleLater(record: BackendRecord): void {
    setTimeout(() => this.settle(record.id), this.options.settleMs).unref();
  }

  private settle(id: string): void {
    const record = this.service.records.get(id);
    if (!record || record.status !== 'ACTC') return;
    const rule = NETWORK_OUTCOMES[String(record.creditorAccount)];
    const rejected = rule?.outcome === 'RJCT';
    const settled = this.service.save({ ...record, status: rejected ? 'RJCT' : 'ACSC', reason: rejected ? rule.reason : null, settledAt: now() });
    void this.deliver(settled, pacs002Xml(this.report(settled, rejected ? 'RJCT' : 'ACSC', rejected ? rule.reason : null), now()), 'report');
    if (rule?.outcome === 'RETURN') setTimeout(() => this.returnPayment(settled, rule.reason), this.options.returnMs).unref();
  }

  private returnPayment(record: BackendRecord, reason: string): void {
    const msgId = `RTR${randomUUID().replaceAll('-', '').slice(0, 24)}`;
    const returned = { minor: Number(record.amountMinor), currency: String(record.currency) };
    this.service.save({ id: this.service.newId('rtr'), kind: 'return', sagaId: record.sagaId, status: 'RETURNED', reference: `${String(record.reference)}:return`, uetr: record.reference, msgId, amountMinor: returned.minor, currency: returned.currency, reason });
    void this.deliver(record, pacs004Xml({ msgId, originalMsgId: String(record.msgId), uetr: String(record.reference), returned, reason }, now()), 'return');
  }

  /**
   * POSTs a signed message to sagaway, again and again while it answers 5xx or nothing (up to a minute or
   * so); a 2xx or a 4xx ends it. A fault on `report` or `return` loses the message, as a network may.
   */
  private async deliver(record: BackendRecord, body: string, op: 'report' | 'return'): Promise<void> {
    if (this.service.faults.take(op, record.sagaId)) return;
    const url = this.options.callbackUrl;
    if (!url) return;
    for (let attempt = 1; attempt <= 40; attempt += 1) {
      try {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/xml', [NETWORK_SIGNATURE_HEADER]: signNetworkBody(this.options.secret, body) }, body, signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        this.service.save({ ...this.service.records.get(record.id)!, [`${op}Delivery`]: { attempt, status: res.status } });
        if (res.status < 500) return;
      } catch {
        // Nobody answered: deliver again.
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempt, 2_000)).unref());
    }
  }
}

export const DEFAULT_NETWORK_OPTIONS: NetworkOptions = { callbackUrl: null, secret: '', settleMs: 300, returnMs: 2_000 };
