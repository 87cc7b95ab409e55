import { descendantsRssMb, histogram, rssMb, runAtRate, runPool, watchProcesses } from './metrics';

/** Door sensors fire as bikes reach their bays: independent events at a steady rate, not a burst. */
const SENSORS_PER_SECOND = 25;
import { api, measure, orderBody, type ScenarioResult } from './scenarios';
import type { BenchStack } from './stack';

/** The API alone: how long the 202 takes, and a saga view read, while other starts are in flight. */
export async function apiAlone(stack: BenchStack, count: number, maxSeconds: number): Promise<ScenarioResult[]> {
  const ids: string[] = [];
  const start = await measure(stack, 'api-start-202-c32', 32, count, maxSeconds, async (_i, m) => {
    const t0 = performance.now();
    const view = await api(stack, 'POST', '/v1/orders', orderBody(false));
    m.latency.record(performance.now() - t0);
    ids.push(view.id);
  });
  let lastSeen = 0;
  const read = await measure(stack, 'api-get-saga-c32', 32, count, maxSeconds, async (i, m) => {
    const t0 = performance.now();
    const view = await api(stack, 'GET', `/v1/sagas/${ids[i % ids.length]}`);
    m.latency.record(performance.now() - t0);
    if (view.note) lastSeen += 1;
  });
  // A read the worker does not answer within SAGAWAY_LIVE_READ_BUDGET_MS gets the last view seen, with a note.
  process.stdout.write(`api-get-saga-c32: ${read.count} reads, ${read.count - lastSeen} current views (the worker's answer or, with --redis, the view it published), ${lastSeen} the last view seen (busy worker)\n`);
  return [{ ...start, eventsPerSaga: null, workflowTasksPerSaga: null }, { ...read, eventsPerSaga: null, workflowTasksPerSaga: null }];
}

async function conditionRecords(stack: BenchStack): Promise<number> {
  const res = await fetch(`${stack.backendsUrl}/bikes/_admin/state`);
  const { records } = (await res.json()) as { records: Array<{ kind: string }> };
  return records.filter((r) => r.kind === 'condition').length;
}

/**
 * Long-running sagas held: N bike checkouts wait on the door sensor. Reports the worker's memory while
 * they wait, then the latency from each bike-sensed to the saga's end (its door open), and ends them all.
 */
export async function bikesHeld(stack: BenchStack, count: number, maxSeconds: number): Promise<ScenarioResult> {
  await fetch(`${stack.backendsUrl}/storage/_admin/kiosks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kioskId: 'kiosk-bench', bikes: count + 10 }) });
  const watch = watchProcesses(stack.pids);
  const deadline = Date.now() + maxSeconds * 1_000;
  const ids: string[] = [];
  const credentials = { documentNumber: 'D1234567', issuingRegion: 'City', dateOfBirth: '1980-04-02' };
  await runPool('bike checkouts started', count, 32, deadline, async () => {
    ids.push((await api(stack, 'POST', '/v1/bike-checkouts', { kioskId: 'kiosk-bench', bikes: 1, credentials })).id);
  });
  for (let waited = 0; (await conditionRecords(stack)) < ids.length && Date.now() < deadline; waited += 1) {
    if (waited % 10 === 0) process.stdout.write(`  bikes waiting at the door: ${await conditionRecords(stack)}/${ids.length}\n`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
  const waitingRss = rssMb(stack.pids.worker!);
  // The embedded audit store's engine (PGlite) is a process of its own under the worker: shown beside it.
  const engineRss = descendantsRssMb(stack.pids.worker!, 'pglite-engine');
  // The kiosk screen knows which bike is coming; reading it is not part of the sensor's latency.
  const bikeIds: string[] = [];
  await runPool('bike ids read', ids.length, 32, deadline, async (i) => {
    // Under load a view may come from visibility only (no live query answer in time): read it again.
    for (let attempt = 1; attempt <= 5 && !bikeIds[i]; attempt += 1) {
      bikeIds[i] = (await api(stack, 'GET', `/v1/sagas/${ids[i]}`)).bikes?.[0]?.bikeId;
    }
    if (!bikeIds[i]) throw new Error(`saga ${ids[i]} shows no bike`);
  });
  const latency = histogram();
  const started = Date.now();
  const done = await runAtRate('bikes sensed', ids.length, SENSORS_PER_SECOND, Date.now() + maxSeconds * 1_000, async (i) => {
    const t0 = performance.now();
    await api(stack, 'POST', `/v1/sagas/${ids[i]}/signals/bike-sensed`, { bikeId: bikeIds[i] });
    await stack.client.workflow.getHandle(ids[i]!).result();
    latency.record(performance.now() - t0);
  });
  const processes = watch.stop();
  return {
    // Named by the checkouts asked for: every one that did not end after its sensor (not started, no bike
    // read, sensor refused or not sent by the deadline) is a failure, so the name stays comparable.
    name: `bike-held-${count}`,
    concurrency: SENSORS_PER_SECOND,
    ...latency.summary(),
    count: done,
    perSec: +(done / ((Date.now() - started) / 1000)).toFixed(1),
    eventsPerSaga: null,
    workflowTasksPerSaga: null,
    workerRssMb: waitingRss,
    processes,
    failed: count - done,
    note: `worker RSS ${waitingRss} MB with ${ids.length} checkouts waiting${engineRss ? ` (its audit store's PGlite engine, a process of its own: ${engineRss} MB more)` : ''}; latency is bike-sensed to door open (saga end), sensors at ${SENSORS_PER_SECOND}/s`,
  };
}
