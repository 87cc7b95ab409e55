import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { CLIENT_HEADER_INTERCEPTOR } from '../../src/worker';

const root = join(__dirname, '..', '..');
const cacheDir = join(root, 'node_modules', '.cache', 'sagaway-workflow-bundle');

let bundleFile: Promise<string> | null = null;

/**
 * The workflows bundled once for the whole suite, not once per test file or worker: webpack takes
 * seconds on a small machine, so the bundle is kept on disk under a hash of every source file it could
 * include. Workers started as processes read it through SAGAWAY_WORKFLOW_BUNDLE.
 */
export function workflowBundleFile(): Promise<string> {
  bundleFile ??= buildOnce();
  return bundleFile;
}

export async function workflowBundle(): Promise<WorkflowBundle> {
  return { code: readFileSync(await workflowBundleFile(), 'utf8') };
}

async function buildOnce(): Promise<string> {
  const file = join(cacheDir, `${sourceHash()}.js`);
  if (existsSync(file)) return file;
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows'), workflowInterceptorModules: [CLIENT_HEADER_INTERCEPTOR], logger: quietBundlerLogger });
  mkdirSync(cacheDir, { recursive: true });
  // Written aside and renamed, so a file running in parallel never reads half a bundle.
  const staging = `${file}.${process.pid}.tmp`;
  writeFileSync(staging, code);
  renameSync(staging, file);
  return file;
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
