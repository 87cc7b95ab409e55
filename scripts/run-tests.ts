/**
 * `npm test`: finds every test file under test/ and runs them with Node's test runner. Each file gets
 * its own process (and its own Temporal dev server on free ports), one at a time on small machines.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';

function testFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return testFiles(path);
      return name.endsWith('.test.ts') ? [path] : [];
    });
}

const root = join(__dirname, '..');
const filter = process.argv.slice(2);
const files = testFiles(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filter.length === 0 || filter.some((part) => f.includes(part)));
if (files.length === 0) {
  process.stderr.write(`no test files match ${filter.join(' ')}\n`);
  process.exit(1);
}
const concurrency = Math.max(1, Math.min(2, availableParallelism() - 1));
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, SAGAWAY_TEST: '1' } },
);
process.exit(result.status ?? 1);
