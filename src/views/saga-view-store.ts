import type { InjectedSinks } from '@temporalio/worker';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { SagaView } from '../domain/saga';
import type { SagaViewSinks } from '../workflows/view-sink';

/**
 * The saga views as their workers last published them: a read model the API answers from, so reading a
 * running saga costs one read of the store instead of a query that waits behind a busy or held workflow
 * task. Redis with SAGAWAY_REDIS_URL, else files in the data folder (file-view-store.ts).
 */
export interface SagaViewStore {
  put(views: SagaView[]): Promise<void>;
  get(sagaId: string): Promise<SagaView | null>;
  /** A new run of the id started (its key reused past retention): the old run's view must not answer. */
  forget(sagaId: string): Promise<void>;
}

/** A view not written again for this long is dropped; a saga that runs longer is read from its worker. */
const VIEW_TTL_MS = 24 * 60 * 60 * 1_000;

/**
 * Keeps a view only if it is not older than the one stored: a worker that lost a saga to another (after a
 * restart, say) cannot put an older view back. `updatedAt` is workflow time, the same on every worker.
 */
const PUT_IF_NEWER = `
local at = redis.call('HGET', KEYS[1], 'at')
if at and at > ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'at', ARGV[1], 'view', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

const FORGET_OLDER_THAN = `
local at = redis.call('HGET', KEYS[1], 'at')
if at and at < ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export class RedisSagaViewStore implements SagaViewStore {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('sagawayPutView', { numberOfKeys: 1, lua: PUT_IF_NEWER });
    redis.defineCommand('sagawayForgetOld', { numberOfKeys: 1, lua: FORGET_OLDER_THAN });
  }

  async put(views: SagaView[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const view of views) {
      (pipeline as unknown as PutView).sagawayPutView(viewKey(view.id), view.updatedAt, JSON.stringify(view), String(VIEW_TTL_MS));
    }
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0];
  }

  /** Only a view last written more than a minute before now goes: one the new run already wrote stays. */
  async forget(sagaId: string): Promise<void> {
    await (this.redis as unknown as ForgetOld).sagawayForgetOld(viewKey(sagaId), new Date(Date.now() - 60_000).toISOString());
  }

  async get(sagaId: string): Promise<SagaView | null> {
    const json = await this.redis.hget(viewKey(sagaId), 'view');
    return json === null ? null : (JSON.parse(json) as SagaView);
  }
}

type ForgetOld = { sagawayForgetOld(key: string, before: string): Promise<number> };
type PutView = { sagawayPutView(key: string, at: string, view: string, ttlMs: string): void };

function viewKey(sagaId: string): string {
  return `sagaway:view:${sagaId}`;
}

/** How long after a failed write the views it held are written again. */
const RETRY_MS = 1_000;
/** Views waiting for the store to come back, at most (the oldest are dropped: the API asks their workers). */
const MAX_PENDING = 50_000;

/**
 * The worker's side of the sink: the views that changed are written together once the tasks at hand are
 * done (the newest of each saga only). A write that fails is logged, once per kind of error, and written
 * again a second later unless a newer view of the saga came meanwhile: a saga that then waits (for an
 * operator, for hours) must not be read from the store as it was before the failed write.
 * Without a store (tests, replay) the views go nowhere, but the sink is still registered: the SDK logs an
 * error for every call to one that is not.
 */
export function sagaViewSinks(store: SagaViewStore | null, logger?: Logger): InjectedSinks<SagaViewSinks> {
  const pending = new Map<string, SagaView>();
  let scheduled = false;
  let lastError = '';
  const schedule = (ms: number) => {
    if (scheduled) return;
    scheduled = true;
    if (ms === 0) setImmediate(flush);
    else setTimeout(flush, ms).unref();
  };
  const flush = () => {
    scheduled = false;
    const views = [...pending.values()];
    pending.clear();
    store!.put(views).then(
      () => (lastError = ''),
      (err: Error) => {
        if (err.message !== lastError) logger?.warn({ err: err.message }, 'saga views not published to the view store; written again in a second (meanwhile the API reads what the store has)');
        lastError = err.message;
        for (const view of views) {
          const newer = pending.get(view.id);
          if (!newer || newer.updatedAt < view.updatedAt) pending.set(view.id, view);
        }
        while (pending.size > MAX_PENDING) pending.delete(pending.keys().next().value!);
        schedule(RETRY_MS);
      },
    );
  };
  return {
    sagaViews: {
      changed: {
        fn: (_info, view) => {
          if (!store) return;
          // Serialized now: the workflow's next task may change the same object.
          pending.set(view.id, JSON.parse(JSON.stringify(view)) as SagaView);
          schedule(0);
        },
        callDuringReplay: false,
      },
    },
  };
}
