import { Client, Connection } from '@temporalio/client';
import { dataConverterFrom } from '../src/codec';
import { DEV_CODEC_KEYS } from '../src/config';
import { launchStack } from '../src/dev/stack';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../src/dev/temporal-server';

export interface BenchStack {
  apiUrl: string;
  backendsUrl: string;
  apiKey: string;
  temporalAddress: string;
  /** sagaway's client (with the payload codec) and the baseline's plain one. */
  client: Client;
  plainClient: Client;
  pids: Record<string, number | null>;
  stop(): Promise<void>;
}

/**
 * Everything the benchmark measures, each as its own process on 127.0.0.1 so CPU and memory can be read
 * per process: the dev server in memory, the backends, sagaway's worker and API, and the baseline worker.
 */
export async function startBenchStack(options: { eagerActivities: boolean } = { eagerActivities: true }): Promise<BenchStack> {
  const stack = await launchStack({
    label: 'bench',
    start: ['backends', 'worker', 'api', 'baseline-worker'],
    dynamicConfig: options.eagerActivities ? undefined : DEV_SERVER_DYNAMIC_CONFIG.filter((v) => !v.includes('EagerExecution')),
    env: {
      SAGAWAY_RATE_LIMIT_PER_MINUTE: '1000000',
      SAGAWAY_BIKE_SENSOR_TIMEOUT_SECONDS: '3600',
    },
  });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection, dataConverter: dataConverterFrom(process.env.SAGAWAY_CODEC_KEYS ?? DEV_CODEC_KEYS) });
  const plainClient = new Client({ connection });
  const pid = (name: 'worker' | 'api' | 'baseline-worker') => stack.parts[name]?.pid ?? null;
  return {
    apiUrl: stack.apiUrl,
    backendsUrl: stack.backendsUrl,
    apiKey: stack.apiKey,
    temporalAddress: stack.temporalAddress,
    client,
    plainClient,
    pids: { worker: pid('worker'), api: pid('api'), temporal: stack.temporalPid(), baselineWorker: pid('baseline-worker') },
    async stop() {
      await connection.close();
      await stack.stop();
    },
  };
}
