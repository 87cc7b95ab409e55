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
  // The routes are built once the journal is read back: what the network owed before a restart is due again.
  network.rearm();
  return (router: ServiceRouter) => {
    router.write('submit', 'POST', '/pacs008', ({ body, sagaId }) => {
      const payment = typeof body === 'string' ? readPacs008(body) : null;
      if (!payment) return problem(400, 'InvalidMessage', 'the body is not a pacs.008 with a UETR and an amount');
      // A UETR is submitted once: the same payment again (a resend after a lost answer) is acknowledged as before.
      const existing = service.byReference(payment.uetr);
      const record = existing ?? network.acknowledged({
        id: service.newId('pmt'), kind: 'payment', sagaId, reference: payment.uetr, msgId: payment.msgId,
        amountMinor: payment.amount.minor, currency: payment.amount.currency, creditorAccount: payment.creditor.iban ?? payment.creditor.accountNumber, creditorBic: payment.creditor.bic,
      });
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

/**
 * What the network owes is kept on the payment's record, in the backends' journal, so a restarted network
 * still owes it: a settlement (`settleAt`, while ACTC), a return (`returnAt`), and each report or return
 * until sagaway took it (`reportDelivery`, `returnDelivery`). Only the timers live in memory; `rearm` sets
 * them again from the records.
 */
class Network {
  constructor(private readonly service: BackendService, private readonly options: NetworkOptions) {}

  report(record: BackendRecord, status: StatusReport['status'], reason: string | null): StatusReport {
    return { msgId: `NET${randomUUID().replaceAll('-', '').slice(0, 24)}`, originalMsgId: String(record.msgId), uetr: String(record.reference), status, reason };
  }

  /** Arms again, after a restart, everything the records say the network still owes. */
  rearm(): void {
    for (const record of this.service.list('payment')) {
      if (record.status === 'ACTC') {
        this.settleLater(record);
        continue;
      }
      if (owes(record, 'report')) void this.deliver(record, this.reportXml(record), 'report');
      const rule = NETWORK_OUTCOMES[String(record.creditorAccount)];
      if (record.status !== 'ACSC' || rule?.outcome !== 'RETURN') continue;
      const returned = this.service.byReference(`${String(record.reference)}:return`);
      if (!returned) this.returnLater(record, rule.reason);
      else if (owes(record, 'return')) void this.deliver(record, this.returnXml(record, returned), 'return');
    }
  }

  /** A payment acknowledged now is owed a settlement `settleMs` later; the record says when. */
  acknowledged(fields: Pick<BackendRecord, 'id' | 'kind' | 'sagaId' | 'reference'> & Record<string, unknown>): BackendRecord {
    const record = this.service.save({ ...fields, status: 'ACTC', settleAt: Date.now() + this.options.settleMs });
    this.settleLater(record);
    return record;
  }

  private settleLater(record: BackendRecord): void {
    setTimeout(() => this.settle(record.id), dueIn(record.settleAt)).unref();
  }

  private returnLater(record: BackendRecord, reason: string): void {
    setTimeout(() => this.returnPayment(record.id, reason), dueIn(record.returnAt)).unref();
  }

  private settle(id: string): void {
    const record = this.service.records.get(id);
    if (!record || record.status !== 'ACTC') return;
    const rule = NETWORK_OUTCOMES[String(record.creditorAccount)];
    const rejected = rule?.outcome === 'RJCT';
    const returnAt = rule?.outcome === 'RETURN' ? { returnAt: Date.now() + this.options.returnMs } : {};
    const settled = this.service.save({ ...record, status: rejected ? 'RJCT' : 'ACSC', reason: rejected ? rule.reason : null, settledAt: now(), ...returnAt });
    void this.deliver(settled, this.reportXml(settled), 'report');
    if (rule?.outcome === 'RETURN') this.returnLater(settled, rule.reason);
  }

  private reportXml(record: BackendRecord): string {
    return pacs002Xml(this.report(record, record.status as StatusReport['status'], (record.reason as string | null | undefined) ?? null), now());
  }

  private returnPayment(id: string, reason: string): void {
    const record = this.service.records.get(id)!;
    if (this.service.byReference(`${String(record.reference)}:return`)) return;
    const msgId = `RTR${randomUUID().replaceAll('-', '').slice(0, 24)}`;
    const returned = this.service.save({ id: this.service.newId('rtr'), kind: 'return', sagaId: record.sagaId, status: 'RETURNED', reference: `${String(record.reference)}:return`, uetr: record.reference, msgId, amountMinor: record.amountMinor, currency: record.currency, reason });
    void this.deliver(record, this.returnXml(record, returned), 'return');
  }

  private returnXml(record: BackendRecord, returned: BackendRecord): string {
    const amount = { minor: Number(returned.amountMinor), currency: String(returned.currency) };
    return pacs004Xml({ msgId: String(returned.msgId), originalMsgId: String(record.msgId), uetr: String(record.reference), returned: amount, reason: String(returned.reason) }, now());
  }

  /**
   * POSTs a signed message to sagaway, again and again while it answers 5xx or nothing (up to a minute or
   * so); a 2xx or a 4xx ends it. A fault on `report` or `return` loses the message, as a network may: the
   * network then owes it no more.
   */
  private async deliver(record: BackendRecord, body: string, op: 'report' | 'return'): Promise<void> {
    const delivered = (outcome: Record<string, unknown>) => this.service.save({ ...this.service.records.get(record.id)!, [`${op}Delivery`]: outcome });
    if (this.service.faults.take(op, record.sagaId)) {
      delivered({ lost: true });
      return;
    }
    const url = this.options.callbackUrl;
    if (!url) return;
    for (let attempt = 1; attempt <= 40; attempt += 1) {
      try {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/xml', [NETWORK_SIGNATURE_HEADER]: signNetworkBody(this.options.secret, body) }, body, signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        delivered({ attempt, status: res.status });
        if (res.status < 500) return;
      } catch {
        // Nobody answered: deliver again.
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempt, 2_000)).unref());
    }
  }
}

/** Still owed: never answered, or answered only 5xx; taken (2xx, 4xx) or lost on purpose, it is not. */
function owes(record: BackendRecord, op: 'report' | 'return'): boolean {
  const delivery = record[`${op}Delivery`] as { status?: number; lost?: boolean } | undefined;
  return !delivery || (!delivery.lost && (delivery.status ?? 500) >= 500);
}

/** Milliseconds until an epoch time a record keeps (none, or past: now). */
const dueIn = (at: unknown) => Math.max(0, Number(at ?? 0) - Date.now());

export const DEFAULT_NETWORK_OPTIONS: NetworkOptions = { callbackUrl: null, secret: '', settleMs: 300, returnMs: 2_000 };
