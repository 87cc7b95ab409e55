import { signNetworkBody } from '../../src/api/network-signature';
import { DEV_NETWORK_SECRET } from '../../src/config';
import { pacs004Xml } from '../../src/domain/transfer-messages';
import { backendRecords, call, injectFault, sagaKey, waitFor, waitForView } from './http';

export const ADA = 'DE89370400440532013000';
const clean = { name: 'Claire Dubois', iban: 'FR7630006000011234567890189', bic: 'BNPAFRPP', country: 'FR', address: { line: '1 rue de Rivoli', city: 'Paris' }, currency: 'EUR' };

/**
 * A clean transfer whose posting is slow (applied after 6 s whatever the caller does), and a pacs.004 for it
 * delivered once, as a network delivers a message, after the network settled it and while it still posts.
 * Answers the transfer's id, the network's payment record and the status the callback answered.
 */
export async function returnWhilePosting(urls: { apiUrl: string; backendsUrl: string }) {
  const { idempotencyKey, sagaId } = sagaKey();
  await injectFault(urls.backendsUrl, 'corebanking', { op: 'postTransfer', mode: 'slow', latencyMs: 6_000, count: 1, sagaId });
  const body = { debtor: { iban: ADA, currency: 'EUR' }, beneficiary: clean, amount: { value: '100.00', currency: 'EUR' }, remittanceInformation: 'early return' };
  const started = await call(urls.apiUrl, 'POST', '/v1/transfers', { body, idempotencyKey });
  if (![200, 202].includes(started.status)) throw new Error(`transfer refused: ${JSON.stringify(started.body)}`);
  const id = started.body.id as string;
  const payment = await waitFor('the network to settle', async () => (await backendRecords(urls.backendsUrl, 'network', id)).find((r) => r.kind === 'payment' && r.status === 'ACSC'), 90_000);
  await waitForView(urls.apiUrl, id, (v) => v.steps.some((s: any) => s.name === 'postTransfer' && s.status === 'RUNNING'), 60_000);

  // The beneficiary's bank sends the money back at once (MD07).
  const returned = pacs004Xml({ msgId: `RTR${id.slice(-12)}`, originalMsgId: id, uetr: payment.reference, returned: { minor: payment.amountMinor, currency: payment.currency }, reason: 'MD07' }, new Date().toISOString());
  const delivered = await deliverToCallback(urls.apiUrl, returned);
  return { id, payment, status: delivered.status };
}

/** A transfer of 100.00 EUR to `beneficiary`, once it ended; with the payment the network holds for it. */
export async function endedTransfer(urls: { apiUrl: string; backendsUrl: string }, beneficiary: Record<string, unknown> = clean) {
  const body = { debtor: { iban: ADA, currency: 'EUR' }, beneficiary, amount: { value: '100.00', currency: 'EUR' }, remittanceInformation: 'ended' };
  const started = await call(urls.apiUrl, 'POST', '/v1/transfers', { body, idempotencyKey: sagaKey().idempotencyKey, prefer: 'wait=40' });
  if (![200, 202].includes(started.status)) throw new Error(`transfer refused: ${JSON.stringify(started.body)}`);
  const view = await waitForView(urls.apiUrl, started.body.id, (v) => v.status !== 'RUNNING' && v.status !== 'COMPENSATING', 60_000);
  const payment = (await backendRecords(urls.backendsUrl, 'network', view.id)).find((r) => r.kind === 'payment');
  if (!payment) throw new Error(`the network holds no payment for ${view.id}`);
  return { view, payment };
}

/** Delivers a message to sagaway's callback as the network does (signed now); its answer, read. */
export async function deliverToCallback(apiUrl: string, xml: string) {
  const res = await fetch(`${apiUrl}/v1/callbacks/payment-network`, { method: 'POST', headers: { 'content-type': 'application/xml', 'x-network-signature': signNetworkBody(DEV_NETWORK_SECRET, xml) }, body: xml });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as Record<string, any> };
}
