import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { Client, WorkflowHandle, WorkflowStartOptions } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Workflow, WorkflowResultType } from '@temporalio/workflow';
import pino from 'pino';
import { reportAttempts } from '../../src/activities/attempts';
import { resolveTemporalCli } from '../../src/dev/temporal-cli';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../../src/dev/temporal-server';
import { SearchAttribute, type SagaTuning } from '../../src/domain/saga';
import { installRuntimeLogger } from '../../src/worker';
import { workflowBundle } from './workflow-bundle';

/**
 * Workflow tests: the real workflow code on a real Temporal server, with activities replaced by plain
 * functions. Temporal's time-skipping server is downloaded from temporal.download, which this project
 * cannot rely on (no network beyond package registries), so this runs the dev server sagaway already
 * has, one per test file, and tests keep their timers short (see `fastTuning`).
 */
export interface WorkflowEnv {
  client: Client;
  /**
   * Runs `body` with a worker on a task queue of its own, serving `activities`; the worker stops when
   * `body` settles, so tests in one file never see each other's activities.
   */
  withWorker<T>(activities: Activities, body: (taskQueue: string) => Promise<T>): Promise<T>;
  /** Starts `workflow` with a worker for `activities` and returns its result. */
  execute<W extends Workflow>(workflow: W, args: Parameters<W>, activities: Activities): Promise<WorkflowResultType<W>>;
  teardown(): Promise<void>;
}

export type Activities = Record<string, (...args: never[]) => Promise<unknown>>;

export async function startWorkflowEnv(): Promise<WorkflowEnv> {
  installRuntimeLogger(pino({ level: process.env.SAGAWAY_TEST_LOG ?? 'silent' }));
  const [cli, bundle] = await Promise.all([resolveTemporalCli(), workflowBundle()]);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli },
      log: { format: 'pretty', level: 'error' },
      extraArgs: [
        ...Object.values(SearchAttribute).flatMap((name) => ['--search-attribute', `${name}=Keyword`]),
        ...DEV_SERVER_DYNAMIC_CONFIG.flatMap((value) => ['--dynamic-config-value', value]),
      ],
    },
  });
  const withWorker = async <T>(activities: Activities, body: (taskQueue: string) => Promise<T>): Promise<T> => {
    const taskQueue = `test-${randomUUID()}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    return worker.runUntil(body(taskQueue));
  };
  return {
    client: env.client,
    withWorker,
    execute: (workflow, args, activities) =>
      withWorker(activities, (taskQueue) => env.client.workflow.execute(workflow, startOptions(taskQueue, args))),
    teardown: () => env.teardown(),
  };
}

/** Starts a workflow on the worker's task queue (for tests that signal, update or cancel it). */
export function startOn<W extends Workflow>(client: Client, taskQueue: string, workflow: W, args: Parameters<W>): Promise<WorkflowHandle<W>> {
  return client.workflow.start(workflow, startOptions(taskQueue, args));
}

function startOptions<W extends Workflow>(taskQueue: string, args: Parameters<W>): WorkflowStartOptions<W> {
  return { taskQueue, workflowId: `test-${randomUUID()}`, args } as unknown as WorkflowStartOptions<W>;
}

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
