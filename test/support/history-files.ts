import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Client } from '@temporalio/client';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils';

export const HISTORIES_DIR = join(__dirname, '..', 'histories');

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
  const file = join(HISTORIES_DIR, `${name}.json`);
  const record: RecordedHistory = { workflowId, workflowType: description.type, outcome, history: JSON.parse(json.toString()) };
  writeFileSync(file, `${JSON.stringify(record, null, 1)}\n`);
  return file;
}

export function loadHistories(): Array<{ name: string; workflowId: string; history: History }> {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const record = JSON.parse(readFileSync(join(HISTORIES_DIR, f), 'utf8')) as RecordedHistory;
      return { name: f, workflowId: record.workflowId, history: historyFromJSON(record.history) };
    });
}
