/**
 * What a test file's output says beyond its exit code: the tests it skipped, and the error lines the
 * stack's parts logged that no test said it expected (test/support/stack.ts prints them under a marker).
 * Either fails the file: a skip is not a pass, and an error nobody expected is a defect nobody saw.
 */

/** Skips that are no one's failure: the cluster tests run only with `npm run test:cluster`. */
const ALWAYS_EXPECTED = ['runs with npm run test:cluster'];

export interface Verdict {
  /** Every skipped test, `name # reason`. */
  skipped: string[];
  /** The skips no one said to expect. */
  unexpectedSkips: string[];
  /** Error lines the parts logged that the file did not declare. */
  unexpectedErrorLogs: number;
}

/**
 * `SAGAWAY_EXPECT_SKIPS`: parts of skip reasons to accept, comma-separated (a machine without Chromium:
 * `SAGAWAY_EXPECT_SKIPS=Chromium`). CI sets none.
 */
export function expectedSkips(env: NodeJS.ProcessEnv = process.env): string[] {
  const given = (env.SAGAWAY_EXPECT_SKIPS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return [...ALWAYS_EXPECTED, ...given];
}

/** The marker test/support/stack.ts prints before the error lines no test declared. */
export const UNEXPECTED_ERRORS_MARKER = '# unexpected error logs:';

export function verdictOf(text: string, expected: string[]): Verdict {
  // node:test's spec reporter marks a skipped test or suite with "﹣ name (time) # reason".
  const skipped = [...text.matchAll(/^\s*﹣ (.+?) \([\d.]+m?s\) # (.*)$/gm)].map((m) => `${m[1]} # ${m[2]}`);
  const unexpectedSkips = skipped.filter((s) => !expected.some((part) => s.includes(part)));
  const markers = [...text.matchAll(/^# unexpected error logs: (\d+)/gm)];
  const unexpectedErrorLogs = markers.reduce((sum, m) => sum + Number(m[1]), 0);
  return { skipped, unexpectedSkips, unexpectedErrorLogs };
}
