import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { describeSchedule, explore, type Exploration } from '../../sim/explore';
import { Harness } from '../../sim/harness';
import { sagaSims } from '../../sim/sagas';

/**
 * The simulated world inside `npm test`: SAGAWAY_SIM_RUNS schedules (120 unless told; 300 took 7 min on a
 * busy 2-core machine, 2.4 to 5.6 schedules/s, past the runner's 5 min per file) of every saga type,
 * with a fixed seed so a failure here runs again with `npm run simulate -- --seed <seed> --path <i>`.
 * Every outcome kind and every required event must be exercised. Zero violations is what issue 21's engine
 * fix must reach; until it lands, the engine's known violations are reported as a todo, not a failure
 * (SAGAWAY_SIM_STRICT=1 makes them fail).
 */
const RUNS = Number(process.env.SAGAWAY_SIM_RUNS ?? 120);
const SEED = Number(process.env.SAGAWAY_SIM_SEED ?? 21);
const STRICT = process.env.SAGAWAY_SIM_STRICT === '1';

describe('the simulated world', () => {
  let harness: Harness;
  const explored = new Map<string, Exploration>();
  before(async () => {
    harness = await Harness.start();
  });
  after(async () => {
    await harness?.stop();
  });

  for (const sim of sagaSims) {
    it(`${sim.name}: ${RUNS} schedules exercise every outcome kind and every required event`, { timeout: 10 * 60_000 }, async () => {
      const x = await explore(harness, sim, { runs: RUNS, seed: SEED, concurrency: 60 });
      explored.set(sim.name, x);
      console.log(`${sim.name}: ${x.runs} schedules in ${(x.ms / 1000).toFixed(1)} s (${(x.runs / (x.ms / 1000)).toFixed(1)}/s), seed ${SEED}`);
      assert.ok(x.runs >= RUNS);
      assert.deepEqual(x.missing, [], `never exercised:\n${x.coverage.table()}`);
    });

    it(`${sim.name}: no schedule breaks an invariant of the ledger`, { todo: STRICT ? undefined : 'issue 21: the engine still has the bugs the simulation finds' }, () => {
      const x = explored.get(sim.name);
      assert.ok(x, 'the exploration did not run');
      const found = [...x.found].map(([invariant, { first, count }]) =>
        `${invariant} in ${count} schedules, first --type ${sim.name} --seed ${SEED} --path ${first.index}\n${first.violations.map((v) => `  ${v.detail}`).join('\n')}\n${describeSchedule(first.schedule)}`,
      );
      assert.deepEqual(found, []);
    });
  }
});
