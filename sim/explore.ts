import fc from 'fast-check';
import { Coverage, REQUIRED_OUTCOMES } from './coverage';
import type { Harness } from './harness';
import type { Invariant, Violation } from './invariants';
import { runSchedule } from './run-schedule';
import { scheduleArb, type SagaSim } from './saga-sim';
import type { Schedule } from './schedule';
import type { Sabotage } from './world';

export interface Found {
  /** The schedule's place in the seed's sequence: `--seed <seed> --path <index>` runs it again. */
  index: number;
  schedule: Schedule;
  violations: Violation[];
}

export interface Exploration {
  runs: number;
  ms: number;
  coverage: Coverage;
  /** The first schedule found for each invariant, and how many schedules broke it. */
  found: Map<Invariant, { first: Found; count: number; indices: number[] }>;
  /** Required outcome kinds, phases and events never exercised. */
  missing: string[];
}

/** Runs `runs` schedules of one saga, `concurrency` at a time, and gathers what broke. */
export async function explore<P>(harness: Harness, sim: SagaSim<P>, opts: { runs: number; seed: number; concurrency: number; sabotage?: Sabotage; onProgress?: (done: number) => void }): Promise<Exploration> {
  const schedules = fc.sample(scheduleArb(sim), { seed: opts.seed, numRuns: opts.runs });
  const coverage = new Coverage();
  const found = new Map<Invariant, { first: Found; count: number; indices: number[] }>();
  const started = Date.now();
  // Schedules for the replaying worker wait for one of its few slots: a lane takes another
  // schedule meanwhile, so the rest keep every lane busy.
  const waiting = schedules.map((_, i) => i);
  const take = (): number | undefined => {
    const at = harness.replayFree() ? 0 : waiting.findIndex((i) => !schedules[i]!.replay);
    return waiting.splice(Math.max(at, 0), 1)[0];
  };
  let done = 0;
  const lane = async () => {
    for (let index = take(); index !== undefined; index = take()) {
      const schedule = schedules[index]!;
      const result = await runSchedule(harness, sim, schedule, opts.sabotage ?? null);
      coverage.merge(result.coverage);
      for (const invariant of new Set(result.violations.map((v) => v.invariant))) {
        const seen = found.get(invariant);
        if (seen) {
          seen.count += 1;
          if (seen.indices.length < 20) seen.indices.push(index);
        } else found.set(invariant, { first: { index, schedule, violations: result.violations }, count: 1, indices: [index] });
      }
      done += 1;
      if (done % 100 === 0) opts.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, lane));
  const missing = coverage.missing([...REQUIRED_OUTCOMES, ...sim.required]);
  return { runs: schedules.length, ms: Date.now() - started, coverage, found, missing };
}

/**
 * Shrinks the schedule at `index` of `seed` while it still breaks `invariant`, one run at a time, for at
 * most `budget` runs (a run takes up to seconds); returns the smallest schedule seen to break it.
 */
export async function shrink<P>(harness: Harness, sim: SagaSim<P>, seed: number, index: number, invariant: Invariant, budget: number): Promise<{ schedule: Schedule<P>; violations: Violation[]; runs: number } | null> {
  let runs = 0;
  let last: Violation[] = [];
  const property = fc.asyncProperty(scheduleArb(sim), async (schedule) => {
    if (runs >= budget) return true;
    runs += 1;
    const { violations } = await runSchedule(harness, sim, schedule);
    const broken = violations.filter((v) => v.invariant === invariant);
    if (broken.length > 0) last = violations;
    return broken.length === 0;
  });
  const out = await fc.check(property, { seed, path: String(index), numRuns: 1 });
  if (!out.failed || !out.counterexample) return null;
  return { schedule: out.counterexample[0], violations: last, runs };
}

/** A schedule as it reads best: only the calls it plans, events in order. */
export function describeSchedule(schedule: Schedule): string {
  const calls = Object.entries(schedule.calls)
    .filter(([, plan]) => plan && (plan.attempts.length > 0))
    .map(([name, plan]) => `    ${name}: ${plan!.attempts.map((o) => `${o.kind}${o.kind === 'ok' || o.kind === 'refused' || o.kind === 'slow' ? '' : o.applied ? ' (applied)' : ' (not applied)'}${o.kind === 'slow' || o.kind === 'inProgress' ? `(${o.delayMs}ms)` : ''}`).join(', ')}${plan!.down ? ', then the same forever' : ''}`);
  const events = [...schedule.events].sort((a, b) => a.at - b.at).map((e) => `    at ${e.at} ms: ${e.kind}${e.kind === 'operator' ? ` ${e.action}` : e.kind === 'update' ? ` ${e.value}` : ''}`);
  return [`  saga: ${JSON.stringify(schedule.saga)}${schedule.replay ? ', on the replaying worker' : ''}`, '  calls:', ...calls, '  events:', ...events].join('\n');
}
