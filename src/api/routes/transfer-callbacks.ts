import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { sha256 } from '../../audit/chain';
import type { SagaView } from '../../domain/saga';
import { messageKind, readPacs002, readPacs004, type PaymentReturn } from '../../domain/transfer-messages';
import { NETWORK_SIGNATURE_HEADER, SIGNATURE_TOLERANCE_SECONDS, signatureProblem } from '../network-signature';
import { paymentReturnsRefused } from '../../observability/api-metrics';
import { HttpProblem } from '../problems';
import { returnable, type TransferGateway } from '../transfer-gateway';

export interface CallbackOptions {
  transfers: TransferGateway;
  /** The secret the payment network signs its reports with (SAGAWAY_NETWORK_SECRET). */
  networkSecret: string;
}

/**
 * `POST /v1/callbacks/payment-network`: the network's signed pacs.002 (status) and pacs.004 (return). No
 * client key: the signature is the network's credential. An unsigned, badly signed, stale or replayed
 * message is refused before anything is read from it; a report about no transfer we sent is a 404; a
 * duplicate or an out-of-order report changes nothing. A 503 asks the network to deliver it again; any 4xx
 * ends its deliveries. A pacs.004 is kept (its return saga started) as soon as the network settled the
 * transfer, even while the transfer still posts: the return waits for it. The same pacs.004 again is
 * answered with that saga; another one for the same transfer is a 409 that names it. One for a transfer
 * that ended COMPENSATED before the network settled it is a 422: there is nothing to return.
 */
export function transferCallbackRoutes(app: FastifyInstance, options: CallbackOptions): void {
  const seen = new SeenMessages(SIGNATURE_TOLERANCE_SECONDS * 2 * 1_000);
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.post('/v1/callbacks/payment-network', { schema: { hide: true } }, async (request, reply) => {
    const body = typeof request.body === 'string' ? request.body : '';
    const signature = request.headers[NETWORK_SIGNATURE_HEADER];
    const refused = signatureProblem(options.networkSecret, body, typeof signature === 'string' ? signature : undefined);
    if (refused) throw new HttpProblem(401, 'bad-signature', 'The report is not signed by the network', refused);
    const kind = messageKind(body);
    const report = kind === 'pacs.002' ? readPacs002(body) : kind === 'pacs.004' ? readPacs004(body) : null;
    if (!report) throw new HttpProblem(400, 'not-a-report', 'Not a report', 'the body is neither a pacs.002 nor a pacs.004 sagaway can read');
    if (seen.has(report.msgId)) throw new HttpProblem(409, 'replayed-report', 'Report already taken', `message ${report.msgId} was delivered before`);

    const transfer = await options.transfers.transfer(report.originalMsgId, report.uetr);
    if (!transfer) throw new HttpProblem(404, 'unknown-uetr', 'Unknown payment', `no transfer with UETR ${report.uetr} and message ${report.originalMsgId}`);

    if (kind === 'pacs.004') {
      const returnSagaId = await takeReturn(options.transfers, transfer, readPacs004(body)!, sha256(body), request.log);
      seen.add(report.msgId);
      return reply.code(202).send({ status: 'accepted', returnSagaId });
    }
    const status = readPacs002(body)!;
    // ACTC and PDNG say nothing final: noted, nothing changes.
    if (status.status !== 'ACSC' && status.status !== 'RJCT') return reply.code(202).send({ status: 'noted' });
    const outcome = await options.transfers.settle(transfer.view.id, transfer.description, status, sha256(body));
    if (outcome.kind === 'not-yet') throw retryLater('the transfer is not waiting for its report right now');
    seen.add(report.msgId);
    return reply.code(200).send({ status: outcome.kind === 'applied' ? 'accepted' : 'already-settled' });
  });
}

/**
 * Starts the return a pacs.004 asks for and answers its saga's id, or throws what the network is told:
 * wait (503) while the transfer may still settle, no (4xx, for good) when it cannot be returned.
 */
async function takeReturn(transfers: TransferGateway, transfer: { view: SagaView; owner: string; unreadable: boolean }, message: PaymentReturn, messageSha256: string, log: FastifyBaseLogger): Promise<string> {
  const found = { msgId: message.msgId, uetr: message.uetr, transferId: transfer.view.id };
  if (transfer.unreadable) {
    paymentReturnsRefused.inc({ reason: 'transfer-unreadable' });
    log.warn(found, 'a pacs.004 for a transfer that ended without its record (terminated): credit or return it by hand');
    throw unreadableTransfer(transfer.view);
  }
  const verdict = returnable(transfer.view);
  if (verdict === 'never') {
    paymentReturnsRefused.inc({ reason: 'transfer-not-completed' });
    log.warn(found, 'a pacs.004 for a transfer the network never settled');
    throw nothingToReturn(transfer.view);
  }
  if (verdict === 'not-yet') throw retryLater('the transfer has not settled yet');
  const returned = await transfers.startReturn(transfer.view, transfer.owner, message, messageSha256);
  if (returned.kind === 'taken') return returned.view.id;
  // Refused to the network for good: the PaymentReturnRefused alert and this log line are where an operator finds it.
  paymentReturnsRefused.inc({ reason: 'return-exists' });
  log.warn({ ...found, returnSagaId: returned.sagaId }, 'a second, different pacs.004 for a returned transfer');
  throw otherReturn(message.msgId, returned.sagaId);
}

/** Definite (the network stops delivering it): a transfer is returned once, and an operator looks at the second. */
function otherReturn(msgId: string, returnSagaId: string): HttpProblem {
  const detail = `message ${msgId} is not the return the transfer already has (saga ${returnSagaId}); nothing more is credited`;
  return new HttpProblem(409, 'return-exists', 'The transfer already has a return', detail, { returnSagaId });
}

/** Definite: the transfer ended without a record of its own (an operator terminated it); a person takes it from here. */
function unreadableTransfer(transfer: SagaView): HttpProblem {
  const detail = `the transfer ${transfer.id} ended without its record (terminated), so no return can be built from it; an operator credits or returns it by hand`;
  return new HttpProblem(422, 'transfer-unreadable', 'The transfer cannot be read', detail, { transferId: transfer.id });
}

/** Definite: the transfer ended without the network settling it, and that never changes. */
function nothingToReturn(transfer: SagaView): HttpProblem {
  const why = transfer.error ? ` (${transfer.error.type})` : '';
  const detail = `the transfer ${transfer.id} ended ${transfer.status}${why} and the network never settled it: no money left, none can be returned`;
  return new HttpProblem(422, 'transfer-not-completed', 'The transfer was not completed', detail, { transferId: transfer.id, transferStatus: transfer.status });
}

function retryLater(why: string): HttpProblem {
  return new HttpProblem(503, 'retry-later', 'Deliver it again', why, {}, { 'retry-after': '1' });
}

/** Message ids taken within the signature window: the same signed message again is a replay. */
class SeenMessages {
  private readonly ids = new Map<string, number>();

  constructor(private readonly keepMs: number) {}

  has(id: string): boolean {
    const at = this.ids.get(id);
    return at !== undefined && Date.now() - at < this.keepMs;
  }

  add(id: string): void {
    const now = Date.now();
    this.ids.set(id, now);
    for (const [old, at] of this.ids) {
      if (now - at < this.keepMs) break;
      this.ids.delete(old);
    }
  }
}
