import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';

const root = join(__dirname, '..', '..');
const cacheDir = join(root, 'node_modules', '.cache', 'sagaway-workflow-bundle');

let bundle: Promise<WorkflowBundle> | null = null;

/**
 * The workflows bundled once for the whole suite, not once per test file: webpack takes seconds on a
 * small machine, so the bundle is kept on disk under a hash of every source file it could include.
 */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= loadOrBuild();
  return bundle;
}

async function loadOrBuild(): Promise<WorkflowBundle> {
  const file = join(cacheDir, `${sourceHash()}.js`);
  if (existsSync(file)) return { code: readFileSync(file, 'utf8') };
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows'), logger: quietBundlerLogger });
  mkdirSync(cacheDir, { recursive: true });
  // Written aside and renamed, so a file running in parallel never reads half a bundle.
  const staging = `${file}.${process.pid}.tmp`;
  writeFileSync(staging, code);
  renameSync(staging, file);
  return { code };
}

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of sourceFiles(join(root, 'src'))) hash.update(file).update(readFileSync(file));
  hash.update(readFileSync(join(root, 'node_modules', '@temporalio', 'workflow', 'package.json')));
  return hash.digest('hex').slice(0, 16);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? sourceFiles(path) : [path];
    });
}

const quietBundlerLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };
