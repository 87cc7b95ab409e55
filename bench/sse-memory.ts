/**
 * `npx tsx bench/sse-memory.ts [streams]`: what open event streams cost one API instance. A child
 * process runs the API with a gateway that answers a RUNNING saga at once (so only the streams are
 * measured, not Temporal); this process opens the streams, then reads the child's memory from /metrics
 * after a forced GC. Two shapes: every stream on its own saga (a feed each) and all on one saga.
 */
import { fork } from 'node:child_process';
import { request } from 'node:http';
import { buildApp } from '../src/api/app';
import { DEFAULT_TUNING } from '../src/domain/saga';

const STREAM_KEY = 'bench-client-key-0001';

async function child(): Promise<void> {
  const view = (id: string) => ({ id, type: 'order', status: 'RUNNING', steps: [{ name: 'reserveInventory', status: 'RUNNING', attempts: 1, startedAt: 'now', finishedAt: null, error: null, compensation: null }], result: null, error: null, createdAt: 'now', updatedAt: 'now', details: {} });
  const gateway = { view: async (id: string) => view(id), ready: async () => ({ ready: true, reason: null }) } as never;
  const app = await buildApp({
    gateway,
    apiKeys: new Map([[STREAM_KEY, 'bench']]),
    sagas: { orderDeadlineMs: 60_000, localSteps: true, tuning: DEFAULT_TUNING },
    bikes: {} as never,
    classes: {} as never,
    events: { pollMs: 1_000, heartbeatMs: 15_000, lingerMs: 10_000, maxPerClient: 100_000 },
  });
  app.get('/gc', async () => {
    (globalThis as { gc?: () => void }).gc?.();
    return process.memoryUsage();
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  process.send?.(url);
}

function open(base: string, sagaId: string): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/v1/sagas/${sagaId}/events`, { headers: { authorization: `Bearer ${STREAM_KEY}` }, agent: false }, (res) => {
      res.once('data', () => resolve(() => req.destroy()));
    });
    req.on('error', reject);
    req.end();
  });
}

async function memory(base: string): Promise<{ rss: number; heapUsed: number }> {
  return (await fetch(`${base}/gc`, { headers: { authorization: `Bearer ${STREAM_KEY}` } })).json() as Promise<{ rss: number; heapUsed: number }>;
}

async function measure(base: string, streams: number, sagas: number): Promise<void> {
  const before = await memory(base);
  const closers: Array<() => void> = [];
  for (let i = 0; i < streams; i += 50) {
    closers.push(...(await Promise.all(Array.from({ length: Math.min(50, streams - i) }, (_, j) => open(base, `saga-bench-${(i + j) % sagas}`)))));
  }
  await new Promise((r) => setTimeout(r, 2_000));
  const after = await memory(base);
  const kb = (bytes: number) => (bytes / streams / 1024).toFixed(1);
  process.stdout.write(`${streams} streams on ${sagas} saga(s): RSS +${((after.rss - before.rss) / 1048576).toFixed(1)} MB (${kb(after.rss - before.rss)} KB/stream), heap +${((after.heapUsed - before.heapUsed) / 1048576).toFixed(1)} MB (${kb(after.heapUsed - before.heapUsed)} KB/stream)\n`);
  for (const close of closers) close();
}

async function main(): Promise<void> {
  const streams = Number(process.argv[2] ?? 1_000);
  // A fresh API per shape: memory a process once took is not all given back to the OS.
  for (const sagas of [streams, 1]) {
    const api = fork(__filename, ['--child'], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const base = await new Promise<string>((resolve) => api.once('message', (m) => resolve(String(m))));
    try {
      await measure(base, streams, sagas);
    } finally {
      api.kill();
    }
  }
}

if (process.argv.includes('--child')) void child();
else main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
