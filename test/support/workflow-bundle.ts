import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { WORKFLOW_TRACING_MODULE } from '../../src/observability/temporal-tracing';
import { CLIENT_HEADER_INTERCEPTOR } from '../../src/worker';

const root = join(__dirname, '..', '..');
const cacheDir = join(root, 'node_modules', '.cache', 'sagaway-workflow-bundle');

const bundleFiles = new Map<boolean, Promise<string>>();

/**
 * The workflows bundled once for the whole suite, not once per test file or worker: webpack takes
 * seconds on a small machine, so the bundle is kept on disk under a hash of every source file it could
 * include. Workers started as processes read it through SAGAWAY_WORKFLOW_BUNDLE.
 */
export function workflowBundleFile(traced = false): Promise<string> {
  if (!bundleFiles.has(traced)) bundleFiles.set(traced, buildOnce(traced));
  return bundleFiles.get(traced)!;
}

/** `traced`: with Temporal's OpenTelemetry workflow interceptors, for a worker that traces. */
export async function workflowBundle(traced = false): Promise<WorkflowBundle> {
  return { code: readFileSync(await workflowBundleFile(traced), 'utf8') };
}

async function buildOnce(traced: boolean): Promise<string> {
  const file = join(cacheDir, `${sourceHash()}${traced ? '-traced' : ''}.js`);
  if (existsSync(file)) return file;
  const workflowInterceptorModules = [CLIENT_HEADER_INTERCEPTOR, ...(traced ? [WORKFLOW_TRACING_MODULE] : [])];
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows'), workflowInterceptorModules, logger: quietBundlerLogger });
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
