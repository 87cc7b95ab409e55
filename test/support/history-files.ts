import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Client } from '@temporalio/client';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils';

export const HISTORIES_ROOT = join(__dirname, '..', 'histories');
/** Each release records its histories into a folder of its own; every folder is replayed, old and new. */
export const RELEASE = `v${(JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version}`;
export const HISTORIES_DIR = join(HISTORIES_ROOT, RELEASE);

export interface RecordedHistory {
  workflowId: string;
  workflowType: string;
  /** What the run showed, so a reader of the file knows what it covers. */
  outcome: string;
  history: unknown;
}

/** Exports the history with the Temporal CLI, in the JSON form every Temporal tool reads. */
export async function recordHistory(client: Client, cli: string, address: string, name: string, workflowId: string, outcome: string): Promise<string> {
  const description = await client.workflow.getHandle(workflowId).describe();
  const json = execFileSync(cli, ['workflow', 'show', '--workflow-id', workflowId, '--address', address, '--output', 'json'], { maxBuffer: 64 * 1024 * 1024 });
  mkdirSync(HISTORIES_DIR, { recursive: true });
  const file = join(HISTORIES_DIR, `${name}.json`);
  const record: RecordedHistory = { workflowId, workflowType: description.type, outcome, history: JSON.parse(json.toString()) };
  writeFileSync(file, `${JSON.stringify(record, null, 1)}\n`);
  return file;
}

/** Every committed history of every release, named `<release>/<file>`. */
export function loadHistories(): Array<{ name: string; release: string; workflowId: string; history: History }> {
  return readdirSync(HISTORIES_ROOT)
    .filter((release) => statSync(join(HISTORIES_ROOT, release)).isDirectory())
    .sort()
    .flatMap((release) =>
      readdirSync(join(HISTORIES_ROOT, release))
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => {
          const record = JSON.parse(readFileSync(join(HISTORIES_ROOT, release, f), 'utf8')) as RecordedHistory;
          return { name: `${release}/${f}`, release, workflowId: record.workflowId, history: historyFromJSON(record.history) };
        }),
    );
}
