/**
 * `npm run test:node -- 22 [--unit] [part-of-path...]`: runs the tests on another Node major version,
 * taken from the `node` package on the npm registry (npx caches it), so no download outside the
 * registry and nothing installed system-wide. Every process the tests start (parts of the stack
 * included) runs on that version, as they all start from `process.execPath`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const [major, ...rest] = process.argv.slice(2);
if (!major || !/^\d+$/.test(major)) {
  process.stderr.write('usage: npm run test:node -- <major version, e.g. 22> [--unit] [part-of-path...]\n');
  process.exit(2);
}
const found = spawnSync('npx', ['--yes', `node@${major}`, '-p', 'process.execPath + " " + process.version'], { encoding: 'utf8' });
const [nodePath, version] = found.stdout.trim().split(' ');
if (found.status !== 0 || !nodePath || !version?.startsWith(`v${major}.`)) {
  process.stderr.write(`could not get Node ${major} from the npm registry:\n${found.stderr}${found.stdout}\n`);
  process.exit(1);
}
process.stdout.write(`tests on Node ${version} (${nodePath})\n`);
const run = spawnSync(nodePath, ['--import', 'tsx', join(__dirname, 'run-tests.ts'), ...rest], { stdio: 'inherit' });
process.exit(run.status ?? 1);
