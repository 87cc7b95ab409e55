/**
 * A workflow that ends when its `finish` update answers, for test/workflow/update-task-failure.test.ts.
 * Before answering, the handler asks the test what to do to the workflow task carrying the update (a local
 * activity: it runs again when the task is redone, so the test can spoil the first try only).
 */
import { condition, defineUpdate, proxyLocalActivities, setHandler } from '@temporalio/workflow';

/** `throw`: the handler throws a plain Error, which fails the task in the worker. */
export type TaskTrouble = 'throw' | 'none';

export interface TaskFailureActivities {
  beforeAnswer(): Promise<TaskTrouble>;
}

export const finishUpdate = defineUpdate<string>('finish');

const { beforeAnswer } = proxyLocalActivities<TaskFailureActivities>({ startToCloseTimeout: '5 seconds' });

export async function finishOnUpdate(): Promise<string> {
  let finished = false;
  setHandler(finishUpdate, async () => {
    if ((await beforeAnswer()) === 'throw') throw new Error('a plain error fails the workflow task');
    finished = true;
    return 'finished';
  });
  await condition(() => finished);
  return 'done';
}
