import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Client } from '@temporalio/client';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils';

const ROOT = join(__dirname, '..', '..');
export const HISTORIES_ROOT = join(__dirname, '..', 'histories');
/** Each release records its histories into a folder of its own; every folder is replayed, old and new. */
export const RELEASE = `v${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}`;
export const HISTORIES_DIR = join(HISTORIES_ROOT, RELEASE);
/** Beside a release's histories: the hash of the workflow code that recorded them (see workflowSourcesHash). */
export const SOURCES_HASH_FILE = 'workflow-sources.sha256';

export interface RecordedHistory {
  workflowId: string;
  workflowType: string;
  /** What the run showed, so a reader of the file knows what it covers. */
  outcome: string;
  history: unknown;
}

/**
 * Exports the history with the Temporal CLI, in the JSON form every Temporal tool reads. `runId` picks one
 * run of a workflow that continued as new (the latest run otherwise).
 */
export async function recordHistory(client: Client, cli: string, address: string, name: string, workflowId: string, outcome: string, runId?: string): Promise<string> {
  const description = await client.workflow.getHandle(workflowId, runId).describe();
  const run = runId ? ['--run-id', runId] : [];
  const json = execFileSync(cli, ['workflow', 'show', '--workflow-id', workflowId, ...run, '--address', address, '--output', 'json'], { maxBuffer: 64 * 1024 * 1024 });
  mkdirSync(HISTORIES_DIR, { recursive: true });
  const file = join(HISTORIES_DIR, `${name}.json`);
  const record: RecordedHistory = { workflowId, workflowType: description.type, outcome, history: JSON.parse(json.toString()) };
  writeFileSync(file, `${JSON.stringify(record, null, 1)}\n`);
  return file;
}

/**
 * Release folders, oldest first, compared as versions (v0.10.0 after v0.9.0). A folder `v0.3.0-dev.<commit>`
 * holds histories that only the code of that commit, between two releases, could record; it sorts before
 * its release.
 */
export function releases(): string[] {
  const parts = (release: string) => release.slice(1).split('-')[0]!.split('.').map(Number);
  const dev = (release: string) => (release.includes('-') ? 0 : 1);
  const byVersion = (a: string, b: string) => parts(a).reduce((order, n, i) => order || n - parts(b)[i]!, 0) || dev(a) - dev(b) || a.localeCompare(b);
  return readdirSync(HISTORIES_ROOT)
    .filter((release) => /^v\d+\.\d+\.\d+(-dev\.[0-9a-f]+)?$/.test(release) && statSync(join(HISTORIES_ROOT, release)).isDirectory())
    .sort(byVersion);
}

/** Every committed history of every release, named `<release>/<file>`. */
export function loadHistories(): Array<{ name: string; release: string; workflowId: string; workflowType: string; history: History }> {
  return releases().flatMap((release) =>
    readdirSync(join(HISTORIES_ROOT, release))
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => {
        const record = JSON.parse(readFileSync(join(HISTORIES_ROOT, release, f), 'utf8')) as RecordedHistory;
        return { name: `${release}/${f}`, release, workflowId: record.workflowId, workflowType: record.workflowType, history: historyFromJSON(record.history) };
      }),
  );
}

/**
 * A hash of the workflow code as the bundle takes it from src/: every file under src/workflows and every
 * file of src/ they import, transitively (src/domain), each as its path from the repository and its
 * contents, in path order. Other code (activities, API, backends) does not change what a workflow replays.
 */
export function workflowSourcesHash(): string {
  const hash = createHash('sha256');
  for (const file of workflowSources()) hash.update(`${relative(ROOT, file)}\n`).update(readFileSync(file)).update('\n');
  return hash.digest('hex');
}

export function workflowSources(): string[] {
  const src = join(ROOT, 'src');
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !file.startsWith(`${src}/`)) return;
    seen.add(file);
    // `import type` is erased from the bundle: the activities' types do not reach the workflows.
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\b(?!\s+type\b)[^;]*?'(\.{1,2}\/[^']+)'/gm)) {
      const target = resolveModule(resolve(dirname(file), spec!));
      if (target) visit(target);
    }
  };
  filesUnder(join(src, 'workflows')).filter((f) => f.endsWith('.ts')).forEach(visit);
  return [...seen].sort();
}

function resolveModule(base: string): string | null {
  return [`${base}.ts`, join(base, 'index.ts'), base].find((candidate) => existsSync(candidate) && statSync(candidate).isFile()) ?? null;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => (statSync(join(dir, name)).isDirectory() ? filesUnder(join(dir, name)) : [join(dir, name)]));
}

/** Written by `npm run record-histories` beside the histories it recorded. */
export function writeSourcesHash(): string {
  const file = join(HISTORIES_DIR, SOURCES_HASH_FILE);
  mkdirSync(HISTORIES_DIR, { recursive: true });
  writeFileSync(file, `${workflowSourcesHash()}\n`);
  return file;
}

/** The hash stored beside a release's histories, or null when none was. */
export function recordedSourcesHash(release: string): string | null {
  const file = join(HISTORIES_ROOT, release, SOURCES_HASH_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
}

/**
 * The patch ids the workflow code asks `patched()` about: a literal, a constant (`NAME = 'id'`) or a field
 * of a constant object (`Patches.name`, `name: 'id'`), declared in the file that asks or another workflow file.
 */
export function patchesInCode(): string[] {
  const ids = new Set<string>();
  const files = filesUnder(join(ROOT, 'src', 'workflows')).filter((f) => f.endsWith('.ts'));
  const everything = files.map((f) => readFileSync(f, 'utf8')).join('\n');
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const [, arg] of text.matchAll(/\bpatched\(\s*([^)]+?)\s*\)/g)) {
      const literal = /^'([^']+)'$/.exec(arg!)?.[1];
      const name = arg!.split('.').at(-1)!;
      const declaration = new RegExp(`\\b${name}\\s*[:=]\\s*'([^']+)'`);
      // Declared in the file that asks, or in the workflows' one table of patches (patches.ts).
      const declared = (declaration.exec(text) ?? declaration.exec(everything))?.[1];
      const id = literal ?? declared;
      if (!id) throw new Error(`${relative(ROOT, file)}: patched(${arg}) names no patch id this check can read`);
      ids.add(id);
    }
  }
  return [...ids].sort();
}

/** The patch ids a history's run marked: the branches of today's code that it took. */
export function patchesMarked(history: History): string[] {
  const ids = new Set<string>();
  for (const event of history.events ?? []) {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') continue;
    const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
    if (data) ids.add((JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id);
  }
  return [...ids];
}
