/**
 * Runs one allocator load (bench/allocator.ts) on a Temporal of its own before a test file's tests, and
 * answers its outcome to them.
 */
import { after, before } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { runAllocatorLoad, withAllocatorWorker, type AllocatorLoad, type AllocatorOutcome } from '../../bench/allocator';
import { resolveTemporalCli } from '../../src/dev/temporal-cli';
import { freePort, startDevServer, type RunningDevServer } from '../../src/dev/temporal-server';
import { allocatorLoadBundle } from './workflow-bundle';

export function allocatorLoadOutcome(load: AllocatorLoad): () => AllocatorOutcome {
  let temporal: RunningDevServer;
  let connection: Connection;
  let outcome: AllocatorOutcome | undefined;
  before(async () => {
    temporal = await startDevServer({ cli: await resolveTemporalCli(), port: await freePort(), uiPort: null, dbFile: null });
    connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection, namespace: 'default' });
    outcome = await withAllocatorWorker(temporal.address, () => runAllocatorLoad(client, load), await allocatorLoadBundle());
  });
  after(async () => {
    await connection?.close();
    await temporal?.stop();
  });
  return () => {
    if (!outcome) throw new Error('the allocator load did not run');
    return outcome;
  };
}
