import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSection } from '../support/classes';
import { call } from '../support/http';
import { OTHER_API_KEY, startStack, type Stack } from '../support/stack';

let stack: Stack;

before(async () => {
  stack = await startStack();
});

after(async () => {
  await stack?.stop();
});

const allocationAs = async (key: string | undefined, sectionId: string) => {
  const answer = await call(stack.apiUrl, 'GET', `/v1/sections/${sectionId}/allocation`, { key });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body;
};

describe('tenant isolation', () => {
  it("the allocation view shows a client its own registrations and only counts of the others'", async () => {
    const sectionId = await createSection(stack.backendsUrl, 1, 60_000, 120_000);
    const mine = await call(stack.apiUrl, 'POST', '/v1/class-registrations', { body: { studentId: 's-7001', sectionId } });
    const theirs = await call(stack.apiUrl, 'POST', '/v1/class-registrations', { key: OTHER_API_KEY, body: { studentId: 's-7002', sectionId } });
    assert.equal(mine.status, 202);
    assert.equal(theirs.status, 202);
    let view: Record<string, any> = {};
    for (let i = 0; i < 80 && view.waitlistCount !== 2; i += 1) {
      view = await allocationAs(OTHER_API_KEY, sectionId);
      if (view.waitlistCount !== 2) await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(view.waitlistCount, 2, 'both registrations are in line');
    assert.deepEqual(view.waitlist.map((e: any) => [e.studentId, e.sagaId]), [['s-7002', theirs.body.id]]);
    const text = JSON.stringify(view);
    assert.ok(!text.includes('s-7001') && !text.includes(mine.body.id), `client B sees none of A's registrations: ${text}`);
    const own = await allocationAs(undefined, sectionId);
    assert.deepEqual(own.waitlist.map((e: any) => e.studentId), ['s-7001']);
  });
});
