/**
 * Runs test files with Node's test runner, each in its own process, a few at a time, and prints how long
 * each file took. Arguments pick files: `--unit` the fast ones (unit, workflow and replay tests, no stack),
 * anything else a part of a path (`e2e/order`). Each file's output is printed whole when it ends, so
 * files running side by side do not interleave. A file fails on a failed test, on a test it skipped that
 * no one said to expect, and on an error its stack's parts logged that no test declared (test-verdict.ts).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { allocatorLoadBundle, workflowBundleFile } from '../test/support/workflow-bundle';
import { expectedSkips, verdictOf } from './test-verdict';

/** Folders whose tests need no backends, worker or API: `npm run test:unit`. */
const UNIT_FOLDERS = ['test/unit/', 'test/workflow/', 'test/replay/'];
/** A file that runs longer than this is killed and counted as failed, so a hung wait cannot hang CI. */
const FILE_TIMEOUT_MS = 5 * 60_000;

interface FileRun {
  file: string;
  ok: boolean;
  ms: number;
  /** Every test the file skipped (`name # reason`), expected or not. */
  skipped: string[];
  /** For a failed file, what it printed of its failures (node:test's list, the runner's notes), bounded. */
  failures: string;
}

function testFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return testFiles(path);
      return name.endsWith('.test.ts') ? [path] : [];
    });
}

/** The process groups of the files running now. */
const running = new Set<number>();

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const pid of running) killGroup(pid, signal);
    process.exit(130);
  });
}

function runFile(root: string, file: string): Promise<FileRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    // Its own process group, so a file killed for its time takes its test subprocess along (and Ctrl-C
    // here is passed on to every group: see `running`).
    // The file itself is the test process (node:test runs it in place and sets the exit code): `--test`
    // would start a second process per file.
    const child = spawn(process.execPath, ['--import', 'tsx', '--test-reporter=spec', file], {
      cwd: root,
      env: { ...process.env, SAGAWAY_TEST: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(child.pid!);
    const output: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    const timer = setTimeout(() => {
      output.push(Buffer.from(`\n${file}: killed after ${FILE_TIMEOUT_MS / 1000} s\n`));
      killGroup(child.pid!, 'SIGKILL');
    }, FILE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      running.delete(child.pid!);
      const ms = Date.now() - started;
      const text = Buffer.concat(output).toString();
      // Exit code 0 is not enough: a file that calls process.exit(0) mid-run (its own code or code it
      // imports) ends with 0 and no failure reported. node:test prints its totals last, once every test ran.
      const finished = /^ℹ tests \d+$/m.test(text) && /^ℹ fail 0$/m.test(text) && /^ℹ cancelled 0$/m.test(text);
      const verdict = verdictOf(text, expectedSkips());
      const notes = [
        code === 0 && !finished ? `${file}: exited 0 before node:test printed its totals (process.exit mid-run?): failed` : '',
        verdict.unexpectedSkips.length > 0 ? `${file}: ${verdict.unexpectedSkips.length} unexpected skips (SAGAWAY_EXPECT_SKIPS to accept one): failed` : '',
        verdict.unexpectedErrorLogs > 0 ? `${file}: its stack logged ${verdict.unexpectedErrorLogs} errors no test declared (startStack's expectErrorLogs): failed` : '',
      ].filter(Boolean);
      const note = notes.map((n) => `\n${n}`).join('') + (notes.length > 0 ? '\n' : '');
      process.stdout.write(`\n# ${file} (${(ms / 1000).toFixed(1)} s)\n${text}${note}`);
      const ok = code === 0 && finished && verdict.unexpectedSkips.length === 0 && verdict.unexpectedErrorLogs === 0;
      resolve({ file, ok, ms, skipped: verdict.skipped, failures: ok ? '' : failuresOf(text) + note });
    });
  });
}

/**
 * Files that keep the CPU busy (the fault campaign, the benchmark, a browser): one of them at a time, so
 * the files beside them keep the timing their waits assume on two cores.
 */
const CPU_BOUND = ['test/chaos/', 'test/bench/', 'test/browser/', 'test/sim/'];
const cpuBound = (file: string) => CPU_BOUND.some((folder) => file.startsWith(folder));

async function runAll(root: string, files: string[], concurrency: number): Promise<FileRun[]> {
  const queue = [...files];
  const runs: FileRun[] = [];
  let busy = false;
  /** The next file this lane may take: the first in line, past any CPU-bound one while another runs. */
  const next = () => {
    const i = queue.findIndex((file) => !busy || !cpuBound(file));
    return i < 0 ? undefined : queue.splice(i, 1)[0];
  };
  const lane = async () => {
    while (queue.length > 0) {
      const file = next();
      if (!file) {
        // Only CPU-bound files are left and one is running: wait for it (bounded by its file timeout).
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      const heavy = cpuBound(file);
      if (heavy) busy = true;
      runs.push(await runFile(root, file));
      if (heavy) busy = false;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return runs;
}

function summary(runs: FileRun[], wallMs: number): string {
  const lines = [...runs]
    .sort((a, b) => b.ms - a.ms)
    .map((r) => `${(r.ms / 1000).toFixed(1).padStart(7)} s  ${r.ok ? 'ok  ' : 'FAIL'}  ${r.file}`);
  const failed = runs.filter((r) => !r.ok).length;
  return [
    '',
    'time per file (slowest first):',
    ...lines,
    `${runs.length} files, ${failed} failed, ${(wallMs / 1000).toFixed(1)} s wall clock`,
    '',
  ].join('\n');
}

/** What each file took last time, kept beside the other build caches (a fresh clone has none). */
function timesFile(root: string): string {
  return join(root, 'node_modules', '.cache', 'sagaway-test-times.json');
}

/**
 * The slowest files start first, so the lanes end together instead of one slow file starting last. A
 * file with no time recorded counts by its folder: anything that boots a server before a unit test.
 */
function longestFirst(root: string, files: string[]): string[] {
  // This checkout's last run, else the times committed with the tests (a fresh clone, CI).
  const known = { ...readTimes(join(root, 'test', 'file-times.json')), ...readTimes(timesFile(root)) };
  const guess = (file: string) => known[file] ?? (file.startsWith('test/unit/') ? 1_000 : 30_000);
  return [...files].sort((a, b) => guess(b) - guess(a));
}

function readTimes(file: string): Record<string, number> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

function rememberTimes(root: string, runs: FileRun[]): void {
  const known = readTimes(timesFile(root));
  for (const run of runs) known[run.file] = run.ms;
  try {
    mkdirSync(dirname(timesFile(root)), { recursive: true });
    writeFileSync(timesFile(root), `${JSON.stringify(known, null, 1)}\n`);
  } catch {
    // A read-only checkout runs its tests all the same.
  }
}

/** `npm run typecheck` and `npm run lint`, side by side, each printed whole when it ends. */
function runChecks(root: string): Promise<FileRun[]> {
  const check = (name: string, bin: string, args: string[]) =>
    new Promise<FileRun>((resolve) => {
      const started = Date.now();
      const child = spawn(process.execPath, [join(root, 'node_modules', bin), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      const output: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
      child.on('close', (code) => {
        const ms = Date.now() - started;
        const text = Buffer.concat(output).toString();
        process.stdout.write(`\n# ${name} (${(ms / 1000).toFixed(1)} s)\n${text}`);
        resolve({ file: name, ok: code === 0, ms, skipped: [], failures: code === 0 ? '' : failuresOf(text) });
      });
    });
  return Promise.all([check('typecheck (tsc -p .)', 'typescript/bin/tsc', ['-p', '.']), check('lint (eslint .)', 'eslint/bin/eslint.js', ['.'])]);
}

/**
 * The workflow bundles the files read (test/support/workflow-bundle.ts) are built here, once, before any
 * file starts: on a fresh clone the first files would otherwise each run webpack for the same bundle.
 */
async function bundleOnce(files: string[]): Promise<void> {
  if (files.every((f) => f.startsWith('test/unit/'))) return;
  const started = Date.now();
  await workflowBundleFile(false);
  if (files.some((f) => f.includes('tracing'))) await workflowBundleFile(true);
  if (files.some((f) => f.includes('seat-allocator'))) await allocatorLoadBundle();
  process.stdout.write(`workflow bundles ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

async function main(): Promise<void> {
  const root = join(__dirname, '..');
  const args = process.argv.slice(2);
  const unitOnly = args.includes('--unit');
  const filter = args.filter((a) => a !== '--unit' && a !== '--checks');
  const files = testFiles(join(root, 'test'))
    .map((f) => relative(root, f))
    .filter((f) => !unitOnly || UNIT_FOLDERS.some((folder) => f.startsWith(folder)))
    .filter((f) => filter.length === 0 || filter.some((part) => f.includes(part)));
  if (files.length === 0) {
    process.stderr.write(`no test files match ${args.join(' ')}\n`);
    process.exit(1);
  }
  // As many files side by side as there are cores, four at most: three on two cores ran the load average
  // to 12 to 20 with the audit trail in every saga, and the end-to-end files then met timings they never meet alone
  // (a sensor's timeout, a third attempt). Two stacks that start at once and pick one port are launched
  // again (src/dev/stack.ts).
  const concurrency = Number(process.env.SAGAWAY_TEST_CONCURRENCY) || Math.min(4, Math.max(2, availableParallelism()));
  const started = Date.now();
  // `--checks` (npm test): the typecheck and the lint run beside the files instead of before them.
  const checks = args.includes('--checks') ? runChecks(root) : Promise.resolve([]);
  await bundleOnce(files);
  const runs = await runAll(root, longestFirst(root, files), concurrency);
  // A file that failed runs once more, alone, as a diagnosis only: the run fails either way (a defect that
  // shows only under load is still a defect), and the summary says whether it failed alone too.
  const failed = runs.filter((r) => !r.ok);
  const again = failed.length > 0 && failed.length <= 3 ? await runAll(root, failed.map((r) => r.file), 1) : [];
  rememberTimes(root, runs);
  const checked = await checks;
  process.stdout.write(summary([...checked, ...runs], Date.now() - started));
  process.stdout.write(skipReport(runs));
  // Last, where a log cut to its end still shows it: why each file failed in the run that counts.
  for (const r of [...checked.filter((c) => !c.ok), ...failed]) process.stdout.write(`\nFAILED: ${r.file}\n${r.failures}\n`);
  for (const r of again) process.stdout.write(`DIAGNOSIS: ${r.file} ${r.ok ? 'passed when run again alone (fails under load)' : 'failed again alone'}\n`);
  const failures = failed.length + checked.filter((c) => !c.ok).length;
  process.exit(failures === 0 ? 0 : 1);
}

/**
 * What a failed file said of its failures: node:test's closing list (`✖ failing tests:` and what follows),
 * or the file's last lines when it has none (killed for its time, a crash before its totals); 60 lines at most.
 */
function failuresOf(text: string): string {
  // Stack frames say little in a log cut short; the messages and the test names are what is kept.
  const lines = text.split('\n').filter((line) => !/^\s+at /.test(line));
  const at = lines.findIndex((line) => line.startsWith('✖ failing tests:'));
  const chosen = at >= 0 ? lines.slice(at, at + 60) : lines.slice(-30);
  return chosen.map((line) => `  ${line}`).join('\n');
}

/** Every skipped test, by file: a skip is printed, never silently counted as a pass. */
function skipReport(runs: FileRun[]): string {
  const lines = runs.flatMap((r) => r.skipped.map((s) => `  ${r.file}: ${s}`));
  return lines.length === 0 ? 'skipped: none\n' : `skipped (${lines.length}):\n${lines.join('\n')}\n`;
}

void main();
