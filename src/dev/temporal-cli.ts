import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { goInstall } from './go-build';

/** The pinned Temporal CLI: later versions carry a `replace` directive and cannot be go-installed. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const MODULE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;

export function cachedCliPath(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheHome, 'sagaway', `temporal-${TEMPORAL_CLI_VERSION}`, 'temporal');
}

export class TemporalCliMissing extends Error {}

/**
 * Finds the Temporal CLI: `TEMPORAL_CLI`, then the per-user cache every clone shares, then builds it
 * into that cache with Go. Without Go and without a binary it says how to get one.
 */
export async function resolveTemporalCli(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<string> {
  const explicit = process.env.TEMPORAL_CLI;
  if (explicit) {
    if (!existsSync(explicit)) throw new TemporalCliMissing(`TEMPORAL_CLI points at ${explicit}, which does not exist`);
    return explicit;
  }
  const cached = cachedCliPath();
  if (existsSync(cached)) return cached;
  if (spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0) {
    throw new TemporalCliMissing(
      [
        `no Temporal CLI found (looked at $TEMPORAL_CLI and ${cached}) and no Go toolchain to build it.`,
        'Get one of these:',
        '  - install the Temporal CLI (https://docs.temporal.io/cli) and set TEMPORAL_CLI=/path/to/temporal',
        `  - install Go, and sagaway builds ${MODULE} into ${cached} by itself`,
        '  - run a server with Docker: docker compose -f docker-compose.temporal.yml up, then start the worker and the API alone',
      ].join('\n'),
    );
  }
  await buildCli(cached, log);
  return cached;
}

function buildCli(target: string, log: (line: string) => void): Promise<void> {
  return goInstall({ module: MODULE, built: 'temporal', target, label: `the Temporal CLI ${TEMPORAL_CLI_VERSION}` }, log);
}
