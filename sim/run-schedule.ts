import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { SagaView } from '../src/domain/saga';
import { operatorActionUpdate } from '../src/workflows/messages';
import { cancelUpdate, sagaStateQuery } from '../src/workflows/saga';
import { worldActivities } from './backend-calls';
import { Coverage } from './coverage';
import type { Harness } from './harness';
import { check, type Violation } from './invariants';
import { simTuning, type SagaSim } from './saga-sim';
import type { Event, Schedule } from './schedule';
import { World, type Sabotage } from './world';
import { openTimers, protoMs, taskFailures } from '../src/dev/workflow-diagnosis';

/** However busy the machine, a saga that has neither ended nor shown STUCK by then waits in silence. */
export const HARD_CAP_MS = 60_000;
/** A saga with no activity pending and no call to the world for this long waits for nothing. */
const IDLE_MS = 3_000;

export interface ScheduleResult {
  violations: Violation[];
  coverage: Coverage;
  view: SagaView | null;
  world: World;
}

/** Runs one schedule to its end (or its bound) and checks the world against the saga. */
export async function runSchedule<P>(harness: Harness, sim: SagaSim<P>, schedule: Schedule<P>, sabotage: Sabotage | null = null): Promise<ScheduleResult> {
  const release = schedule.replay ? await harness.replaySlot() : () => undefined;
  try {
    return await runOne(harness, sim, schedule, sabotage);
  } finally {
    release();
  }
}

async function runOne<P>(harness: Harness, sim: SagaSim<P>, schedule: Schedule<P>, sabotage: Sabotage | null): Promise<ScheduleResult> {
  const world = new World(sabotage);
  const coverage = new Coverage();
  let handle: WorkflowHandle | null = null;
  // Once the schedule is checked its workflow is gone: a message still due is not sent, so nothing calls
  // the server after the harness closes its connection.
  let over = false;
  const pending: Array<Promise<unknown>> = [];
  const later = (afterMs: number, send: (h: WorkflowHandle) => Promise<unknown>, what: string) => {
    pending.push(sleep(afterMs).then(() => (handle && !over ? send(handle) : undefined)).then(() => coverage.add(`world ${what}`), () => coverage.add(`world ${what} refused`)));
  };
  const activities = worldActivities(sim.specs(schedule.saga, { world, later }, ), schedule, world, coverage);
  handle = await harness.start(sim.workflow, sim.args(schedule.saga) as never, activities, schedule.replay);
  const h = handle;
  const started = Date.now();
  if (schedule.replay) coverage.add('event replay (no workflow cache)');
  const ended = h.result().then((v) => v as SagaView, (err: Error) => ({ failed: err.message }));
  let done: SagaView | { failed: string } | null = null;
  void ended.then((d) => (done = d));
  for (const e of [...schedule.events].sort((a, b) => a.at - b.at)) {
    const firstSettled = async () => {
      if (!sim.localFirst?.(schedule.saga)) return;
      // A message that reaches a saga while its first workflow task still runs a local step is held back:
      // on a busy worker the SDK (1.24) hands that step's answer to the next task live but to the same task
      // on replay, so the history does not replay (a known Core defect, docs/engine.md, "Time and replay").
      for (let i = 0; i < HARD_CAP_MS / 25 && !done && !over; i += 1) {
        const first = harness.view(h.workflowId)?.steps[0];
        if (first && first.status !== 'RUNNING') return;
        await sleep(25);
      }
    };
    pending.push(sleep(e.at).then(firstSettled).then(() => (done || over ? undefined : fire(sim, schedule, h, e, world, coverage, () => readView(harness, h)))));
  }
  const lastEvent = Math.max(0, ...schedule.events.map((e) => e.at));
  let view: SagaView | null = null;
  /** The view the saga was judged STUCK by, read after the attempts in flight landed. */
  let settled: SagaView | null = null;
  let waiting: string | null = null;
  let silentSince: number | null = null;
  /** Held by a workflow task that keeps timing out, which the operators' listing shows. */
  let heldByTask = false;
  while (!done) {
    await Promise.race([ended, sleep(250)]);
    if (done) break;
    const elapsed = Date.now() - started;
    if (elapsed < lastEvent + 300) continue;
    view = harness.view(h.workflowId);
    if (view && stuckIn(view)) {
      silentSince = null;
      if (elapsed <= lastEvent + 800) continue;
      // A STUCK step may settle by itself (its next round lands) and the saga move on: the saga is judged
      // by a view read once the attempts in flight have landed, and watched further if it moved on.
      await sleep(world.lateUntil - Date.now());
      const again = harness.view(h.workflowId);
      if (done) break;
      if (!again || stuckIn(again)) {
        settled = again ?? view;
        break;
      }
      continue;
    }
    // The saga is given the time a loaded worker takes to mark a step STUCK after the call that makes it so
    // (a look-up's last attempt, say): a silent wait is one that lasts.
    const silent = await silentWait(h, world);
    silentSince = silent ? (silentSince ?? Date.now()) : null;
    if (silent && Date.now() - silentSince! >= IDLE_MS) {
      waiting = silent;
      break;
    }
    if (elapsed > HARD_CAP_MS) {
      const task = await h.describe().then(({ raw }) => raw.pendingWorkflowTask, () => null);
      // A saga with a workflow task on its way (not timed out and tried again) or a call to the world in the
      // last seconds is slow, not silent (a machine shared with other test runs): it has until twice the cap.
      // A saga that keeps calling without showing STUCK is caught by its calls' count, not here.
      const moving = (task && (task.attempt ?? 1) === 1) || Date.now() - world.lastCallAt < IDLE_MS;
      if (moving && elapsed < 2 * HARD_CAP_MS) continue;
      const { tail } = await openTimers(h).catch(() => ({ tail: 'unread' }));
      const local = [...world.localCalls].map(([step, n]) => `${step} x${n}`).join(', ');
      const failed = await taskFailures(h).catch(() => '');
      const pendingTask = task ? `; a workflow task ${temporal.api.enums.v1.PendingWorkflowTaskState[task.state ?? 0]} at attempt ${task.attempt}, scheduled ${Date.now() - protoMs(task.scheduledTime)} ms ago` : '';
      waiting = `past ${Math.round(elapsed / 1000)} s; local calls: ${local || 'none'}; history ends ${tail}${pendingTask}${failed}`;
      // Core 1.24 evicting a workflow whose local step is in flight, on the worker that keeps two workflows
      // for a dozen sagas (docs/testing.md): the task times out, attempt after attempt, and the step is
      // never judged. Past the attempts bound, GET /v1/ops/sagas?stuck=true lists it (workflowTask), so
      // it is not silent. A task that fails (an error in the saga's code) stays a violation.
      if (task && (task.attempt ?? 1) > simTuning.stuckAfterAttempts && !failed && tail.endsWith('WORKFLOW_TASK_TIMED_OUT')) {
        coverage.add('event workflow task timing out (listed for operators)');
        heldByTask = true;
      }
      break;
    }
  }
  // In-progress attempts land up to a second later: the ledger is read once they have. Messages still
  // on their way (an update to a saga whose workflow task is held) are not waited for.
  await sleep(world.lateUntil - Date.now());
  const final: SagaView | { failed: string } | null = done ?? settled ?? harness.view(h.workflowId) ?? (await lastView(h));
  const unanswered = final ? null : await whyUnanswered(h).catch((err: Error) => `history unread: ${err.message}`);
  const took = Date.now() - started;
  coverage.add(`took ${took < 1_000 ? '<1' : took < 3_000 ? '<3' : took < 10_000 ? '<10' : took < 30_000 ? '<30' : '>=30'} s`);
  const replayFailure = await nondeterminism(harness, h, sim.name, coverage).catch((err: Error): Violation => ({ invariant: 'nondeterminism', detail: `the history could not be replayed: ${err.message}` }));
  await harness.forget(h.workflowId);
  over = true;
  harness.settling(Promise.allSettled(pending));
  if (!final || 'failed' in final) {
    const violation: Violation = final ? { invariant: 'view-vs-ledger', detail: `the workflow failed: ${final.failed}` } : { invariant: 'unanswered', detail: `the saga answered no state query (${unanswered})` };
    return { violations: replayFailure ? [violation, replayFailure] : [violation], coverage, view: null, world };
  }
  coverage.add(`final ${final.status}`);
  if (final.error) coverage.add(`final error ${final.error.type}`);
  const violations = check(sim, schedule.saga, world, final, waiting, heldByTask);
  if (replayFailure) violations.push(replayFailure);
  return { violations, coverage, view: final, world };
}

/**
 * A workflow task that failed as nondeterministic: the code, replayed, did not do what its history
 * says it did. The history is written to a file, so the failure replays without the schedule's timing.
 */
async function nondeterminism(harness: Harness, h: WorkflowHandle, type: string, coverage: Coverage): Promise<Violation | null> {
  const history = await h.fetchHistory();
  const failed = (history.events ?? []).find((e) => /Nondeterminism|TMPRL1100/.test(e.workflowTaskFailedEventAttributes?.failure?.message ?? ''));
  const message = failed ? failed.workflowTaskFailedEventAttributes?.failure?.message : (await harness.replay(h.workflowId, history)).error?.message;
  coverage.add('history replayed');
  if (!message) return null;
  const file = join(tmpdir(), 'sagaway-sim', `${type}-${h.workflowId}.json`);
  let saved = `the history: ${file}`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ workflowId: h.workflowId, workflowType: type, outcome: 'nondeterminism (saved by npm run simulate)', history: JSON.parse(historyToJSON(history)) }, null, 1));
  } catch (err) {
    saved = `the history could not be saved: ${(err as Error).message}`;
  }
  return { invariant: 'nondeterminism', detail: `${failed ? 'on the replaying worker' : 'replayed after the schedule'}: ${message}; ${saved}` };
}

/**
 * Why a saga that shows nothing STUCK is waiting in silence, judged from the world and the server, not
 * from the saga: a call retried past the STUCK threshold, or nothing pending and nobody calling.
 */
async function silentWait(h: WorkflowHandle, world: World): Promise<string | null> {
  const threshold = simTuning.stuckAfterAttempts + 2;
  for (const [step, n] of world.calls) if (n > threshold && !step.startsWith('alert:')) return `${step} called ${n} times`;
  for (const [step, n] of world.localCalls) if (n > 3 * threshold) return `${step} (local) called ${n} times`;
  if (Date.now() - world.lastCallAt < IDLE_MS || Date.now() < world.lateUntil) return null;
  const { raw } = await h.describe();
  if ((raw.pendingActivities?.length ?? 0) > 0 || raw.pendingWorkflowTask) return null;
  // A saga waiting on its own timer (a sensor's timeout, a window that closes) waits for something, even
  // when a loaded worker started that timer seconds after the last call: silent only once it is overdue.
  const { timers, tail } = await openTimers(h);
  if (timers.some((t) => t.firesAt + IDLE_MS > Date.now())) return null;
  return `nothing pending and no call for ${IDLE_MS / 1000} s${timers.length ? `, a timer overdue by ${Date.now() - Math.min(...timers.map((t) => t.firesAt))} ms` : ''}; history ends ${tail}`;
}

const stuckIn = (view: SagaView) => view.steps.some((s) => s.status === 'STUCK');


/** What the server shows of a saga that answered no query: its last query error, failed workflow tasks, its history's end. */
async function whyUnanswered(h: WorkflowHandle): Promise<string> {
  const queryError = await h.query(sagaStateQuery).then(() => 'answered now', (err: Error) => err.message);
  const events = (await h.fetchHistory()).events ?? [];
  const { tail } = await openTimers(h);
  return `query: ${queryError}; ${events.length} events${await taskFailures(h)}; history ends ${tail}`;
}

/**
 * The saga's current view; a busy worker may leave a query unanswered a few times (on the worker that
 * replays, each query replays the whole history behind the other tasks).
 */
async function lastView(h: WorkflowHandle): Promise<SagaView | null> {
  for (let i = 0; i < 6; i += 1) {
    const view = await h.query(sagaStateQuery).catch(() => null);
    if (view) return view;
    await sleep(1_000);
  }
  return null;
}

/** The view as published, or (none published yet) as the saga answers a query. */
async function readView(harness: Harness, h: WorkflowHandle): Promise<SagaView> {
  return harness.view(h.workflowId) ?? h.query(sagaStateQuery);
}

async function fire<P>(sim: SagaSim<P>, schedule: Schedule<P>, h: WorkflowHandle, e: Event, world: World, coverage: Coverage, read: () => Promise<SagaView>): Promise<void> {
  const tally = (what: string) => coverage.add(`event ${what}`);
  try {
    if (e.kind === 'cancel') {
      await h.executeUpdate(cancelUpdate, { args: [{ reason: 'simulated client' }] });
      tally('cancel accepted');
    } else if (e.kind === 'update') {
      tally(await sim.update!(h, await read(), e.value, schedule.saga, read));
    } else {
      const view = await read();
      const step = view.steps.find((s) => s.status === 'STUCK');
      if (!step) return tally(`operator ${e.action} (nothing stuck)`);
      // An operator who resolves has done it by hand first: the world records that.
      if (e.action === 'resolve') world.byHand(step.name, step.compensation !== null);
      await h.executeUpdate(operatorActionUpdate, { args: [{ action: e.action, step: step.name, operator: 'sim', reason: 'simulated operator' }] });
      tally(`operator ${e.action} accepted`);
    }
  } catch {
    tally(`${e.kind === 'operator' ? `operator ${e.action}` : e.kind} refused`);
  }
}
