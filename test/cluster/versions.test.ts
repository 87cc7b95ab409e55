import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { TEMPORAL_SERVER_VERSION, TEMPORAL_UI_VERSION } from '../../src/dev/cluster-binaries';
import { DYNAMIC_CONFIG, SERVER_CONFIG_DIR } from '../../src/dev/cluster';
import { TEMPORAL_CLI_VERSION } from '../../src/dev/temporal-cli';

const root = join(__dirname, '..', '..');

describe('the cluster runs what the dev server runs', () => {
  it('builds the server and UI versions the pinned CLI embeds, when its go.mod is at hand', (t) => {
    const goMod = join(process.env.GOMODCACHE ?? join(homedir(), 'go', 'pkg', 'mod'), 'github.com', 'temporalio', `cli@${TEMPORAL_CLI_VERSION}`, 'go.mod');
    if (!existsSync(goMod)) return t.skip(`no ${goMod} (the CLI was not built here)`);
    const text = readFileSync(goMod, 'utf8');
    assert.match(text, new RegExp(`go\\.temporal\\.io/server ${TEMPORAL_SERVER_VERSION.replace(/\./g, '\\.')}\\b`));
    assert.match(text, new RegExp(`github\\.com/temporalio/ui-server/v2 ${TEMPORAL_UI_VERSION.replace(/\./g, '\\.')}\\b`));
  });

  it('and docker compose pins the same versions', () => {
    const compose = parse(readFileSync(join(root, 'docker-compose.temporal.yml'), 'utf8')) as { services: Record<string, { image: string }> };
    assert.equal(compose.services.temporal!.image, `temporalio/auto-setup:${TEMPORAL_SERVER_VERSION.slice(1)}`);
    assert.equal(compose.services['temporal-ui']!.image, `temporalio/ui:${TEMPORAL_UI_VERSION.slice(1)}`);
  });

  it("with sagaway's dynamic config: eager activities and updates on", () => {
    const dynamic = parse(readFileSync(DYNAMIC_CONFIG, 'utf8')) as Record<string, Array<{ value: unknown }>>;
    assert.equal(dynamic['system.enableActivityEagerExecution']![0]!.value, true);
    assert.equal(dynamic['frontend.enableUpdateWorkflowExecution']![0]!.value, true);
    const server = readFileSync(join(SERVER_CONFIG_DIR, 'sagaway.yaml'), 'utf8');
    assert.match(server.split('\n')[0]!, /^# enable-template/, 'the server renders it from the environment');
    assert.match(server, /pluginName: postgres12/);
  });
});
