import { bikeInvariants, capturedInvariant, check, classInvariants, orderInvariants, outcomeInvariant, waitsForOperator, type Invariant } from './invariants';
import { apiAnswers, pause, readView, startWithRetry, ticket, type Ticket } from './load';
import { FaultLedger } from './faults';
import { IN_PROGRESS_KIND, PLANNED_EVENTS, type CampaignSize, type FaultContext, type FaultStep, type Probe } from './plan';
import { Client, Connection } from '@temporalio/client';
import type { LaunchedStack as Stack } from '../src/dev/stack';
import { serverSideOf } from '../src/dev/workflow-diagnosis';
import { sagaIdFor } from '../src/api/idempotency';
import { CHAOS_KIOSK, CHAOS_SECTIONS, sagaMix } from './mix';
import { runSensors } from './sensor';
import { tripInvariants } from './trip-invariants';
import { cancelDuringPivot, dropDuringAddDrop, newPivotCancels, type Drops, type PivotCancels } from './cancels';
import { retryStuckThroughOperators } from './operators';
import { followReturns, injectTransferFaults, runReviews, transferTicket, type Officer, type Reviews } from './transfers';
import { transferInvariants } from './transfer-invariants';
import type { ChaosRedis } from './redis';
import { inProgressAnswers } from './worker-logs';

export interface CampaignResult {
  sagas: number;
  outcomes: Record<string, number>;
  /** The return sagas the returned transfers started (not among `sagas`: the network started them), by status. */
  returns: Record<string, number>;
  /** Calls each backend fault hit, by kind. */
  faults: Record<string, number>;
  /** What the campaign did itself (SIGKILLs, duplicate deliveries), by kind. */
  events: Record<string, number>;
  restarts: Record<string, number>;
  probes: Probe[];
  api: { byStatus: Record<string, number>; byRequest: Record<string, number>; serverErrors: Record<string, number>; connectionErrors: number };
  invariants: Invariant[];
  drainSeconds: number;
  pivotCancels: Record<number, number>;
}

export async function runCampaign(stack: Stack, redis: ChaosRedis, plan: FaultStep[], size: CampaignSize): Promise<CampaignResult> {
  const events: Record<string, number> = Object.fromEntries(PLANNED_EVENTS.map((kind) => [kind, 0]));
  const probes: Probe[] = [];
  const ledger = new FaultLedger(() => stack.backendsUrl);
  const tickets: Ticket[] = [];
  const sagaIds = () => tickets.flatMap((t) => (t.sagaId ? [t.sagaId] : []));
  const drops: Drops = { sent: 0, odd: [], missed: [] };
  const duplicates = { sent: 0 };
  const started = Date.now();
  const endBy = started + size.seconds * 1_000;
  const starts: Promise<void>[] = [];
  const cancels = newPivotCancels();
  const ctx: FaultContext = {
    stack,
    probes,
    ledger,
    redis,
    sagaIds,
    sagaIdOf: (t) => sagaIdFor(stack.clientId, t.key),
    launch: (t) => {
      tickets.push(t);
      starts.push(startWithRetry(api, stack.apiKey, t, endBy + size.drainSeconds * 1_000));
    },
    count: (kind: string) => void (events[kind] = (events[kind] ?? 0) + 1),
  };
  const api = () => stack.apiUrl;
  await prepareDemoData(stack, size);
  let settled = false;
  const sensors = runSensors(api, stack.apiKey, tickets, () => settled, duplicates);
  const desk = officers(stack);
  const reviews: Reviews = { officers: desk.map((o) => o.name), approved: 0, sameOfficerTwice: {}, odd: [] };
  const officersAtWork = runReviews(api, stack.apiKey, tickets, () => settled, desk, reviews);

  /**
   * One order in ten has its shipment and then its void refused, so it waits STUCK for an operator;
   * two orders in ten are cancelled by their client once the capture is in flight (slowed for that saga so
   * the cancel meets it; two, since an order the other faults end before its pivot has none); one registration in ten is dropped in its add/drop period, the drop sent twice.
   */
  const followUp = async (i: number, t: Ticket) => {
    const until = endBy + size.drainSeconds * 1_000;
    if (i % 10 === 1 && t.sagaId) {
      // Its shipment refused and then its void refused for good (as if captured elsewhere): the undo is STUCK
      // at once and waits for an operator, who retries it once the faults are gone (chaos/operators.ts).
      await ledger.inject('refused shipment (one saga)', 'shipping', { op: 'create', mode: 'error', status: 422, sagaId: t.sagaId, count: 1 });
      await ledger.inject('refused undo (STUCK for an operator)', 'payments', { op: 'void', mode: 'error', status: 409, sagaId: t.sagaId, count: 1 });
    }
    if ((i % 10 === 2 || i % 10 === 3) && t.sagaId) {
      await ledger.inject('slow pivot for a late cancel', 'payments', { op: 'capture', mode: 'latency', latencyMs: 3_000, sagaId: t.sagaId, count: 1 });
      await cancelDuringPivot(api, stack.apiKey, t, until, cancels);
    }
    // Registrations for the first section; the second of them too (i = 18), as a short campaign has only two
    // others and a section of three seats may be full by the time the later one asks.
    if (i % 20 === 8 || i === 18) await dropDuringAddDrop(api, stack.apiKey, t, until, drops);
  };
  const load = (async () => {
    const gapMs = (size.seconds * 1_000 * 0.75) / size.sagas;
    for (let i = 0; i < size.sagas && Date.now() < endBy; i += 1) {
      const t = sagaMix(i, ticket);
      tickets.push(t);
      const until = endBy + size.drainSeconds * 1_000;
      const start = startWithRetry(api, stack.apiKey, t, until);
      starts.push(start.then(() => followUp(i, t)));
      await pause(gapMs);
    }
  })();
  const transfers = (async () => {
    const gapMs = (size.seconds * 1_000 * 0.75) / Math.max(1, size.transfers);
    for (let i = 0; i < size.transfers && Date.now() < endBy; i += 1) {
      const t = transferTicket(i);
      tickets.push(t);
      await injectTransferFaults(ledger, t, sagaIdFor(stack.clientId, t.key));
      starts.push(startWithRetry(api, stack.apiKey, t, endBy + size.drainSeconds * 1_000));
      await pause(gapMs);
    }
  })();
  const faultsDone = (async () => {
    for (const step of plan) {
      const wait = started + step.at * size.seconds * 1_000 - Date.now();
      if (wait > 0) await pause(wait);
      process.stdout.write(`chaos: t=${((Date.now() - started) / 1000).toFixed(1)}s ${step.kind}\n`);
      await step.run(ctx);
    }
  })();
  await Promise.all([load, transfers, faultsDone]);
  const lastFault = Date.now();
  await Promise.all(starts);
  await lateCancelIfNone(stack, tickets, ledger, cancels, size);
  // The follow-ups (a late cancel, a drop) may wait into the drain's time: it counts from when they are done.
  const views = await drain(stack, tickets, Date.now() + size.drainSeconds * 1_000);
  const drainSeconds = (Date.now() - lastFault) / 1000;
  settled = true;
  await Promise.all([sensors, officersAtWork]);
  const returns = await followReturns(api, stack.apiKey, stack.backendsUrl, Date.now() + size.drainSeconds * 1_000);
  const operators = await retryStuckThroughOperators(stack, views, Date.now() + size.drainSeconds * 1_000);
  await ledger.tally();
  ledger.fired[IN_PROGRESS_KIND] = inProgressAnswers([stack.parts.worker!.logFile, stack.parts['worker-2']!.logFile]);
  events['duplicate sensor update'] = duplicates.sent;
  events['duplicate drop (cancel)'] = drops.sent;
  const cancelsSent = Object.values(cancels.byStatus).reduce((a, b) => a + b, 0);
  const requests = [...apiAnswers.byStatus.values()].reduce((a, b) => a + b, 0);
  const why: Record<string, string[]> = { 'duplicate drop (cancel)': drops.missed };
  const unfired = [...Object.entries(ledger.fired), ...Object.entries(events)].filter(([, n]) => n === 0).map(([kind]) => `${kind}: never${why[kind]?.length ? ` (${why[kind].join('; ')})` : ''}`);
  const invariants: Invariant[] = [
    operators,
    ...outcomeInvariant(views, tickets.length, await serverSideOfUnsettled(stack, views)),
    ...(await orderInvariants(stack.backendsUrl, views)),
    ...(await capturedInvariant(stack.backendsUrl, views)),
    ...(await bikeInvariants(stack.backendsUrl, views)),
    ...(await classInvariants(stack.backendsUrl, views)),
    ...(await tripInvariants(stack.backendsUrl, views)),
    ...(await transferInvariants(stack.backendsUrl, views, returns, reviews)),
    check('a cancel once the pivot was sent is a 409', cancelsSent, cancels.accepted.map((id) => `${id} accepted`)),
    check('a drop sent twice in the add/drop period: both accepted, or one refused as done', drops.sent, drops.odd),
    check('the API never answered 500 (every request the campaign made)', requests, [...apiAnswers.serverErrors].filter(([k]) => k.endsWith(' 500')).map(([k, n]) => `${k}: ${n}`)),
    check('every 503 carried Retry-After', apiAnswers.byStatus.get(503) ?? 0, apiAnswers.unavailableWithoutRetryAfter > 0 ? [`${apiAnswers.unavailableWithoutRetryAfter} without`] : []),
    check('every fault injection was accepted (HTTP 201)', ledger.injections, ledger.refused),
    check('every planned fault and event happened', Object.keys(ledger.fired).length + Object.keys(events).length, unfired),
    ...probes.map((p) => ({ name: p.name, cases: p.cases ?? 1, held: p.ok && p.cases !== 0, detail: p.detail })),
  ];
  const outcomes: Record<string, number> = {};
  for (const view of views.values()) outcomes[`${view.type} ${view.status}`] = (outcomes[`${view.type} ${view.status}`] ?? 0) + 1;
  const returnOutcomes: Record<string, number> = {};
  for (const view of returns.values()) returnOutcomes[view.status] = (returnOutcomes[view.status] ?? 0) + 1;
  return {
    sagas: tickets.length,
    outcomes,
    returns: returnOutcomes,
    faults: ledger.fired,
    events,
    restarts: Object.fromEntries(Object.values(stack.parts).map((p) => [p.name, p.restarts])),
    probes,
    api: {
      byStatus: Object.fromEntries(apiAnswers.byStatus),
      byRequest: Object.fromEntries(apiAnswers.byRequest),
      serverErrors: Object.fromEntries(apiAnswers.serverErrors),
      connectionErrors: apiAnswers.connectionErrors,
    },
    invariants,
    drainSeconds,
    pivotCancels: cancels.byStatus,
  };
}

/** The two compliance officers of the stack's operator keys (`name:key,name:key`). */
function officers(stack: Stack): [Officer, Officer] {
  const [first, second] = stack.env.SAGAWAY_OPERATOR_KEYS!.split(',').map((pair) => ({ name: pair.slice(0, pair.indexOf(':')), key: pair.slice(pair.indexOf(':') + 1) }));
  return [first!, second!];
}

/**
 * One more order, after the faults were cleared, when no cancel met a capture in flight: on a loaded
 * machine the orders picked for it can all end before their pivot (a deadline, another fault), and the
 * campaign would have judged no late cancel at all.
 */
async function lateCancelIfNone(stack: Stack, tickets: Ticket[], ledger: FaultLedger, cancels: PivotCancels, size: CampaignSize): Promise<void> {
  if (Object.keys(cancels.byStatus).length > 0) return;
  const t = sagaMix(size.sagas * 10 + 2, ticket);
  tickets.push(t);
  const until = Date.now() + size.drainSeconds * 1_000;
  await startWithRetry(() => stack.apiUrl, stack.apiKey, t, until);
  if (!t.sagaId) return;
  await ledger.inject('slow pivot for a late cancel', 'payments', { op: 'capture', mode: 'latency', latencyMs: 3_000, sagaId: t.sagaId, count: 1 });
  await cancelDuringPivot(() => stack.apiUrl, stack.apiKey, t, until, cancels);
}

/** Polls every saga until it ended or is visibly stuck, or the drain time is up. */
async function drain(stack: Stack, tickets: Ticket[], deadline: number): Promise<Map<string, Record<string, any>>> {
  const views = new Map<string, Record<string, any>>();
  const open = () => tickets.filter((t) => t.sagaId && !isSettled(views.get(t.sagaId)));
  // Every saga is read at least once, however late the drain began.
  do {
    for (const t of open()) {
      const view = await readView(() => stack.apiUrl, stack.apiKey, t.sagaId!);
      if (view) views.set(t.sagaId!, view);
    }
    if (open().length > 0 && Date.now() < deadline) await pause(1_000);
  } while (Date.now() < deadline && open().length > 0);
  for (const t of tickets) if (t.sagaId && !views.has(t.sagaId)) views.set(t.sagaId, { id: t.sagaId, type: t.kind, status: 'UNREADABLE' });
  return views;
}

/** What Temporal shows of each saga that neither ended nor waits for an operator: why it stands still. */
async function serverSideOfUnsettled(stack: Stack, views: Map<string, Record<string, any>>): Promise<Map<string, string>> {
  const unsettled = [...views.keys()].filter((id) => !isSettled(views.get(id)));
  const found = new Map<string, string>();
  if (unsettled.length === 0) return found;
  const connection = await Connection.connect({ address: stack.temporalAddress, connectTimeout: 5_000 }).catch(() => null);
  if (!connection) return new Map(unsettled.map((id) => [id, '; Temporal unreachable']));
  try {
    const client = new Client({ connection });
    for (const id of unsettled.slice(0, 20)) found.set(id, await serverSideOf(client.workflow.getHandle(id)));
  } finally {
    await connection.close();
  }
  return found;
}

function isSettled(view: Record<string, any> | undefined): boolean {
  if (!view) return false;
  if (view.status === 'COMPLETED' || view.status === 'COMPENSATED') return true;
  return waitsForOperator(view);
}

/** A kiosk with bikes to spare, and two small sections whose window closes before the campaign ends. */
async function prepareDemoData(stack: Stack, size: CampaignSize): Promise<void> {
  const post = (path: string, body: unknown) =>
    fetch(`${stack.backendsUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await post('/storage/_admin/kiosks', { kioskId: CHAOS_KIOSK, bikes: size.sagas + 10 });
  for (const sectionId of CHAOS_SECTIONS) {
    await post('/registrar/_admin/sections', {
      sectionId,
      capacity: 3,
      allocationAt: new Date(Date.now() + size.seconds * 300).toISOString(),
      windowClosesAt: new Date(Date.now() + size.seconds * 1_000).toISOString(),
    });
  }
}
