import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { dataConverterFrom } from '../../src/codec';
import { loadConfig, type Config } from '../../src/config';
import { launchStack, type LaunchedStack } from '../../src/dev/stack';
import type { SagaTuning } from '../../src/domain/saga';
import { workflowBundleFile } from './workflow-bundle';

/** The client the tests call as by default, and its key. */
export const CLIENT_ID = 'test';
export const API_KEY = 'test-client-key-0001';
export const OTHER_API_KEY = 'other-client-key-0002';
export const OPERATOR_KEY = 'test-operator-key-0003';

export interface Stack {
  /** The configuration every part runs with, as the test process reads it. */
  config: Config;
  /** A Temporal client with the payload codec. */
  client: Client;
  apiUrl: string;
  backendsUrl: string;
  /** The processes, for a test that stops or kills one. */
  launched: LaunchedStack;
  /** Declares error lines a test provokes on purpose (a killed part, an injected 500): they no longer fail the file. */
  expectErrorLogs(...patterns: RegExp[]): void;
  stop(): Promise<void>;
}

export interface StackOptions {
  env?: Record<string, string>;
  tuning?: Partial<SagaTuning>;
  /**
   * Error lines the file's tests provoke on purpose. Any other line the parts log at error level fails
   * the file (scripts/run-tests.ts reads the marker printPartErrors writes).
   */
  expectErrorLogs?: RegExp[];
}

/**
 * The whole of sagaway for one test file, for real and as it is deployed: a Temporal dev server in
 * memory, then the backends, a worker and the API, each its own process started from its `npm run`
 * entry point (the launcher chaos and the benchmark use), on free ports. SAGAWAY_TEST_LOG=info keeps
 * the parts' logs in their data folder for reading after a failure.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const backoff = options.tuning?.compensationBackoffMs ?? { initial: 100, max: 1_000 };
  const launched = await launchStack({
    label: 'test',
    start: ['backends', 'worker', 'api'],
    // Kept until the parts' errors are read (see stop); removed then unless SAGAWAY_TEST_LOG is set.
    keepData: true,
    env: {
      SAGAWAY_API_KEYS: `${CLIENT_ID}:${API_KEY},other:${OTHER_API_KEY}`,
      SAGAWAY_OPERATOR_KEYS: `ops:${OPERATOR_KEY}`,
      SAGAWAY_HTTP_TIMEOUT_MS: '2000',
      // Tests run the codec strict, as production does: a payload that escapes encryption fails them.
      SAGAWAY_CODEC_ACCEPT_PLAINTEXT: 'false',
      // Every request counts against the limit, refused ones too; the tests that probe the limit build their own app.
      SAGAWAY_RATE_LIMIT_PER_MINUTE: '100000',
      SAGAWAY_LOG_LEVEL: process.env.SAGAWAY_TEST_LOG ?? 'warn',
      SAGAWAY_WORKFLOW_BUNDLE: await workflowBundleFile(),
      SAGAWAY_COMPENSATION_BACKOFF_MS: `${backoff.initial},${backoff.max}`,
      ...(options.tuning?.stuckAfterAttempts ? { SAGAWAY_STUCK_AFTER_ATTEMPTS: String(options.tuning.stuckAfterAttempts) } : {}),
      ...(options.tuning?.stepRetryInitialMs ? { SAGAWAY_STEP_RETRY_INITIAL_MS: String(options.tuning.stepRetryInitialMs) } : {}),
      ...options.env,
    },
  });
  const config = loadConfig(launched.env);
  const connection = await Connection.connect({ address: launched.temporalAddress });
  const client = new Client({ connection, namespace: 'default', dataConverter: dataConverterFrom(config.codecKeys) });
  const expected = [...(options.expectErrorLogs ?? [])];
  return {
    config,
    client,
    apiUrl: launched.apiUrl,
    backendsUrl: launched.backendsUrl,
    launched,
    expectErrorLogs(...patterns) {
      expected.push(...patterns);
    },
    async stop() {
      await connection.close();
      await launched.stop();
      printPartErrors(launched, expected);
      if (!process.env.SAGAWAY_TEST_LOG) rmSync(launched.dataDir, { recursive: true, force: true });
    },
  };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The worker's error line for an undo made STUCK by `lastError` (an injected fault a test declares). */
export function stuckUndoLog(step: string, lastError: string): RegExp {
  return new RegExp(`"step":"${escape(step)}".*"lastError":"${escape(lastError)}","msg":"compensation stuck; waiting for an operator"`);
}

/**
 * The worker's error line for a step that cannot go back (the pivot, a step after it) that is STUCK: a
 * refusal a test injects, or a fault that outlasts the attempts bound before the test lifts it.
 */
export function afterPivotLog(workflowType: string, step: string): RegExp {
  return new RegExp(`"workflowType":"${escape(workflowType)}","step":"${escape(step)}".*"msg":"(a step after the pivot failed for good; waiting for an operator|a step that cannot go back has no definite answer; STUCK, still retried, open to an operator)"`);
}

/**
 * What the parts logged at error level or above (a 500's cause, a worker's failed task), printed with the
 * file's output, so a failure in CI, where the parts' logs are gone with the machine, shows its cause.
 * Lines no test declared are counted under a marker that fails the file.
 */
function printPartErrors(launched: LaunchedStack, expected: RegExp[]): void {
  let unexpected = 0;
  for (const name of readdirSync(launched.dataDir).filter((f) => f.endsWith('.log'))) {
    const errors = readFileSync(join(launched.dataDir, name), 'utf8')
      .split('\n')
      .filter((line) => /"level":(50|60)\b/.test(line));
    if (errors.length === 0) continue;
    const surprises = errors.filter((line) => !expected.some((pattern) => pattern.test(line)));
    unexpected += surprises.length;
    const shown = (surprises.length > 0 ? surprises : errors).slice(-10);
    process.stdout.write(`# ${name}: ${errors.length} error lines, ${surprises.length} unexpected; the last ${shown.length}${surprises.length > 0 ? ' unexpected' : ''}:\n`);
    for (const line of shown) process.stdout.write(`#   ${line.slice(0, 2_000)}\n`);
  }
  if (unexpected > 0) process.stdout.write(`# unexpected error logs: ${unexpected}\n`);
}
