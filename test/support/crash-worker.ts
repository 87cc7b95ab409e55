/**
 * A worker process for crash tests: every order step says yes, except that the capture (and, with
 * CRASH_HANG_ON, whatever step that names) writes CRASH_MARK once it "landed" and then never answers, so
 * the test can SIGKILL this process mid workflow task.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { NativeConnection, Worker } from '@temporalio/worker';
import { orderBackends } from './order-saga';
import { unrecordedAudit } from './workflow-env';
import { sagaViewSinks } from '../../src/views/saga-view-store';

async function main() {
  const hangOn = process.env.CRASH_HANG_ON ?? 'capturePayment';
  const mark = process.env.CRASH_MARK!;
  const { activities } = orderBackends({
    [hangOn]: async (...args: never[]) => {
      appendFileSync(mark, JSON.stringify({ step: hangOn, args }) + '\n');
      await new Promise(() => undefined);
    },
  });
  const connection = await NativeConnection.connect({ address: process.env.CRASH_ADDRESS! });
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.CRASH_TASK_QUEUE!,
    workflowBundle: { code: readFileSync(process.env.CRASH_BUNDLE!, 'utf8') },
    activities: { ...activities, appendAudit: unrecordedAudit },
    sinks: sagaViewSinks(null),
  });
  process.stdout.write('ready\n');
  await worker.run();
}
void main();
