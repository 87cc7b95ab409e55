/** Resolves (and on first use builds) the Temporal CLI, so later steps never wait on it silently. */
import { resolveTemporalCli, TemporalCliMissing } from '../src/dev/temporal-cli';

resolveTemporalCli().then(
  (path) => process.stdout.write(`Temporal CLI: ${path}\n`),
  (err: unknown) => {
    process.stderr.write(`${err instanceof TemporalCliMissing ? err.message : (err as Error).stack}\n`);
    process.exit(1);
  },
);
