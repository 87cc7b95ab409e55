import { spawn } from 'node:child_process';
import { bundleWorkflowCode } from '@temporalio/worker';
import { loaderFlags } from './child-flags';
import { WORKFLOW_TRACING_MODULE } from './observability/temporal-tracing';

export { loaderFlags };

/** The workflow interceptor module (bundles that the tests build in advance include it too). */
export const CLIENT_HEADER_INTERCEPTOR = require.resolve('./workflows/client-header');

/**
 * What goes into the workflow bundle; the tests build theirs from the same options. The workflows are
 * preloaded: evaluated once into the worker's shared V8 context (and frozen there) instead of once per
 * cached saga, which otherwise holds its own copy of every workflow module: 172 -> 79 KB of workflow
 * heap a held bike checkout (heap snapshots of the workflow thread at 100 and 400 held).
 */
export function workflowBundleOptions(traced: boolean): { workflowsPath: string; workflowInterceptorModules: string[]; preloadModules: string[] } {
  const workflowsPath = require.resolve('./workflows');
  return { workflowsPath, workflowInterceptorModules: [CLIENT_HEADER_INTERCEPTOR, ...(traced ? [WORKFLOW_TRACING_MODULE] : [])], preloadModules: [workflowsPath] };
}

/**
 * Builds the bundle in a short-lived process of its own and answers its code, with what webpack reported.
 * A worker that ran webpack itself kept its heap for life: about 90 MB of its RSS with 2,000 held sagas
 * (bike-held-2000, 1,023 -> 936 MB with a prebuilt bundle).
 */
export async function bundleOutOfProcess(traced: boolean): Promise<{ code: string; report: string }> {
  const { code, stderr, exit } = await new Promise<{ code: string; stderr: string; exit: string }>((done) => {
    // The same loader as this process (tsx in development), and no other flag of its (an inspector, say):
    // the child runs this very module.
    const child = spawn(process.execPath, [...loaderFlags(process.execArgv), __filename, ...(traced ? [TRACED_FLAG] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), BUNDLE_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => void (err += chunk.toString()));
    child.on('error', (e) => done({ code: '', stderr: e.message, exit: 'not started' }));
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      done({ code: Buffer.concat(out).toString('utf8'), stderr: err, exit: status === 0 ? 'ok' : signal ? `killed by ${signal}` : `exit ${status}` });
    });
  });
  if (exit !== 'ok' || code.length === 0) throw new Error(`bundling the workflows failed (${exit}): ${stderr.trim().slice(-2_000)}`);
  return { code, report: stderr };
}

const TRACED_FLAG = '--traced';
/** How long webpack may take (seconds on an idle machine, a minute on a loaded one). */
const BUNDLE_TIMEOUT_MS = 300_000;

/** The child: the bundle's code on stdout, webpack's report on stderr. */
async function main(): Promise<void> {
  const report = (message: string) => void process.stderr.write(`${message}\n`);
  const logger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: report, warn: report, error: report };
  const bundle = await bundleWorkflowCode({ ...workflowBundleOptions(process.argv.includes(TRACED_FLAG)), logger });
  process.stdout.write(bundle.code, () => process.exit(0));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
