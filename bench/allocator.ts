/**
 * A big section: N registrations file with one seat allocator before its allocation time, then it
 * allocates, some seats are given back, and the window closes. Stand-in sagas (decisionSink) take the
 * decisions, so the allocator is measured alone. Used by the `allocator-N` bench row and by its test.
 */
import { Client, WorkflowIdReusePolicy } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { ALLOCATION_PAGE, allocatorId, AllocatorMessages, byPriority, type AllocationPage, type AllocationView, type AllocatorState, type SeatDecision, type SeatRequest } from '../src/domain/allocation';
import { runPool, watchProcesses } from './metrics';
import type { ScenarioResult } from './scenarios';
import type { temporal as proto } from '@temporalio/proto';

export interface AllocatorLoad {
  requests: number;
  capacity: number;
  /** Seats given back after allocation: the next in line gets each. */
  released: number;
  maxHistory: number;
  /** Read every stand-in's decisions back (the test does; the bench row does not). */
  readDecisions: boolean;
  /** Operations per ledger page (the allocator's default unless set). */
  pageOps?: number;
  /** File the requests this many at once (one fileRequests signal each) instead of one signal-with-start each. */
  fileBatch?: number;
  /** Filings in flight at once (64 unless set; batches are always filed one after another). */
  filers?: number;
}

export interface AllocatorOutcome {
  requests: SeatRequest[];
  decisions: Map<string, SeatDecision[]>;
  /** Granted at allocation time, before any seat was given back. */
  grantedAtAllocation: string[];
  /** The waitlist once every decision was sent and the seats given back went to the next in line, in order. */
  waitlistAtEnd: string[];
  filedPerSec: number;
  allocateMs: number;
  runs: number;
  /** Runs of the allocator whose history holds a filing: more than one, and it continued as new while requests came. */
  runsFiledTo: number;
  /** Workflow tasks of the allocator's first run that took filings: how much of a stream it saw as one. */
  firstRunFilingTasks: number;
  events: number;
  maxRunEvents: number;
  /** The largest state one run started with (the continue-as-new input, as Temporal stores it). */
  maxInputBytes: number;
  /** Every run's continue-as-new input, in bytes, first run first. */
  inputBytes: number[];
  /** The largest signal payload the allocator took (a filing batch, a ledger page). */
  maxSignalBytes: number;
  /** The largest payload of any event of any run (signals, ledger pages started, continue-as-new inputs). */
  maxPayloadBytes: number;
  /** The longest workflow task of any run, start to completion as the server recorded them. */
  maxTaskMs: number;
  /** Workflow tasks that failed or timed out (the deadlock detector's 2 s, a payload refused). */
  failedTasks: number;
  /** Tasks failed as UnhandledCommand (a signal came while a task continued as new) and redone. */
  redone: number;
  /** What each failed or timed-out task was. */
  trouble: string[];
  /** Stand-in sagas not started and requests not filed (each failed or not tried by the deadline). */
  failed: number;
}

export const TASK_QUEUE = 'allocator-load';

/** Runs a worker for the allocator and the stand-in sagas on its own task queue while `fn` runs. */
export async function withAllocatorWorker<T>(address: string, fn: () => Promise<T>, prebuilt?: WorkflowBundle): Promise<T> {
  const connection = await NativeConnection.connect({ address });
  const workflowBundle = prebuilt ?? (await bundleWorkflowCode({ workflowsPath: require.resolve('./allocator-workflows'), logger: quiet }));
  const worker = await Worker.create({ connection, taskQueue: TASK_QUEUE, workflowBundle, maxConcurrentWorkflowTaskExecutions: 50 });
  try {
    return await worker.runUntil(fn);
  } finally {
    await connection.close();
  }
}

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

/** The first page of the allocation, with the lists' lengths. */
async function allocationOf(client: Client, sectionId: string): Promise<AllocationView & { grantedCount: number; waitlistCount: number }> {
  const view = await client.workflow.getHandle(allocatorId(sectionId)).query<AllocationView, [AllocationPage]>(AllocatorMessages.allocationQuery, { from: 0, limit: 1 });
  return { ...view, grantedCount: view.grantedCount ?? view.granted.length, waitlistCount: view.waitlistCount ?? view.waitlist.length };
}

/** Every granted (or waitlisted) entry's saga, in order, read a page at a time: no answer passes a page. */
async function grantedOf(client: Client, sectionId: string, list: 'granted' | 'waitlist' = 'granted'): Promise<string[]> {
  const all: string[] = [];
  for (;;) {
    const view = await client.workflow.getHandle(allocatorId(sectionId)).query<AllocationView, [AllocationPage]>(AllocatorMessages.allocationQuery, { from: all.length, limit: ALLOCATION_PAGE });
    all.push(...view[list].map((e) => e.sagaId));
    if (view[list].length === 0 || all.length >= ((list === 'granted' ? view.grantedCount : view.waitlistCount) ?? 0)) return all;
  }
}

async function until(what: string, timeoutMs: number, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // A busy allocator may miss a query's deadline: that is "not yet", not a failure.
  while (!(await done().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function runAllocatorLoad(client: Client, load: AllocatorLoad): Promise<AllocatorOutcome> {
  const sectionId = `big-${Date.now().toString(36)}`;
  const sinkId = (i: number) => `sink-${sectionId}-${i}`;
  const deadline = Date.now() + 1_800_000;
  const standIns = await runPool('stand-in sagas started', load.requests, 64, deadline, async (i) => {
    await client.workflow.start('decisionSink', { taskQueue: TASK_QUEUE, workflowId: sinkId(i), workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE });
  });
  // Each stand-in has run its first task before any filing: their tasks do not hold the allocator's back,
  // so the filings reach it as the stream they are.
  await runPool('stand-in sagas ready', load.requests, 64, deadline, async (i) => {
    // Its first task completed: the fourth event of its history.
    await until(`stand-in ${i} ready`, 600_000, async () => (await client.workflow.getHandle(sinkId(i)).describe()).historyLength >= 4);
  });
  // The allocation time is an hour away while the requests are filed, then moved to now once all are in,
  // as a registrar would: no race between filing and the clock.
  const section = { sectionId, capacity: load.capacity, allocationAt: new Date(Date.now() + 3_600_000).toISOString(), windowClosesAt: new Date(Date.now() + 7_200_000).toISOString() };
  const initial: AllocatorState = { section, granted: [], queue: [], allocated: false, closed: false, maxHistory: load.maxHistory, generation: 0, ...(load.pageOps ? { pageOps: load.pageOps } : {}) };
  // Priorities are spread over the requests, not in submission order.
  const requests = Array.from({ length: load.requests }, (_, i): SeatRequest => ({
    sagaId: sinkId(i),
    studentId: `s-${100000 + i}`,
    registeredAt: new Date(Date.UTC(2015, 0, 1) + ((i * 7919) % load.requests) * 86_400_000).toISOString().slice(0, 10),
    submittedAt: i,
  }));
  const filing = Date.now();
  const batch = load.fileBatch ?? 1;
  let filed = 0;
  const file = async (i: number) => {
    await client.workflow.signalWithStart('seatAllocatorV2', {
      workflowId: allocatorId(sectionId),
      taskQueue: TASK_QUEUE,
      args: [initial],
      ...(batch > 1
        ? { signal: AllocatorMessages.fileRequests, signalArgs: [requests.slice(i * batch, (i + 1) * batch)] }
        : { signal: AllocatorMessages.fileRequest, signalArgs: [requests[i]!] }),
    });
    filed += Math.min(batch, load.requests - i * batch);
  };
  // The first filing starts the allocator; the rest come once it has run its first task, as a stream.
  await file(0);
  await until('the allocator running', 120_000, async () => (await client.workflow.getHandle(allocatorId(sectionId)).query<number>(AllocatorMessages.requestCountQuery)) >= 1);
  // Batches are filed one after another: their order is the filing order, as single filings' is not.
  await runPool('requests filed', Math.ceil(load.requests / batch) - 1, batch > 1 ? 1 : (load.filers ?? 64), deadline, (i) => file(i + 1));
  const filedPerSec = load.requests / ((Date.now() - filing) / 1000);
  // The bounds grow with the section: the allocator takes its signals one by one (about 36 a second here).
  await until('filed', Math.max(120_000, load.requests * 10), async () => (await allocationOf(client, sectionId)).waitlistCount === load.requests);
  const allocationAt = Date.now();
  await client.workflow.getHandle(allocatorId(sectionId)).signal(AllocatorMessages.moveAllocation, { allocationAt: new Date(allocationAt).toISOString() });

  await until('allocated and every decision sent', Math.max(600_000, load.requests * 60), async () => {
    const view = await allocationOf(client, sectionId);
    return view.allocated && view.pendingDecisions === 0;
  });
  const allocateMs = Date.now() - allocationAt;
  let grantedAtAllocation: string[] = [];
  await until('read the allocation', 120_000, async () => {
    grantedAtAllocation = await grantedOf(client, sectionId);
    return true;
  });
  for (const sagaId of grantedAtAllocation.slice(0, load.released)) {
    await client.workflow.getHandle(allocatorId(sectionId)).signal(AllocatorMessages.releaseSeat, { sagaId });
  }
  await until('seats given back went to the next in line', 120_000, async () => {
    const view = await allocationOf(client, sectionId);
    return view.pendingDecisions === 0 && view.waitlistCount === Math.max(load.requests - load.capacity - load.released, 0);
  });
  let waitlistAtEnd: string[] = [];
  await until('read the waitlist', 120_000, async () => {
    waitlistAtEnd = await grantedOf(client, sectionId, 'waitlist');
    return true;
  });
  const decisions = new Map<string, SeatDecision[]>();
  if (load.readDecisions) {
    await runPool('decisions read', load.requests, 64, deadline, async (i) => {
      decisions.set(sinkId(i), await client.workflow.getHandle(sinkId(i)).query<SeatDecision[]>('decisions'));
    });
  }
  const history = await historyOf(client, allocatorId(sectionId));
  await client.workflow.getHandle(allocatorId(sectionId)).terminate('load done');
  for await (const page of client.workflow.list({ query: `WorkflowType = 'allocatorLedger' AND ExecutionStatus = 'Running'` })) {
    if (page.workflowId.startsWith(`${allocatorId(sectionId)}-page-`)) await client.workflow.getHandle(page.workflowId).terminate('load done').catch(() => undefined);
  }
  return { requests, decisions, grantedAtAllocation, waitlistAtEnd, filedPerSec, allocateMs, ...history, failed: load.requests - standIns + (load.requests - filed) };
}

type Payloads = { payloads?: Array<{ data?: Uint8Array | null; metadata?: Record<string, Uint8Array> | null }> | null } | null | undefined;
const sizeOf = (p: Payloads) => (p?.payloads ?? []).reduce((sum, x) => sum + (x.data?.length ?? 0) + Object.values(x.metadata ?? {}).reduce((m, v) => m + v.length, 0), 0);
const secondsOf = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) + (t?.nanos ?? 0) / 1e9;

const UNHANDLED_COMMAND = 1;

/** The largest payload an event carries (a signal's, a child's or a continue-as-new's input, a result). */
function payloadOf(event: proto.api.history.v1.IHistoryEvent): number {
  let largest = 0;
  for (const [key, attributes] of Object.entries(event)) {
    if (!key.endsWith('Attributes') || !attributes || typeof attributes !== 'object') continue;
    for (const field of ['input', 'result', 'details'] as const) largest = Math.max(largest, sizeOf((attributes as Record<string, Payloads>)[field]));
  }
  return largest;
}

/** One run's events, a page at a time: a run that read its pages back may pass gRPC's 4 MB in one answer. */
async function* eventsOf(client: Client, workflowId: string, runId: string): AsyncGenerator<proto.api.history.v1.IHistoryEvent> {
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({ namespace: client.options.namespace, execution: { workflowId, runId }, maximumPageSize: 20, nextPageToken });
    yield* page.history?.events ?? [];
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
}

/**
 * Every run of the allocator (it continues as new), walked back from the current one: its events, the
 * largest payload any event carried, and its longest workflow task (from the task's start to its completion
 * as the server recorded them: an upper bound of the time the worker spent on it; Temporal's deadlock
 * detector fails a task that runs 2 s in the sandbox, and such a failure is counted in `failedTasks`).
 */
export async function historyOf(client: Client, workflowId: string) {
  let runs = 0;
  let events = 0;
  let maxRunEvents = 0;
  let maxSignalBytes = 0;
  let maxPayloadBytes = 0;
  let maxTaskMs = 0;
  let maxTaskAt = '';
  let failedTasks = 0;
  let redone = 0;
  let runsFiledTo = 0;
  let firstRunFilingTasks = 0;
  const inputBytes: number[] = [];
  /** What each failed or timed-out workflow task was. */
  const trouble: string[] = [];
  for (let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId; runId; ) {
    let length = 0;
    let taskStarted = 0;
    /** The events written after a failed task, before the next one started: what the server had buffered. */
    let buffered: { events: number; bytes: number } | null = null;
    let first: proto.api.history.v1.IHistoryEvent | undefined;
    let filedTo = false;
    let filingSinceTask = false;
    let tasksWithFilings = 0;
    for await (const e of eventsOf(client, workflowId, runId)) {
      first ??= e;
      length += 1;
      const signal = e.workflowExecutionSignaledEventAttributes?.signalName;
      if (signal === AllocatorMessages.fileRequest || signal === AllocatorMessages.fileRequests) filedTo = filingSinceTask = true;
      if (e.workflowTaskStartedEventAttributes && filingSinceTask) {
        tasksWithFilings += 1;
        filingSinceTask = false;
      }
      maxSignalBytes = Math.max(maxSignalBytes, sizeOf(e.workflowExecutionSignaledEventAttributes?.input));
      maxPayloadBytes = Math.max(maxPayloadBytes, payloadOf(e));
      if (e.workflowTaskStartedEventAttributes) {
        taskStarted = secondsOf(e.eventTime);
        if (buffered) trouble[trouble.length - 1] += `; then ${buffered.events} events of ${(buffered.bytes / 1024).toFixed(0)} KB`;
        buffered = null;
      } else if (buffered) {
        buffered.events += 1;
        buffered.bytes += payloadOf(e);
      }
      const taskMs = Math.round((secondsOf(e.eventTime) - taskStarted) * 1000);
      if ((e.workflowTaskCompletedEventAttributes || e.workflowTaskFailedEventAttributes) && taskMs > maxTaskMs) {
        maxTaskMs = taskMs;
        maxTaskAt = `run ${runs + 1} from the last, event ${e.eventId}`;
      }
      // A signal that came while a task continued as new fails that task as UnhandledCommand, and the server
      // redoes it with the signal: Temporal's way of losing nothing, counted apart.
      if (e.workflowTaskFailedEventAttributes?.cause === UNHANDLED_COMMAND) redone += 1;
      else if (e.workflowTaskFailedEventAttributes || e.workflowTaskTimedOutEventAttributes) {
        failedTasks += 1;
        const failed = e.workflowTaskFailedEventAttributes;
        buffered = { events: 0, bytes: 0 };
        trouble.push(`run ${runId.slice(0, 8)} event ${e.eventId}: ${failed ? `failed (${failed.cause}: ${failed.failure?.message?.slice(0, 160)})` : `timed out (${e.workflowTaskTimedOutEventAttributes?.timeoutType})`} after ${Math.round((secondsOf(e.eventTime) - taskStarted) * 1000)} ms`);
      }
    }
    runs += 1;
    if (filedTo) runsFiledTo += 1;
    // Walked from the newest run back: the last value is the first run's.
    firstRunFilingTasks = tasksWithFilings;
    events += length;
    maxRunEvents = Math.max(maxRunEvents, length);
    inputBytes.unshift(sizeOf(first?.workflowExecutionStartedEventAttributes?.input));
    runId = first?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return { runs, runsFiledTo, firstRunFilingTasks, events, maxRunEvents, maxInputBytes: Math.max(...inputBytes), inputBytes, maxSignalBytes, maxPayloadBytes, maxTaskMs, maxTaskAt, failedTasks, redone, trouble };
}

/** The requests in priority order: what the allocator should have granted first. */
export function inPriorityOrder(requests: SeatRequest[]): SeatRequest[] {
  return [...requests].sort(byPriority);
}

/**
 * The `allocator-N` row: requests/s is the filing rate, the latency columns the time from the allocation
 * time until every decision was sent, events/saga the allocator's events per request over all its runs.
 */
export async function allocatorRow(client: Client, temporalAddress: string, requests: number): Promise<ScenarioResult> {
  // Past 5,000 the requests are filed in batches: the row measures the allocator, not 50,000 signal-with-starts.
  const load = { requests, capacity: Math.floor(requests / 2), released: 10, maxHistory: 5_000, readDecisions: false, ...(requests > 5_000 ? { fileBatch: 1_000 } : {}) };
  const watch = watchProcesses({});
  const outcome = await withAllocatorWorker(temporalAddress, () => runAllocatorLoad(client, load));
  const eventsPerRequest = +(outcome.events / requests).toFixed(2);
  process.stdout.write(`  allocator-${requests}: ${outcome.filedPerSec.toFixed(1)} requests/s filed, allocated in ${outcome.allocateMs} ms, ${eventsPerRequest} events per request over ${outcome.runs} runs (longest ${outcome.maxRunEvents}), largest carried state ${(outcome.maxInputBytes / 1024).toFixed(0)} KB, largest signal ${(outcome.maxSignalBytes / 1024).toFixed(0)} KB\n`);
  return {
    name: `allocator-${requests}`,
    concurrency: 64,
    count: requests,
    perSec: +outcome.filedPerSec.toFixed(1),
    p50Ms: outcome.allocateMs,
    p95Ms: outcome.allocateMs,
    p99Ms: outcome.allocateMs,
    eventsPerSaga: eventsPerRequest,
    workflowTasksPerSaga: null,
    workerRssMb: 0,
    processes: watch.stop(),
    failed: outcome.failed,
    note: `largest carried state ${(outcome.maxInputBytes / 1024).toFixed(0)} KB, largest signal ${(outcome.maxSignalBytes / 1024).toFixed(0)} KB (Temporal refuses 2,048)${outcome.failedTasks ? `; ${outcome.failedTasks} workflow tasks failed or timed out` : ''}`,
  };
}
