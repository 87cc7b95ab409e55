/**
 * What a client sees of an update whose workflow task fails, on a real dev server. Temporal answers
 * FAILED_PRECONDITION "unexpected workflow task failure" when it refuses the worker's completion of that
 * task itself (here UNHANDLED_COMMAND: the workflow completed while a signal came in); a task the worker
 * fails is redone with the update in it, and the update answers. `executeUpdateOnce` resends the first
 * under the same update id and logs the failed task's cause.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { executeUpdateOnce } from '../../src/api/temporal-unavailable';
import { startTestServer } from '../support/workflow-env';
import type { TaskFailureActivities, TaskTrouble } from '../support/update-task-failure';

/** `signal`: the workflow is signalled while the task runs, so the server refuses its completion. */
type Trouble = TaskTrouble | 'signal';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `update-task-failure-${randomUUID()}`;
/** What each workflow's first task carrying the update suffers; later tasks answer. */
const troubles = new Map<string, Trouble>();

const activities: TaskFailureActivities = {
  async beforeAnswer() {
    const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
    const trouble = troubles.get(workflowId) ?? 'none';
    troubles.delete(workflowId);
    if (trouble !== 'signal') return trouble;
    // Persisted before the task completes: the completion is refused (UNHANDLED_COMMAND).
    await env.client.workflow.getHandle(workflowId).signal('poke');
    return 'none';
  },
};

before(async () => {
  env = await startTestServer();
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: require.resolve('../support/update-task-failure'), activities });
  running = worker.run();
});
after(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

async function started(trouble: Trouble) {
  const workflowId = `update-task-failure-${randomUUID()}`;
  troubles.set(workflowId, trouble);
  return env.client.workflow.start('finishOnUpdate', { taskQueue, workflowId });
}

function taskFailure(err: unknown): { code?: unknown; message: string } | undefined {
  for (let e: unknown = err; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    if (/unexpected workflow task failure/.test(e.message)) return e as { code?: unknown; message: string };
  }
  return undefined;
}

describe('an update whose workflow task fails', () => {
  it('is refused with FAILED_PRECONDITION when the server fails the task, and answers when sent again under its id', async () => {
    const handle = await started('signal');
    const updateId = randomUUID();
    const err = await handle.executeUpdate('finish', { updateId }).then(
      () => assert.fail('the update answered'),
      (e: unknown) => e,
    );
    const failure = taskFailure(err);
    assert.ok(failure, `not the task failure: ${String(err)}`);
    assert.equal(failure.code, 9);
    assert.match(failure.message, /FAILED_PRECONDITION: Unable to perform workflow execution update due to unexpected workflow task failure/);
    assert.equal(await executeUpdateOnce(handle, 'finish', undefined, { updateId }), 'finished');
    assert.equal(await handle.result(), 'done');
  });

  it('answers a bare update when the worker fails the task (a plain Error in the handler)', async () => {
    const handle = await started('throw');
    assert.equal(await handle.executeUpdate('finish', { updateId: randomUUID() }), 'finished');
    const { events } = await handle.fetchHistory();
    assert.ok(events?.some((e) => e.workflowTaskFailedEventAttributes?.failure?.message === 'a plain error fails the workflow task'), 'the first task failed');
  });

  it('is sent again by executeUpdateOnce, with a warning that names the failed task\'s cause', async () => {
    const handle = await started('signal');
    const warnings: Array<{ fields: Record<string, unknown>; message: string }> = [];
    const logger = { warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }) };
    assert.equal(await executeUpdateOnce(handle, 'finish', undefined, { logger: logger as never }), 'finished');
    assert.equal(warnings.length, 1);
    const { fields, message } = warnings[0]!;
    assert.match(message, /update sent again/);
    assert.equal(fields.sagaId, handle.workflowId);
    assert.equal(fields.update, 'finish');
    assert.equal(fields.attempt, 1);
    assert.deepEqual(Object.keys(fields.taskFailure as object).sort(), ['cause', 'message']);
    assert.equal((fields.taskFailure as { cause: string }).cause, 'WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND');
  });
});
