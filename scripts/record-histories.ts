/**
 * `npm run record-histories`: runs each recorded scenario on a fresh stack and writes its history to
 * test/histories/, which the replay test replays on every `npm test`. Re-record only on purpose: a
 * workflow change that breaks replay of the old histories would break sagas already in flight.
 */
import { HISTORY_SCENARIOS } from '../test/support/history-scenarios';
import { recordHistory } from '../test/support/history-files';
import { resolveTemporalCli } from '../src/dev/temporal-cli';
import { startStack } from '../test/support/stack';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const cli = await resolveTemporalCli();
  const stack = await startStack({ env: { SAGAWAY_BIKE_SENSOR_TIMEOUT_SECONDS: '2', SAGAWAY_VISITOR_MAX_BIKES: '2' } });
  try {
    for (const scenario of HISTORY_SCENARIOS) {
      if (only.length > 0 && !only.some((o) => scenario.name.includes(o))) continue;
      const { sagaId, outcome } = await scenario.run(stack);
      const file = await recordHistory(stack.client, cli, stack.launched.temporalAddress, scenario.name, sagaId, outcome);
      process.stdout.write(`${scenario.name}: ${outcome} -> ${file}\n`);
    }
  } finally {
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
