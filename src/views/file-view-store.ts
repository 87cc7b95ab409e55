import { mkdirSync } from 'node:fs';
import { readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SagaView } from '../domain/saga';
import type { SagaViewStore } from './saga-view-store';

/** A view not written again for this long is pruned, as Redis expires it. */
const VIEW_TTL_MS = 24 * 60 * 60 * 1_000;
const PRUNE_EVERY_MS = 60 * 60 * 1_000;

/**
 * The saga views in a folder of the data folder, one file per saga: the view store of a deployment without
 * Redis, whose API and workers share a host (`npm start`, the test stacks). A write replaces the file in one
 * rename, so a reader never sees half a view; an older view never replaces a newer one.
 */
export class FileSagaViewStore implements SagaViewStore {
  private prunedAt = 0;
  /** Writes one after another: two flushes of the sink at once must not interleave on one saga's file. */
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  put(views: SagaView[]): Promise<void> {
    const written = this.writing.then(() => this.write(views));
    this.writing = written.catch(() => undefined);
    return written;
  }

  private async write(views: SagaView[]): Promise<void> {
    for (const view of views) {
      const stored = await this.get(view.id).catch(() => null);
      if (stored && stored.updatedAt > view.updatedAt) continue;
      const path = this.pathOf(view.id);
      const partial = `${path}.${process.pid}.tmp`;
      await writeFile(partial, JSON.stringify(view));
      await rename(partial, path);
    }
    if (Date.now() - this.prunedAt > PRUNE_EVERY_MS) await this.prune();
  }

  async get(sagaId: string): Promise<SagaView | null> {
    try {
      return JSON.parse(await readFile(this.pathOf(sagaId), 'utf8')) as SagaView;
    } catch {
      return null;
    }
  }

  /** Only a view last written more than a minute before now goes: one the new run already wrote stays. */
  async forget(sagaId: string): Promise<void> {
    const path = this.pathOf(sagaId);
    const written = await stat(path).catch(() => null);
    if (written && Date.now() - written.mtimeMs > 60_000) await unlink(path).catch(() => undefined);
  }

  private async prune(): Promise<void> {
    this.prunedAt = Date.now();
    for (const name of await readdir(this.dir)) {
      const path = join(this.dir, name);
      const written = await stat(path).catch(() => null);
      if (written && Date.now() - written.mtimeMs > VIEW_TTL_MS) await unlink(path).catch(() => undefined);
    }
  }

  private pathOf(sagaId: string): string {
    return join(this.dir, `${encodeURIComponent(sagaId)}.json`);
  }
}

/** The folder of the views, inside the data folder the API and the workers of one host share. */
export function viewFolder(dataDir: string): string {
  return join(dataDir, 'views');
}
