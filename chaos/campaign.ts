import { bikeInvariants, capturedInvariant, classInvariants, orderInvariants, outcomeInvariant, waitsForOperator, type Invariant } from './invariants';
import { newStats, pause, readView, startWithRetry, ticket, type Ticket } from './load';
import type { CampaignSize, FaultStep, Probe } from './plan';
import type { LaunchedStack as Stack } from '../src/dev/stack';
import { CHAOS_KIOSK, CHAOS_SECTIONS, sagaMix } from './mix';
import { runSensors } from './sensor';
import { tripInvariants } from './trip-invariants';
import { cancelDuringPivot, newPivotCancels } from './cancels';
import { retryStuckThroughOperators } from './operators';

export interface CampaignResult {
  sagas: number;
  outcomes: Record<string, number>;
  faults: Record<string, number>;
  restarts: Record<string, number>;
  probes: Probe[];
  api: { byStatus: Record<string, number>; connectionErrors: number };
  invariants: Invariant[];
  drainSeconds: number;
  pivotCancels: Record<number, number>;
}

export async function runCampaign(stack: Stack, plan: FaultStep[], size: CampaignSize): Promise<CampaignResult> {
  const stats = newStats();
  const faults: Record<string, number> = {};
  const probes: Probe[] = [];
  const ctx = { stack, probes, count: (kind: string) => void (faults[kind] = (faults[kind] ?? 0) + 1) };
  const started = Date.now();
  const endBy = started + size.seconds * 1_000;
  const tickets: Ticket[] = [];
  const starts: Promise<void>[] = [];
  const cancels = newPivotCancels();
  const api = () => stack.apiUrl;
  await prepareDemoData(stack, size);
  let settled = false;
  const sensors = runSensors(api, stack.apiKey, tickets, () => settled);

  const load = (async () => {
    const gapMs = (size.seconds * 1_000 * 0.75) / size.sagas;
    for (let i = 0; i < size.sagas && Date.now() < endBy; i += 1) {
      const t = sagaMix(i, ticket);
      tickets.push(t);
      const start = startWithRetry(api, stack.apiKey, t, stats, endBy + size.drainSeconds * 1_000);
      // One order in ten is cancelled by its client once its capture is in flight.
      starts.push(i % 10 === 3 ? start.then(() => cancelDuringPivot(api, stack.apiKey, t, endBy + size.drainSeconds * 1_000, cancels)) : start);
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
  await Promise.all([load, faultsDone]);
  const lastFault = Date.now();
  await Promise.all(starts);
  const views = await drain(stack, tickets, lastFault + size.drainSeconds * 1_000);
  const drainSeconds = (Date.now() - lastFault) / 1000;
  settled = true;
  await sensors;
  const operators = await retryStuckThroughOperators(stack, views, Date.now() + size.drainSeconds * 1_000);
  const invariants: Invariant[] = [
    operators,
    ...outcomeInvariant(views, tickets.length),
    ...(await orderInvariants(stack.backendsUrl, views)),
    ...(await capturedInvariant(stack.backendsUrl, views)),
    ...(await bikeInvariants(stack.backendsUrl, views)),
    ...(await classInvariants(stack.backendsUrl, views)),
    ...(await tripInvariants(stack.backendsUrl, views)),
    { name: 'a cancel once the pivot was sent is a 409', held: cancels.accepted.length === 0, detail: `answers ${JSON.stringify(cancels.byStatus)}; accepted: ${cancels.accepted.slice(0, 5).join(', ')}` },
    { name: 'the API never answered 500', held: !stats.byStatus.has(500), detail: `${stats.byStatus.get(500) ?? 0} answers` },
    { name: 'every 503 carried Retry-After', held: stats.unavailableWithoutRetryAfter === 0, detail: `${stats.unavailableWithoutRetryAfter} without` },
    ...probes.map((p) => ({ name: p.name, held: p.ok, detail: p.detail })),
  ];
  const outcomes: Record<string, number> = {};
  for (const view of views.values()) outcomes[`${view.type} ${view.status}`] = (outcomes[`${view.type} ${view.status}`] ?? 0) + 1;
  return {
    sagas: tickets.length,
    outcomes,
    faults,
    restarts: Object.fromEntries(Object.values(stack.parts).map((p) => [p.name, p.restarts])),
    probes,
    api: { byStatus: Object.fromEntries(stats.byStatus), connectionErrors: stats.connectionErrors },
    invariants,
    drainSeconds,
    pivotCancels: cancels.byStatus,
  };
}

/** Polls every saga until it ended or is visibly stuck, or the drain time is up. */
async function drain(stack: Stack, tickets: Ticket[], deadline: number): Promise<Map<string, Record<string, any>>> {
  const views = new Map<string, Record<string, any>>();
  const open = () => tickets.filter((t) => t.sagaId && !isSettled(views.get(t.sagaId)));
  while (Date.now() < deadline && open().length > 0) {
    for (const t of open()) {
      const view = await readView(() => stack.apiUrl, stack.apiKey, t.sagaId!);
      if (view) views.set(t.sagaId!, view);
    }
    if (open().length > 0) await pause(1_000);
  }
  for (const t of tickets) if (t.sagaId && !views.has(t.sagaId)) views.set(t.sagaId, { id: t.sagaId, type: t.kind, status: 'UNREADABLE' });
  return views;
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
