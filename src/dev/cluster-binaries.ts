import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { goInstall } from './go-build';

/** The server and UI the Temporal CLI v1.5.1 embeds (its go.mod), so the cluster runs what the dev server runs. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const TEMPORAL_UI_VERSION = 'v2.42.1';

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
  ui: string;
}

const BUILDS = {
  server: { module: `go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`, built: 'server', name: 'temporal-server', dir: `temporal-server-${TEMPORAL_SERVER_VERSION}`, label: `the Temporal server ${TEMPORAL_SERVER_VERSION}` },
  sqlTool: { module: `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`, built: 'sql', name: 'temporal-sql-tool', dir: `temporal-server-${TEMPORAL_SERVER_VERSION}`, label: `temporal-sql-tool ${TEMPORAL_SERVER_VERSION}` },
  ui: { module: `github.com/temporalio/ui-server/v2/cmd/server@${TEMPORAL_UI_VERSION}`, built: 'server', name: 'temporal-ui-server', dir: `temporal-ui-${TEMPORAL_UI_VERSION}`, label: `the Temporal UI server ${TEMPORAL_UI_VERSION}` },
} as const;

export function cachedBinaryPath(which: keyof ClusterBinaries, env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheHome, 'sagaway', BUILDS[which].dir, BUILDS[which].name);
}

/**
 * The cluster's three Go binaries from the per-user cache (the same one the CLI lives in), built with
 * `go install` the first time. The builds share most packages, so they run one after another.
 */
export async function resolveClusterBinaries(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<ClusterBinaries> {
  const paths = { server: cachedBinaryPath('server'), sqlTool: cachedBinaryPath('sqlTool'), ui: cachedBinaryPath('ui') };
  const missing = (Object.keys(paths) as Array<keyof ClusterBinaries>).filter((k) => !existsSync(paths[k]));
  if (missing.length > 0 && spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(`the cluster needs ${missing.map((k) => BUILDS[k].name).join(', ')} (looked in ${join(paths.server, '..', '..')}) and there is no Go toolchain to build them; install Go, or run Temporal with docker compose -f docker-compose.temporal.yml up`);
  }
  for (const which of missing) {
    const build = BUILDS[which];
    await goInstall({ module: build.module, built: build.built, target: paths[which], label: build.label }, log);
  }
  return paths;
}
