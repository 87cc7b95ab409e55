import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SagawayClient } from '../../packages/client/src/index';

/** The operations the API serves that start a saga, as the client's generated types name them. */
function startOperations(): string[] {
  const generated = readFileSync(join(__dirname, '../../packages/client/src/openapi.ts'), 'utf8');
  return [...generated.matchAll(/^ {4}(start[A-Z]\w*): \{/gm)].map((m) => m[1]!);
}

describe('the client library', () => {
  it('has a method for every saga the API starts', () => {
    const starts = startOperations();
    assert.ok(starts.length >= 5, `only ${starts.length} start operations read: ${starts.join(', ')}`);
    const missing = starts.filter((name) => typeof (SagawayClient.prototype as unknown as Record<string, unknown>)[name] !== 'function');
    assert.deepEqual(missing, []);
  });
});
