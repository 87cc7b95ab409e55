/**
 * `npm run simulate [-- --runs N] [--type orderCheckout] [--seed S] [--path I] [--concurrency C] [--shrink B]`
 *
 * Runs every saga type against the simulated world (sim/sagas/), checks the invariants against the
 * world's ledgers after each schedule, prints what was exercised and how fast, and, for each invariant
 * broken, the seed and the shrunk schedule. Exits 1 on a violation or on a kind never exercised.
 * `--path I` runs only schedule I of the seed, and prints its world.
 */
import { parseArgs } from 'node:util';
import { describeSchedule, explore, shrink } from './explore';
import { Harness } from './harness';
import { runSchedule } from './run-schedule';
import { scheduleArb } from './saga-sim';
import { sagaSims } from './sagas';
import fc from 'fast-check';
import { Sabotages, type Sabotage } from './world';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20000' },
    type: { type: 'string' },
    seed: { type: 'string' },
    path: { type: 'string' },
    concurrency: { type: 'string', default: '150' },
    shrink: { type: 'string', default: '40' },
    sabotage: { type: 'string' },
  },
});

function sabotageOf(name: string | undefined): Sabotage | undefined {
  if (name === undefined) return undefined;
  if (!(Sabotages as readonly string[]).includes(name)) throw new Error(`no sabotage ${name}: ${Sabotages.join(', ')}`);
  return name as Sabotage;
}

async function main(): Promise<number> {
  const sims = sagaSims.filter((s) => !values.type || s.name === values.type);
  if (sims.length === 0) throw new Error(`no saga type ${values.type}: ${sagaSims.map((s) => s.name).join(', ')}`);
  const seed = values.seed ? Number(values.seed) : Date.now() % 2 ** 31;
  const harness = await Harness.start();
  let failed = false;
  try {
    for (const sim of sims) {
      if (values.path !== undefined) {
        const [schedule] = fc.sample(scheduleArb(sim), { seed, numRuns: Number(values.path) + 1 }).slice(-1);
        const result = await runSchedule(harness, sim, schedule!);
        console.log(describeSchedule(schedule!), '\n  world:', result.world.notes.map((n) => n.what).join('\n    '), '\n  view:', JSON.stringify(result.view?.steps.map((s) => `${s.name}=${s.status}`)), result.view?.status, result.view?.error);
        console.log(result.violations);
        failed ||= result.violations.length > 0;
        continue;
      }
      console.log(`\n${sim.name}: ${values.runs} schedules, seed ${seed}`);
      const began = Date.now();
      const onProgress = (n: number) => n % 1000 === 0 && console.log(`  ${n} done, ${((Date.now() - began) / 1000).toFixed(0)} s`);
      const x = await explore(harness, sim, { runs: Number(values.runs), seed, concurrency: Number(values.concurrency), sabotage: sabotageOf(values.sabotage), onProgress });
      console.log(`${sim.name}: ${x.runs} schedules in ${(x.ms / 1000).toFixed(1)} s, ${(x.runs / (x.ms / 1000)).toFixed(1)} schedules/s\n${x.coverage.table()}`);
      if (x.missing.length > 0) {
        failed = true;
        console.log(`NEVER EXERCISED: ${x.missing.join(', ')}`);
      }
      for (const [invariant, { first, count, indices }] of x.found) {
        failed = true;
        console.log(`\nVIOLATION ${invariant} in ${count} of ${x.runs} schedules; first: --type ${sim.name} --seed ${seed} --path ${first.index} (also ${indices.slice(1).join(' ')})`);
        console.log(first.violations.map((v) => `  ${v.invariant}: ${v.detail}`).join('\n'));
        const shrunk = Number(values.shrink) > 0 ? await shrink(harness, sim, seed, first.index, invariant, Number(values.shrink)) : null;
        console.log(shrunk ? `shrunk (${shrunk.runs} runs):\n${describeSchedule(shrunk.schedule)}\n${shrunk.violations.map((v) => `  ${v.invariant}: ${v.detail}`).join('\n')}` : describeSchedule(first.schedule));
      }
    }
  } finally {
    await harness.stop();
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
