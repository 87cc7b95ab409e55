import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { workflowBundleOptions } from '../../src/workflow-bundle';

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

function buildOnce(traced: boolean): Promise<string> {
  return cachedBundle(traced ? '-traced' : '', workflowBundleOptions(traced));
}

let allocatorBundleFile: Promise<string> | null = null;

/** The seat allocator's load workflows (bench/allocator-workflows.ts), cached like sagaway's own. */
export async function allocatorLoadBundle(): Promise<WorkflowBundle> {
  allocatorBundleFile ??= cachedBundle('-allocator-load', { workflowsPath: require.resolve('../../bench/allocator-workflows'), extraSources: [join(root, 'bench', 'allocator-workflows.ts')] });
  return { code: readFileSync(await allocatorBundleFile, 'utf8') };
}

async function cachedBundle(suffix: string, what: { workflowsPath: string; workflowInterceptorModules?: string[]; preloadModules?: string[]; extraSources?: string[] }): Promise<string> {
  const file = join(cacheDir, `${sourceHash(what.extraSources)}${suffix}.js`);
  if (existsSync(file)) return file;
  const { code } = await bundleWorkflowCode({ workflowsPath: what.workflowsPath, workflowInterceptorModules: what.workflowInterceptorModules, preloadModules: what.preloadModules, logger: quietBundlerLogger });
  mkdirSync(cacheDir, { recursive: true });
  // Written aside and renamed, so a file running in parallel never reads half a bundle.
  const staging = `${file}.${process.pid}.tmp`;
  writeFileSync(staging, code);
  renameSync(staging, file);
  return file;
}

function sourceHash(extraSources: string[] = []): string {
  const hash = createHash('sha256');
  for (const file of [...sourceFiles(join(root, 'src')), ...extraSources]) hash.update(file).update(readFileSync(file));
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
