import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client, WorkflowHandleWithFirstExecutionRunId, WorkflowStartOptions } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type LogEntry } from '@temporalio/worker';
import type { Workflow, WorkflowResultType } from '@temporalio/workflow';
import { createActivities, type ActivityDeps } from '../../src/activities';
import { reportAttempts } from '../../src/activities/attempts';
import { resolveTemporalCli } from '../../src/dev/temporal-cli';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../../src/dev/temporal-server';
import { SearchAttribute, type SagaTuning } from '../../src/domain/saga';
import { workflowBundle } from './workflow-bundle';
import { sagaViewSinks } from '../../src/views/saga-view-store';

/**
 * Workflow tests: the real workflow code on a real Temporal server, with activities replaced by plain
 * functions. Temporal's time-skipping server is downloaded from temporal.download, which this project
 * cannot rely on (no network beyond package registries), so this runs the dev server sagaway already
 * has, one per test file, and tests keep their timers short (see `fastTuning`).
 *
 * One worker serves the whole file. Each workflow a test starts gets its own mocked activities, looked
 * up by workflow id when an activity runs, so tests may run side by side without seeing each other's.
 */
export interface WorkflowEnv {
  client: Client;
  taskQueue: string;
  /** Starts `workflow` served by `activities` (for tests that signal, update or cancel it). */
  start<W extends Workflow>(workflow: W, args: Parameters<W>, activities: Activities): Promise<WorkflowHandleWithFirstExecutionRunId<W>>;
  /** Starts `workflow` served by `activities` and returns its result. */
  execute<W extends Workflow>(workflow: W, args: Parameters<W>, activities: Activities): Promise<WorkflowResultType<W>>;
  teardown(): Promise<void>;
}

export type Activities = Record<string, (...args: never[]) => Promise<unknown>>;

/** Every log line the workers of this process wrote, so a test can read what a step logged. */
export const logLines: LogEntry[] = [];
let runtimeInstalled = false;

/** The dev server the CLI brings, in memory, with sagaway's search attributes and dynamic config. */
export async function startTestServer(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: await resolveTemporalCli() },
      log: { format: 'pretty', level: 'error' },
      extraArgs: [
        ...Object.values(SearchAttribute).flatMap((name) => ['--search-attribute', `${name}=Keyword`]),
        ...DEV_SERVER_DYNAMIC_CONFIG.flatMap((value) => ['--dynamic-config-value', value]),
      ],
    },
  });
}

export async function startWorkflowEnv(): Promise<WorkflowEnv> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('INFO', (entry) => logLines.push(entry)) });
    runtimeInstalled = true;
  }
  const [env, bundle] = await Promise.all([startTestServer(), workflowBundle()]);
  const mocks = new Map<string, Activities>();
  const taskQueue = `test-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: dispatcher(mocks),
    // The sagas publish their views; with no store here, to nowhere.
    sinks: sagaViewSinks(null),
    shutdownGraceTime: '1 second',
  });
  const running = worker.run();
  const start = async <W extends Workflow>(workflow: W, args: Parameters<W>, activities: Activities) => {
    const workflowId = `test-${randomUUID()}`;
    mocks.set(workflowId, activities);
    return env.client.workflow.start(workflow, { taskQueue, workflowId, args } as unknown as WorkflowStartOptions<W>);
  };
  return {
    client: env.client,
    taskQueue,
    start,
    execute: async (workflow, args, activities) => (await start(workflow, args, activities)).result(),
    async teardown() {
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

/**
 * The worker's activities: every name a sagaway workflow calls, each passing the call on to the mock
 * that the test registered for the calling workflow. A name the test did not mock fails without retry.
 */
function dispatcher(mocks: Map<string, Activities>): Activities {
  // Built only for their names; nothing is ever sent to this address.
  const urls = new Proxy({}, { get: () => 'http://127.0.0.1:9' }) as ActivityDeps['urls'];
  const { activities: real, close } = createActivities({ urls, timeoutMs: 1, temporal: null });
  void close();
  const forward = (name: string) => (...args: never[]) => {
    const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
    const mock = mocks.get(workflowId)?.[name] ?? (name === 'appendAudit' ? unrecordedAudit : undefined);
    if (!mock) throw ApplicationFailure.nonRetryable(`the test did not mock ${name} for ${workflowId}`, 'NotMocked');
    return mock(...args);
  };
  return Object.fromEntries(Object.keys(real).map((name) => [name, forward(name)]));
}

/** Every saga writes its trail; a test that does not look at it has it stored nowhere. */
/** The audit trail of a test that does not record it: stored nowhere. */
export const unrecordedAudit = async () => ({ value: { sagaSeq: 0, globalSeq: 0, hash: '' }, attempt: 1 });

/** Saga tuning for tests: an undo is retried every few milliseconds and marked stuck after 3 attempts. */
export const fastTuning: SagaTuning = { stuckAfterAttempts: 3, compensationBackoffMs: { initial: 10, max: 50 } };

/**
 * Mocked activities, wrapped as the worker wraps the real ones (`reportAttempts`), with every call
 * written to `calls` in the order the workflow made them, so a test can assert the compensation order.
 */
export function mockActivities<A extends Activities>(impls: A, calls: string[] = []): { activities: Activities; calls: string[] } {
  const recorded: Activities = {};
  for (const [name, fn] of Object.entries(impls)) {
    recorded[name] = (...args: never[]) => {
      calls.push(name);
      return fn(...args);
    };
  }
  return { activities: reportAttempts(recorded), calls };
}

/** What a backend's definite refusal becomes in an activity: no retry, compensation follows. */
export function businessRejection(type: string, message = type): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type);
}
