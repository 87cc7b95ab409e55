import type { AuditConfig } from '../config';
import { AuditSigner } from './chain';
import { PgliteDatabase, PostgresDatabase } from './sql';
import { AuditStore } from './store';

export { AuditStore } from './store';

/** The configured audit store: PostgreSQL when a URL is set, the embedded PGlite folder otherwise. */
export function openAuditStore(config: AuditConfig): AuditStore {
  const db = config.databaseUrl ? new PostgresDatabase(config.databaseUrl) : new PgliteDatabase(config.storeDir);
  return new AuditStore(db, new AuditSigner(config.signingKeys));
}

/**
 * Signs the chain's head every `everyMs` while entries keep coming (the worker runs it); a failed
 * signing is tried again next time. Returns the function that stops it.
 */
export function signPeriodically(store: AuditStore, everyMs: number, onError: (err: Error) => void): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = store.signHeadIfAppended().catch(onError);
  }, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
