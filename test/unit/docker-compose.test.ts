import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { SearchAttribute } from '../../src/domain/saga';

const compose = parse(readFileSync(join(__dirname, '..', '..', 'docker-compose.temporal.yml'), 'utf8')) as {
  services: Record<string, { image: string; ports?: string[]; command?: string[] }>;
};

describe('docker-compose.temporal.yml', () => {
  it('runs Temporal on PostgreSQL with the UI', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['postgresql', 'temporal', 'temporal-setup', 'temporal-ui']);
  });

  it('pins every image to an exact version matching the embedded dev server', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      assert.match(service.image, /^[\w./-]+:\d+\.\d+(\.\d+)?[\w.-]*$/, `${name} image ${service.image} is not pinned`);
      assert.doesNotMatch(service.image, /:latest$/);
    }
    assert.equal(compose.services.temporal!.image, 'temporalio/auto-setup:1.29.1');
    assert.equal(compose.services['temporal-ui']!.image, 'temporalio/ui:2.42.1');
  });

  it('publishes gRPC on 7233 and the UI on 8233, on loopback only', () => {
    assert.deepEqual(compose.services.temporal!.ports, ['127.0.0.1:7233:7233']);
    assert.deepEqual(compose.services['temporal-ui']!.ports, ['127.0.0.1:8233:8080']);
  });

  it('registers every search attribute the sagas upsert', () => {
    const script = compose.services['temporal-setup']!.command!.join(' ');
    for (const name of Object.values(SearchAttribute)) assert.match(script, new RegExp(`\\b${name}\\b`));
  });
});
