import { api, Scenario, type ScenarioResult } from './scenarios';
import type { BenchStack } from './stack';

/** How long the simulated network takes to settle a payment in the bench: quickly, so the row measures sagaway. */
export const BENCH_NETWORK_SETTLE_MS = '20';

export function transferBody() {
  return {
    debtor: { iban: 'DE89370400440532013000', currency: 'EUR' },
    beneficiary: { name: 'Sato Hanako', accountNumber: '1234567', bic: 'MHCBJPJT', country: 'JP', address: { line: '1-1 Marunouchi', city: 'Tokyo' }, currency: 'JPY' },
    amount: { value: '100.00', currency: 'EUR' },
    remittanceInformation: 'bench',
  };
}

/**
 * Transfers through the API, start to settled (`Prefer: wait`): screening, a EUR/JPY rate lock, the SOAP
 * hold, the pacs.008 and the network's signed pacs.002 back through the callback route, the posting and
 * the notice. A transfer that ends other than COMPLETED counts as a failure.
 */
export async function transferRow(stack: BenchStack, concurrency: number, count: number, maxSeconds: number): Promise<ScenarioResult> {
  let failed = 0;
  const scenario = new Scenario(stack, `transfer-c${concurrency}`, concurrency, maxSeconds, async (_i, m) => {
    const t0 = performance.now();
    try {
      const view = await api(stack, 'POST', '/v1/transfers', transferBody(), { prefer: 'wait=60' });
      if (view.status !== 'COMPLETED') throw new Error(`transfer ${view.id} ended ${view.status}`);
      m.ids.push(view.id);
    } catch (err) {
      failed += 1;
      throw err;
    }
    m.latency.record(performance.now() - t0);
  });
  await scenario.phase(count);
  const row = await scenario.result();
  process.stdout.write(`bench: ${row.name}: ${row.count} settled, ${failed} failed, p50 ${row.p50Ms} ms, p95 ${row.p95Ms} ms, p99 ${row.p99Ms} ms, ${row.perSec}/s\n`);
  return { ...row, note: `${failed} failed` };
}
