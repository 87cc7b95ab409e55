/** The baseline's worker, its own process beside sagaway's worker, on its own task queue. */
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfigOrExit, type BackendName } from '../../src/config';
import { authorizersFrom } from '../../src/worker';
import { createBaselineActivities } from './activities';

async function main(): Promise<void> {
  const authorizers = authorizersFrom(loadConfigOrExit());
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  const worker = await Worker.create({
    connection,
    taskQueue: 'baseline',
    workflowsPath: require.resolve('./workflows'),
    // The same backends as sagaway's worker: the launcher's port unless told otherwise.
    activities: createBaselineActivities(process.env.BASELINE_BACKENDS_URL ?? `http://127.0.0.1:${process.env.SAGAWAY_BACKENDS_PORT ?? 4000}`, (backend) => authorizers(backend as BackendName).headers(undefined)),
  });
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`baseline worker: ${(err as Error).stack}\n`);
  process.exit(1);
});
