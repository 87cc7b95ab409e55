/**
 * The seat allocator with a ledger (patched 'allocator-ledger'): what it carries across continue-as-new is
 * bounded whatever the section's size. Every operation it applies (a filing, a release, a move, the
 * allocation, the close) is appended to its log; full pages of the log are written to ledger page
 * workflows (children, abandoned to outlive each run), and continue-as-new carries only the page ids, the
 * unwritten tail (< LEDGER_PAGE_OPS) and how many decisions were sent. A new run asks each page for its
 * operations (one signal each way, each payload one page) and folds them again over the state it started
 * from: the same operations in the same order give the same state and the same outbox, of which the first
 * `told` were sent.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { LEDGER_PAGE_OPS, type AllocatorLedger, type AllocatorState, type LedgerOp, type SeatRequest } from '../domain/allocation';
import {
  allocationQuery,
  clientAllocationQuery,
  fileRequestSignal,
  fileRequestsSignal,
  moveAllocationSignal,
  pageContentSignal,
  positionQuery,
  releaseSeatSignal,
  requestCountQuery,
  sendPageSignal,
} from './messages';
import { allocate, clientViewOf, close, decisionFor, handle, heldCount, release, sendBatch, SIGNAL_BATCH, viewOf } from './seat-allocation';

const PAGE_WINDOW_PATCH = 'allocator-page-window';
const FOLD_INBOX_PATCH = 'allocator-folds-inbox';
/** Page writes for what came in while continuing as new, before it continues anyway. */
const MAX_EXTRA_WRITES = 2;
/** Ledger pages asked at once by a run reading them back: 8 answers of about 150 KB each. */
export const PAGE_WINDOW = 8;

/** History a run may add beyond what reading its pages took, before it continues as new. */
const RUN_GROWTH_BYTES = 2 * 1024 * 1024;

export async function ledgerAllocator(carried: AllocatorState): Promise<void> {
  const ledger: AllocatorLedger = carried.ledger ? { ...carried.ledger, pages: [...carried.ledger.pages] } : { pages: [], tail: [], told: 0, held: heldCount(carried) };
  const base: AllocatorState = { ...carried, ledger: undefined };
  const inbox: LedgerOp[] = [];
  let state: AllocatorState | null = null;
  // Patched 'allocator-folds-inbox' (asked where it decides, so a run already going when the new code came
  // takes it from then on). Before it, a run continued as new only at a turn that ended with its inbox
  // empty, which a steady stream of filings never gives it, and the signals its first task took counted as
  // reading its pages, not as growth: its history grew for as long as the stream lasted (past Temporal's
  // limit for a big enough section). Now every signal counts, and the inbox is applied and carried.
  /** Signals of requests, releases and moves taken so far: events of this run's growth, not of its reading. */
  let taken = 0;
  const take = (...ops: LedgerOp[]) => {
    taken += 1;
    inbox.push(...ops);
  };
  setHandler(fileRequestSignal, (request) => take(filing(request)));
  setHandler(fileRequestsSignal, (requests) => take(...requests.slice(0, LEDGER_PAGE_OPS).map(filing)));
  setHandler(releaseSeatSignal, ({ sagaId }) => take(['r', sagaId]));
  setHandler(moveAllocationSignal, (move) => take(['m', (move as { allocationAt?: unknown } | null)?.allocationAt]));
  setHandler(requestCountQuery, () => (state ? heldCount(state) : ledger.held) + inbox.filter((op) => op[0] === 'f').length);

  const entries = [...ledger.tail];
  const { live, released } = fresh(base);
  const applyAll = (ops: LedgerOp[]) => {
    for (const op of ops) applyOp(live, op, released);
  };
  await readPages(ledger.pages, applyAll);
  applyAll(entries);
  state = live;
  live.outbox!.splice(0, ledger.told);
  let told = ledger.told;
  setHandler(allocationQuery, (page) => viewOf(live, page ?? {}));
  setHandler(positionQuery, (sagaId) => decisionFor(live, sagaId));
  setHandler(clientAllocationQuery, (clientId) => clientViewOf(live, clientId));
  const read = { length: workflowInfo().historyLength, size: workflowInfo().historySize };
  const readCountingSignals = { ...read, length: read.length - taken };
  const apply = (op: LedgerOp) => {
    applyOp(live, op, released);
    entries.push(op);
  };

  for (;;) {
    const closesAt = Date.parse(live.section.windowClosesAt);
    const next = !live.allocated ? Date.parse(live.section.allocationAt) : !live.closed ? closesAt : null;
    const ready = () => inbox.length > 0 || live.outbox!.length > 0;
    if (next === null) await condition(ready);
    else await condition(ready, Math.max(next - Date.now(), 0));
    while (inbox.length > 0) apply(inbox.shift()!);
    if (!live.allocated && Date.now() >= Date.parse(live.section.allocationAt)) apply(['a']);
    if (!live.closed && Date.now() >= closesAt) apply(['c']);
    told += Math.min(live.outbox!.length, SIGNAL_BATCH);
    for (const sagaId of await sendBatch(live)) apply(['u', sagaId]);
    const pageOps = Math.min(Math.max(carried.pageOps ?? LEDGER_PAGE_OPS, 1), LEDGER_PAGE_OPS);
    if ((runIsLarge(carried.maxHistory, read) && inbox.length === 0) || (runIsLarge(carried.maxHistory, readCountingSignals) && patched(FOLD_INBOX_PATCH))) {
      while (inbox.length > 0) apply(inbox.shift()!);
      await writePages(ledger, entries, pageOps);
      // A signal taken while the pages were written is applied first; none is lost by continuing.
      await condition(allHandlersFinished);
      if (inbox.length > 0 && patched(FOLD_INBOX_PATCH)) {
        // Nothing between the last signal applied and continuing. What came while pages were written is
        // written too, twice at most: a stream faster than pages are written would never end otherwise.
        // The tail carried is then under a page plus what one page write let in.
        for (let round = 0; ; round += 1) {
          while (inbox.length > 0) apply(inbox.shift()!);
          if (entries.length < pageOps || round === MAX_EXTRA_WRITES) break;
          await writePages(ledger, entries, pageOps);
          await condition(allHandlersFinished);
        }
      }
      if (inbox.length === 0) {
        await continueAsNew<typeof ledgerAllocator>({ ...base, generation: carried.generation + 1, ledger: { ...ledger, tail: entries, told, held: heldCount(live) } });
      }
    }
  }
}

/** Reading the pages made this run's history big at once: only what it adds after that counts. */
function runIsLarge(maxHistory: number, read: { length: number; size: number }): boolean {
  const info = workflowInfo();
  const grown = info.historySize - read.size;
  return info.historyLength - read.length > maxHistory || grown > RUN_GROWTH_BYTES || (info.continueAsNewSuggested && grown > RUN_GROWTH_BYTES / 4);
}

function filing(request: SeatRequest): LedgerOp {
  return ['f', request.sagaId, request.studentId, request.registeredAt, request.submittedAt, request.clientId ?? null];
}

function applyOp(state: AllocatorState, op: LedgerOp, released: Set<string>): void {
  switch (op[0]) {
    case 'f': {
      const [, sagaId, studentId, registeredAt, submittedAt, clientId] = op;
      return handle(state, { kind: 'file', request: { sagaId, studentId, registeredAt, submittedAt, ...(clientId === null ? {} : { clientId }) } }, released);
    }
    case 'r':
      return handle(state, { kind: 'release', sagaId: op[1] }, released);
    case 'm':
      return handle(state, { kind: 'move', allocationAt: op[1] }, released);
    case 'a':
      return allocate(state);
    case 'c':
      return close(state);
    case 'u':
      return release(state, op[1]);
  }
}

/** The state it started from, to fold the operations of every page and then the tail over, in order. */
function fresh(base: AllocatorState): { live: AllocatorState; released: Set<string> } {
  const live: AllocatorState = JSON.parse(JSON.stringify(base)) as AllocatorState;
  live.outbox ??= [];
  return { live, released: new Set(live.released ?? []) };
}

/**
 * Asks each page for its operations (the answers come to this run by signal) and gives them to `take`, in
 * page order. Patched 'allocator-page-window': a window of pages at a time, so the answers that arrive while
 * a workflow task runs stay under what the server buffers (100 events, about 2 MB: past it the server fails
 * the task and it is done again) and one activation folds at most a window's operations. Runs from before
 * asked every page at once.
 */
async function readPages(pages: AllocatorLedger['pages'], take: (ops: LedgerOp[]) => void): Promise<void> {
  const got = new Map<string, LedgerOp[]>();
  const wanted = new Set(pages.map((p) => p.id));
  setHandler(pageContentSignal, ({ pageId, ops }) => {
    if (wanted.has(pageId) && !got.has(pageId)) got.set(pageId, ops);
  });
  const to = workflowInfo().workflowId;
  const window = pages.length > 0 && patched(PAGE_WINDOW_PATCH) ? PAGE_WINDOW : Math.max(pages.length, 1);
  for (let from = 0; from < pages.length; from += window) {
    const asked = pages.slice(from, from + window);
    await Promise.all(asked.map((p) => getExternalWorkflowHandle(p.id).signal(sendPageSignal, { to })));
    await condition(() => asked.every((p) => got.has(p.id)));
    for (const p of asked) take(got.get(p.id)!);
  }
}

/** Full pages of the log go to new ledger pages (added to `ledger`); what is left, less than a page, stays in `entries`. */
async function writePages(ledger: AllocatorLedger, entries: LedgerOp[], pageOps: number): Promise<void> {
  const info = workflowInfo();
  while (entries.length >= pageOps) {
    const ops = entries.slice(0, pageOps);
    const n = ledger.pages.length + 1;
    const id = `${info.workflowId}-page-${info.firstExecutionRunId.slice(0, 8)}-${n}`;
    await startChild(allocatorLedger, { workflowId: id, args: [{ ops }], parentClosePolicy: ParentClosePolicy.ABANDON, staticSummary: `Ledger page ${n} of ${info.workflowId}` });
    ledger.pages.push({ id, ops: ops.length });
    entries.splice(0, pageOps);
  }
}

/**
 * One ledger page: holds a page of an allocator's operations, never changes it, and sends it to whichever
 * allocator run asks. It continues as new (carrying its page) before the pages it sent make its history big.
 */
export async function allocatorLedger(page: { ops: LedgerOp[] }): Promise<void> {
  const asks: string[] = [];
  setHandler(sendPageSignal, ({ to }) => {
    if (!asks.includes(to)) asks.push(to);
  });
  const pageId = workflowInfo().workflowId;
  for (;;) {
    await condition(() => asks.length > 0);
    const to = asks.shift()!;
    try {
      await getExternalWorkflowHandle(to).signal(pageContentSignal, { pageId, ops: page.ops });
    } catch (err) {
      log.warn('the allocator that asked for its ledger page is gone', { pageId, to, error: (err as Error).message });
    }
    const info = workflowInfo();
    if ((info.continueAsNewSuggested || info.historySize > 1_000_000) && asks.length === 0) {
      await condition(allHandlersFinished);
      if (asks.length === 0) await continueAsNew<typeof allocatorLedger>(page);
    }
  }
}
