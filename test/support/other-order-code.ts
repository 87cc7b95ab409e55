/**
 * Workflow code that is not sagaway's: an `orderCheckout` that only sleeps. A run of it is a history
 * sagaway's order saga cannot replay (test/e2e/replay-command.test.ts).
 */
import { sleep } from '@temporalio/workflow';

export async function orderCheckout(): Promise<string> {
  await sleep(10);
  return 'other code';
}
