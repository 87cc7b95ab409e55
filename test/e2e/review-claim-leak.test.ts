/**
 * Two requests sent together with one Idempotency-Key and two bodies (two students): one starts its saga,
 * the other is a 422. The 422 must leave nothing behind: the second student can register at once.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createSection } from '../support/classes';
import { call } from '../support/http';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

describe('a key reused with another body, sent together', () => {
  it('is a 422 that claims nothing: the other student then registers with a key of their own', async () => {
    const sectionId = await createSection(stack.backendsUrl, 5, 60_000, 120_000);
    // A slow registrar keeps both requests in their precheck at once (both looked the key up first).
    const fault = await fetch(`${stack.backendsUrl}/registrar/_admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ op: 'section', mode: 'latency', latencyMs: 1_500, count: 2 }),
    });
    assert.equal(fault.status, 201);
    const key = randomUUID();
    const answers = await Promise.all(
      ['s-1001', 's-1002'].map((studentId) => call(stack.apiUrl, 'POST', '/v1/class-registrations', { body: { studentId, sectionId }, idempotencyKey: key })),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [202, 422], JSON.stringify(answers.map((a) => a.body)));
    const loser = answers.find((a) => a.status === 422)!;
    const loserStudent = answers.indexOf(loser) === 0 ? 's-1001' : 's-1002';
    const again = await call(stack.apiUrl, 'POST', '/v1/class-registrations', { body: { studentId: loserStudent, sectionId } });
    assert.equal(again.status, 202, `${loserStudent} registers on their own: ${JSON.stringify(again.body)}`);
  });
});
