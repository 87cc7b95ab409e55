import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { cachedCliPath, resolveTemporalCli, TemporalCliMissing } from '../../src/dev/temporal-cli';

const saved = { ...process.env };

afterEach(() => {
  process.env = { ...saved };
});

describe('resolveTemporalCli', () => {
  it('uses TEMPORAL_CLI first, and says so when it points nowhere', async () => {
    process.env.TEMPORAL_CLI = '/nowhere/temporal';
    await assert.rejects(resolveTemporalCli(() => undefined), /TEMPORAL_CLI points at \/nowhere\/temporal/);
  });

  it('looks in the per-user cache shared by every clone', () => {
    assert.equal(cachedCliPath({ XDG_CACHE_HOME: '/x/cache' }), '/x/cache/sagaway/temporal-v1.5.1/temporal');
  });

  it('without Go and without a binary, names the ways to get one', async () => {
    delete process.env.TEMPORAL_CLI;
    process.env.XDG_CACHE_HOME = mkdtempSync(join(tmpdir(), 'no-cli-'));
    process.env.PATH = '/nonexistent';
    await assert.rejects(resolveTemporalCli(() => undefined), (err: Error) => {
      assert.ok(err instanceof TemporalCliMissing);
      assert.match(err.message, /install the Temporal CLI/);
      assert.match(err.message, /docker compose -f docker-compose.temporal.yml up/);
      assert.match(err.message, /install Go/);
      return true;
    });
  });
});
