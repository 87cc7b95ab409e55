/**
 * Adversarial review of issue 21, end to end against the simulated backends' fault API: answers in
 * between that the issue did not list. Judged from what the backends recorded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backendRecords, call, injectFault, sagaKey, waitFor, waitForView } from '../support/http';
import { OPERATOR_KEY, startStack, type Stack } from '../support/stack';
import { tripBody } from '../support/trips';

let stack: Stack;

before(async () => {
  stack = await startStack({ tuning: { stepRetryInitialMs: 20, stuckAfterAttempts: 3, compensationBackoffMs: { initial: 50, max: 200 } } });
});

after(async () => {
  await stack?.stop();
});

const stepOf = (view: Record<string, any>, name: string) => view.steps.find((s: any) => s.name === name);
const stuckList = async () => (await call(stack.apiUrl, 'GET', '/v1/ops/sagas?stuck=true', { key: OPERATOR_KEY })).body.items as Array<{ id: string; step: string }>;

async function records(id: string, service: string): Promise<string[]> {
  return (await backendRecords(stack.backendsUrl, service, id)).filter((r) => r.kind !== 'rate-quote').map((r) => `${r.kind}:${r.status}`).sort();
}

describe('adversary, end to end', () => {
  it('a hold whose answer is always lost, and whose look-up answers 503: the saga is STUCK and listed, or the holds are released', async () => {
    const { idempotencyKey, sagaId } = sagaKey();
    // Every attempt of the flight hold is applied and its connection reset: the saga never hears of it.
    await injectFault(stack.backendsUrl, 'flights', { op: 'hold', mode: 'drop', sagaId });
    // Asking the airline what became of it answers 503 for as long as its reference service is down.
    await injectFault(stack.backendsUrl, 'flights', { op: 'lookup', mode: 'error', status: 503, sagaId });
    const answer = await call(stack.apiUrl, 'POST', '/v1/trips', { body: tripBody(), idempotencyKey });
    assert.ok(answer.status < 300, JSON.stringify(answer.body));
    const id = answer.body.id as string;
    let last: Record<string, any> = {};
    try {
      await waitFor(
        () => `the flight hold to be STUCK and listed, or the holds released (view ${JSON.stringify(last.status)} ${JSON.stringify(last.steps?.map((s: any) => [s.name, s.status]))})`,
        async () => {
          last = (await call(stack.apiUrl, 'GET', `/v1/sagas/${id}`)).body;
          const listed = (await stuckList()).some((item) => item.id === id);
          const released = (await records(id, 'fx')).every((r) => r.endsWith(':RELEASED')) && (await records(id, 'flights')).every((r) => r.endsWith(':RELEASED'));
          return (stepOf(last, 'holdFlight')?.status === 'STUCK' && listed) || released;
        },
        45_000,
      );
    } finally {
      console.log('records at the end: flights', await records(id, 'flights'), 'fx', await records(id, 'fx'), 'cars', await records(id, 'cars'), 'hotels', await records(id, 'hotels'));
      await fetch(`${stack.backendsUrl}/flights/_admin/faults`, { method: 'DELETE' });
    }
    await waitForView(stack.apiUrl, id, (v) => v.status === 'COMPENSATED', 60_000);
  });
});
