/**
 * The transfer's world beyond the generic ledgers: the payment network that settles a submission a moment
 * later and reports it through sagaway's callback code (TransferGateway.settle, as the callback route does),
 * the core system's postings, and the invariants judged from them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { TransferGateway } from '../src/api/transfer-gateway';
import type { SagaGateway } from '../src/api/saga-gateway';
import type { SagaView } from '../src/domain/saga';
import type { PostingLine } from '../src/domain/transfer';
import { sagaStateQuery } from '../src/workflows/saga';
import { Invariants, type Violation } from './invariants';
import { simTuning } from './saga-sim';
import type { LedgerRecord, World } from './world';

export const NETWORK = 'network';
export const CORE = 'corebanking';

/** The network's statuses in its ledger: accepted (waiting to settle), settled, rejected. */
export type NetworkStatus = 'ACTC' | 'ACSC' | 'RJCT';

/** The network takes the payment once per UETR; a resend is the same payment. */
export function acceptPayment(world: World, uetr: string, key: string, creditMinor: number): { isNew: boolean; record: LedgerRecord } {
  const isNew = !world.find(NETWORK, uetr);
  world.applyForward(NETWORK, uetr, 'submitPayment', 'ACTC', null, creditMinor);
  const record = world.find(NETWORK, uetr)!;
  if (!record.movedBy.includes(key)) record.movedBy.push(key);
  return { isNew, record };
}

/** The network decides (once): money moved (ACSC, the pivot took effect) or not (RJCT). */
export function networkDecides(world: World, uetr: string, status: 'ACSC' | 'RJCT', byHand = false): NetworkStatus {
  const record = world.find(NETWORK, uetr);
  if (!record || record.status !== 'ACTC') return (record?.status as NetworkStatus | undefined) ?? 'ACTC';
  Object.assign(record, { status, byHand });
  if (status === 'ACSC') world.pivotAt ??= world.tick();
  world.note(`${NETWORK}: ${uetr} ${status}${byHand ? ' by hand' : ''}`);
  return status;
}

const clients = new WeakMap<object, Client>();

/**
 * Delivers the network's signed pacs.002 as the callback route would once it verified it: through
 * TransferGateway.settle. While the saga is between attempts (`not-yet`), the network delivers it again.
 */
export async function deliverReport(h: WorkflowHandle, uetr: string, status: 'ACSC' | 'RJCT', reason: string | null): Promise<string> {
  const connection = h.client.connection;
  let client = clients.get(connection);
  if (!client) clients.set(connection, (client = new Client({ connection, namespace: h.client.options.namespace })));
  const sagas = { view: () => h.query(sagaStateQuery) } as unknown as SagaGateway;
  const gateway = new TransferGateway(client, sagas, simTuning);
  const report = { msgId: `rpt-${uetr.slice(0, 8)}`, originalMsgId: h.workflowId, uetr, status, reason };
  for (let delivery = 1; delivery <= 40; delivery += 1) {
    const description = await h.describe();
    if (description.status.name !== 'RUNNING') return 'saga ended';
    const outcome = await gateway.settle(h.workflowId, description, report, `sim-${report.msgId}`);
    if (outcome.kind !== 'not-yet') return outcome.kind;
    await sleep(250);
  }
  return 'never taken';
}

/** A posting on the core system: its lines, kept with the record. */
export interface Posting {
  postingId: string;
  lines: PostingLine[];
}

export const postingsOf = (world: World) => [...world.ledger(CORE).records.values()].filter((r) => r.step.startsWith('postTransfer') && r.undoneAt === null);

/** Money that left the customer's account in postings, in minor units. */
export function debitedIn(world: World, customerIban: string): number {
  return postingsOf(world).reduce((sum, r) => sum - (r.value as Posting).lines.filter((l) => l.account === customerIban).reduce((s, l) => s + l.minor, 0), 0);
}

/**
 * Postings balance per currency; money left the customer only for a payment the network settled; a
 * payment the network rejected leaves nothing held unless the saga is compensating (an undo STUCK is
 * visible, and judged by undo-missing once the saga ends).
 */
export function transferLedgerChecks(view: SagaView, world: World): Violation[] {
  const out: Violation[] = [];
  const network = [...world.ledger(NETWORK).records.values()][0];
  for (const r of postingsOf(world)) {
    const lines = (r.value as Posting).lines;
    for (const currency of new Set(lines.map((l) => l.currency))) {
      const net = lines.filter((l) => l.currency === currency).reduce((s, l) => s + l.minor, 0);
      if (net !== 0) out.push({ invariant: Invariants.postingsUnbalanced, detail: `posting ${r.key} nets ${net} ${currency}` });
    }
    if (network?.status !== 'ACSC') out.push({ invariant: Invariants.moneyLeftUnsettled, detail: `posted ${r.key}, but the network ${network ? `says ${network.status}` : 'never had the payment'}` });
  }
  if (network?.status === 'RJCT' && view.status !== 'COMPENSATING') {
    const held = world.live((s) => s === 'holdFunds' || s === 'lockPair').filter((r) => r.status !== 'POSTED');
    const at = view.steps.filter((s) => s.status === 'STUCK').map((s) => s.name).join(', ') || 'nothing';
    for (const r of held) out.push({ invariant: Invariants.rejectedStillHeld, detail: `the network rejected the payment; ${view.status}, STUCK at ${at}, and ${r.step} still ${r.status}` });
  }
  return out;
}
