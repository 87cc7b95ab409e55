/**
 * `npm run record-histories`: runs each recorded scenario on a fresh stack and writes its history to
 * test/histories/v<version>/, with the hash of the workflow code that recorded them; the replay test replays
 * every folder on every `npm test` and fails when the workflow code changed since this version's histories.
 * Re-record only on purpose: a workflow change that breaks replay of the old histories would break sagas
 * already in flight. `npm run record-histories -- <name part>...` records only the scenarios named (the
 * hash is then left as it was: the other histories were recorded by the code it hashed).
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HISTORY_SCENARIOS, STACKS, type StackKind } from '../test/support/history-scenarios';
import { HISTORIES_DIR, recordHistory, writeSourcesHash } from '../test/support/history-files';
import { resolveTemporalCli } from '../src/dev/temporal-cli';
import { startStack } from '../test/support/stack';

async function main(): Promise<void> {
  const started = Date.now();
  const only = process.argv.slice(2);
  const chosen = HISTORY_SCENARIOS.filter((s) => only.length === 0 || only.some((o) => s.name.includes(o)));
  const cli = await resolveTemporalCli();
  for (const kind of Object.keys(STACKS) as StackKind[]) {
    const scenarios = chosen.filter((s) => (s.stack ?? 'shared') === kind);
    if (scenarios.length === 0) continue;
    const stack = await startStack(STACKS[kind]);
    try {
      for (const scenario of scenarios) {
        const { sagaId, outcome, runId } = await scenario.run(stack);
        const file = await recordHistory(stack.client, cli, stack.launched.temporalAddress, scenario.name, sagaId, outcome, runId);
        process.stdout.write(`${scenario.name}: ${outcome} -> ${file}\n`);
      }
    } finally {
      await stack.stop();
    }
  }
  if (only.length === 0) {
    // A scenario renamed or dropped leaves no stale history behind.
    const names = new Set(chosen.map((s) => `${s.name}.json`));
    for (const file of readdirSync(HISTORIES_DIR)) if (file.endsWith('.json') && !names.has(file)) rmSync(join(HISTORIES_DIR, file));
    process.stdout.write(`workflow sources hash -> ${writeSourcesHash()}\n`);
  }
  process.stdout.write(`recorded ${chosen.length} histories in ${Math.round((Date.now() - started) / 1000)} s\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
