import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loaderFlags } from '../../src/workflow-bundle';

// The worker builds its bundle in a child process with its own loader (tsx in development) and nothing
// else of its options: an inspector flag would hang the worker's start, --test would run the wrong thing.
describe('the bundling child process', () => {
  it('takes the loader flags of the worker and no other', () => {
    assert.deepEqual(loaderFlags(['--import', 'tsx', '--inspect-brk', '--require=./otel.js', '--max-old-space-size=4096', '-r', 'x']), ['--import', 'tsx', '--require=./otel.js', '-r', 'x']);
    assert.deepEqual(loaderFlags(['--test', '--inspect']), []);
  });
});
