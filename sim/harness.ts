import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { HistoryAndWorkflowId, WorkflowHandle, WorkflowStartOptions } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, Runtime, Worker, type ReplayResult } from '@temporalio/worker';
import type { Workflow } from '@temporalio/workflow';
import { createActivities, type ActivityDeps } from '../src/activities';
import { reportAttempts } from '../src/activities/attempts';
import type { SagaView } from '../src/domain/saga';
import { sagaViewSinks, type SagaViewStore } from '../src/views/saga-view-store';
import { workflowBundle } from '../test/support/workflow-bundle';
import { resolveTemporalCli } from '../src/dev/temporal-cli';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../src/dev/temporal-server';
import { SearchAttribute } from '../src/domain/saga';
import { TestWorkflowEnvironment } from '@temporalio/testing';

type Activities = Record<string, (input: never) => Promise<unknown>>;

/** Schedules served by the replaying worker at once (SAGAWAY_SIM_REPLAY_SLOTS). */
const REPLAY_SLOTS = Number(process.env.SAGAWAY_SIM_REPLAY_SLOTS ?? 4);
/**
 * Workflows the replaying worker keeps, and so the tasks it runs at once (SAGAWAY_SIM_REPLAY_CACHE): a
 * task of a saga whose last task was not among the worker's last few replays the whole history (with the
 * slots several times the cache, most of them). Not zero: Core 1.24's worker that caches nothing re-ran a
 * task's local activities and let the task time out again and again (attempt 5, the same local calls each
 * time, never a failure), so sagas with local steps stood still there; production never caches nothing.
 * With a dozen sagas on two workflows the same shows now and then (docs/testing.md).
 */
const REPLAY_CACHE = Number(process.env.SAGAWAY_SIM_REPLAY_CACHE ?? 2);

/**
 * One dev server and two workers for every schedule of the process: one that caches workflows as
 * production does, and one that keeps two, shared by the sagas on it, so nearly each of its workflow tasks
 * replays the saga from its history (a worker restart at nearly every step). Activities are looked up by
 * workflow id, so hundreds of schedules run side by side.
 */
export class Harness {
  private readonly mocks = new Map<string, Activities>();
  private readonly running: Array<{ worker: Worker; done: Promise<void> }> = [];
  private readonly unsettled = new Set<Promise<unknown>>();
  /** Schedules on the replaying worker, at most REPLAY_SLOTS at once; the others wait here for a slot. */
  private replaying = 0;
  private readonly replayQueue: Array<() => void> = [];
  /** The views the workers published, newest per saga: what the API reads, held back by no workflow task. */
  private readonly views = new Map<string, SagaView>();
  private queues = { cached: `sim-${randomUUID()}`, replay: `sim-replay-${randomUUID()}` };

  private replayer: Replayer | null = null;

  private constructor(readonly env: TestWorkflowEnvironment) {}

  static async start(): Promise<Harness> {
    // Core's own lines included (evictions of workflows with local activities in flight warn): dropped.
    Runtime.install({ logger: new DefaultLogger('ERROR', () => undefined), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } } });
    const [env, bundle] = await Promise.all([startServer(), workflowBundle()]);
    const harness = new Harness(env);
    harness.replayer = new Replayer(bundle, harness.viewStore());
    for (const [queue, cache] of [[harness.queues.cached, undefined], [harness.queues.replay, REPLAY_CACHE]] as const) {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue: queue,
        workflowBundle: bundle,
        activities: harness.dispatcher(),
        sinks: sagaViewSinks(harness.viewStore()),
        shutdownGraceTime: '1 second',
        maxCachedWorkflows: cache,
        maxConcurrentActivityTaskExecutions: 1_000,
        maxConcurrentLocalActivityExecutions: 1_000,
        maxConcurrentWorkflowTaskExecutions: cache ?? 100,
      });
      harness.running.push({ worker, done: worker.run() });
    }
    return harness;
  }

  get client() {
    return this.env.client;
  }

  async start<W extends Workflow>(workflow: W, args: Parameters<W>, activities: Activities, replay: boolean): Promise<WorkflowHandle<W>> {
    const workflowId = `sim-${randomUUID()}`;
    this.mocks.set(workflowId, reportAttempts(activities) as Activities);
    const taskQueue = replay ? this.queues.replay : this.queues.cached;
    return this.env.client.workflow.start(workflow, { taskQueue, workflowId, args } as unknown as WorkflowStartOptions<W>);
  }

  /**
   * A slot on the replaying worker, for one schedule; call the answer to give it back. Nearly each of that
   * worker's tasks replays the saga's whole history, two at a time: with thirty sagas on it at once on a
   * loaded 2-core machine, its tasks timed out at their 10 s and sagas stood past the cap with a workflow
   * task pending.
   */
  replayFree(): boolean {
    return this.replaying < REPLAY_SLOTS;
  }

  async replaySlot(): Promise<() => void> {
    if (this.replaying >= REPLAY_SLOTS) await new Promise<void>((resolve) => this.replayQueue.push(resolve));
    else this.replaying += 1;
    return () => {
      const next = this.replayQueue.shift();
      if (next) next();
      else this.replaying -= 1;
    };
  }

  /**
   * The saga's view as its worker last published it. The schedules read this, as the API does, rather than
   * query: on the replaying worker every query replays the whole history, and a few hundred
   * queries a second starved its workflow tasks.
   */
  view(workflowId: string): SagaView | null {
    return this.views.get(workflowId) ?? null;
  }

  /** Ends a schedule: its workflow is terminated if it still runs, and its activities and view forgotten. */
  async forget(workflowId: string): Promise<void> {
    await this.env.client.workflow.getHandle(workflowId).terminate('schedule checked').catch(() => undefined);
    this.mocks.delete(workflowId);
    this.views.delete(workflowId);
  }

  private viewStore(): SagaViewStore {
    const { views, mocks } = this;
    return {
      async put(published) {
        for (const view of published) {
          // A view published after its schedule was checked is not kept.
          if (!mocks.has(view.id)) continue;
          const known = views.get(view.id);
          if (!known || known.updatedAt <= view.updatedAt) views.set(view.id, view);
        }
      },
      async get(sagaId) {
        return views.get(sagaId) ?? null;
      },
      async forget(sagaId) {
        views.delete(sagaId);
      },
    };
  }

  /** Calls of a checked schedule still on their way: `stop` waits for them before it closes the connection. */
  settling(calls: Promise<unknown>): void {
    const tracked = calls.finally(() => this.unsettled.delete(tracked));
    this.unsettled.add(tracked);
  }

  /** Replays a schedule's history from its start on a worker of its own: what the code does again must match it. */
  replay(workflowId: string, history: HistoryAndWorkflowId['history']): Promise<ReplayResult> {
    return this.replayer!.check(workflowId, history);
  }

  async stop(): Promise<void> {
    await Promise.race([Promise.allSettled(this.unsettled), sleep(15_000)]);
    await this.replayer?.close();
    for (const { worker } of this.running) worker.shutdown();
    await Promise.all(this.running.map((r) => r.done));
    await this.env.teardown();
  }

  private dispatcher(): Activities {
    const urls = new Proxy({}, { get: () => 'http://127.0.0.1:9' }) as ActivityDeps['urls'];
    const { activities: real, close } = createActivities({ urls, timeoutMs: 1, temporal: null });
    void close();
    const forward = (name: string) => (...args: never[]) => {
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
      const mock = this.mocks.get(workflowId)?.[name] as ((...a: never[]) => Promise<unknown>) | undefined;
      if (!mock) throw ApplicationFailure.nonRetryable(`the simulation has no ${name} for ${workflowId}`, 'NotMocked');
      return mock(...args);
    };
    return Object.fromEntries(Object.keys(real).map((name) => [name, forward(name)]));
  }
}

/** The dev server as the workflow tests start it, quiet: the simulation cancels and terminates by the hundred. */
async function startServer(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: await resolveTemporalCli() },
      log: { format: 'pretty', level: 'never' },
      extraArgs: [
        ...Object.values(SearchAttribute).flatMap((name) => ['--search-attribute', `${name}=Keyword`]),
        ...DEV_SERVER_DYNAMIC_CONFIG.flatMap((value) => ['--dynamic-config-value', value]),
      ],
    },
  });
}

/**
 * One replay worker for the whole run, fed every history checked: creating a replay worker per history
 * costs more than the replay.
 */
class Replayer {
  private readonly queued: HistoryAndWorkflowId[] = [];
  private wake: (() => void) | null = null;
  private closed = false;
  private failed: Error | null = null;
  private readonly answers = new Map<string, (result: ReplayResult) => void>();
  private readonly done: Promise<void>;

  constructor(bundle: Awaited<ReturnType<typeof workflowBundle>>, views: SagaViewStore) {
    this.done = (async () => {
      for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, sinks: sagaViewSinks(views) }, this.feed())) {
        this.answers.get(result.workflowId)?.(result);
        this.answers.delete(result.workflowId);
      }
    })().catch((err: Error) => {
      // A replay worker that stopped answers every history still waiting, and every later one, as failed.
      this.failed = err;
      for (const [workflowId, answer] of this.answers) answer({ workflowId, runId: '', error: err as ReplayResult['error'] });
      this.answers.clear();
    });
  }

  check(workflowId: string, history: HistoryAndWorkflowId['history']): Promise<ReplayResult> {
    if (this.failed) return Promise.resolve({ workflowId, runId: '', error: this.failed as ReplayResult['error'] });
    return new Promise((resolve) => {
      this.answers.set(workflowId, resolve);
      this.queued.push({ workflowId, history });
      this.wake?.();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.done;
  }

  private async *feed(): AsyncIterable<HistoryAndWorkflowId> {
    for (;;) {
      const next = this.queued.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }
}
