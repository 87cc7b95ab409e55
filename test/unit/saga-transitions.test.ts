import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SagaView, StepView } from '../../src/domain/saga';
import { SagaFeeds, type FeedEvent } from '../../src/observability/saga-feeds';
import { cursorOf, decodeCursor, encodeCursor, NOTHING_SEEN, transitions } from '../../src/observability/saga-transitions';

const step = (name: string, status: StepView['status'], stuck = false): StepView => ({
  name, status, attempts: 1, startedAt: 't', finishedAt: null, error: null,
  compensation: status === 'COMPENSATING' || status === 'STUCK' || status === 'COMPENSATED' ? { attempts: 3, lastError: null, stuck } : null,
});
const view = (status: SagaView['status'], steps: StepView[]): SagaView => ({ id: 'saga-1', type: 'order', status, steps, result: null, error: null, createdAt: 't', updatedAt: 't', details: {} });
const names = (ts: ReturnType<typeof transitions>) => ts.map((t) => (t.event === 'step' ? `${t.data.step}:${t.data.status}` : t.event === 'status' ? `saga:${t.data.status}` : 'audit'));

describe('transitions between two views', () => {
  it('fills in states a poll missed, in order', () => {
    const before = view('RUNNING', [step('a', 'RUNNING')]);
    const after = view('COMPENSATED', [step('a', 'COMPENSATED', true), step('b', 'FAILED')]);
    assert.deepEqual(names(transitions(cursorOf(before), after)), ['a:COMPENSATING', 'a:STUCK', 'a:COMPENSATED', 'b:RUNNING', 'b:FAILED', 'saga:COMPENSATING', 'saga:COMPENSATED']);
  });

  it('from nothing gives the whole path; between equal views gives nothing', () => {
    const v = view('COMPLETED', [step('a', 'SUCCEEDED')]);
    assert.deepEqual(names(transitions(NOTHING_SEEN, v)), ['saga:RUNNING', 'a:RUNNING', 'a:SUCCEEDED', 'saga:COMPLETED']);
    assert.deepEqual(transitions(cursorOf(v), v), []);
  });

  it('an undo after a step that succeeded goes on from COMPENSATING', () => {
    assert.deepEqual(names(transitions(cursorOf(view('RUNNING', [step('a', 'SUCCEEDED')])), view('COMPENSATING', [step('a', 'COMPENSATING')]))), ['a:COMPENSATING', 'saga:COMPENSATING']);
  });

  it('new audit entries are events', () => {
    const entry = { at: 't', operator: 'ops', action: 'resolve' as const, step: 'a', reason: 'voided by hand' };
    const before = { ...view('COMPENSATING', [step('a', 'STUCK')]), audit: [] };
    const after = { ...before, audit: [entry] };
    assert.deepEqual(transitions(cursorOf(before), after), [{ event: 'audit', data: entry }]);
  });
});

describe('event ids', () => {
  it('read back as what the follower was told; one this API did not write reads as nothing', () => {
    const cursor = { status: 'COMPENSATING' as const, steps: ['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'STUCK', null] as const, audit: 2 };
    const id = encodeCursor({ ...cursor, steps: [...cursor.steps] });
    assert.equal(id, 'C.2.S3K-');
    assert.deepEqual(decodeCursor(id), { ...cursor, steps: [...cursor.steps] });
    for (const foreign of [undefined, '', 'a1b2c3d4.7', 'X.0.S', 'R.0.S1', 'R.0.Q', 'R.x.S']) assert.equal(decodeCursor(foreign), null, String(foreign));
    // 509 characters that would stand for a million steps (8 MB copied for each event sent): not ours.
    assert.equal(decodeCursor(`R.0.${'-9999'.repeat(101)}`), null);
  });
});

describe('saga feeds', () => {
  it('one read serves every subscriber, a resume gets only what it missed, and nothing polls after the end', async () => {
    const views = [view('RUNNING', [step('a', 'RUNNING')]), view('RUNNING', [step('a', 'SUCCEEDED')]), view('COMPLETED', [step('a', 'SUCCEEDED')])];
    let reads = 0;
    // Each read waits for a permit, so the test decides how far the feed gets before each step.
    let permits = 0;
    const waiting: (() => void)[] = [];
    const permit = (n: number) => {
      permits += n;
      while (permits > 0 && waiting.length > 0) {
        permits -= 1;
        waiting.shift()!();
      }
    };
    const feeds = new SagaFeeds(async () => {
      if (permits > 0) permits -= 1;
      else await new Promise<void>((r) => waiting.push(r));
      return views[Math.min(reads++, views.length - 1)]!;
    }, { pollMs: 1, lingerMs: 1_000 });
    const a: FeedEvent[] = [];
    const b: FeedEvent[] = [];
    let ended = 0;
    const stopA = feeds.subscribe('saga-1', 'c', undefined, { send: (e) => a.push(e), end: () => (ended += 1) });
    feeds.subscribe('saga-1', 'c', undefined, { send: (e) => b.push(e), end: () => (ended += 1) });
    permit(1);
    await waitUntil(() => a.length >= 2);
    stopA();
    const resumed: FeedEvent[] = [];
    feeds.subscribe('saga-1', 'c', a[1]!.id, { send: (e) => resumed.push(e), end: () => (ended += 1) });
    permit(2);
    await waitUntil(() => ended === 2);
    assert.equal(feeds.size, 0);
    assert.equal(reads, 3, 'one read per poll, not per subscriber');
    assert.deepEqual(b.map((e) => e.id), [...a, ...resumed].map((e) => e.id).filter((id, i, all) => all.indexOf(id) === i));
    assert.ok(resumed.every((e) => !a.slice(0, 2).some((seen) => seen.id === e.id)), 'nothing seen before the resume is sent again');
  });

  it('a resume in another feed (the saga ended, or another API instance) gets only what it missed', async () => {
    const path = [
      view('RUNNING', [step('a', 'RUNNING')]),
      view('RUNNING', [step('a', 'SUCCEEDED'), step('b', 'RUNNING')]),
      view('COMPLETED', [step('a', 'SUCCEEDED'), step('b', 'SUCCEEDED')]),
    ];
    let reads = 0;
    const live = await follow(new SagaFeeds(async () => path[Math.min(reads++, path.length - 1)]!, { pollMs: 1, lingerMs: 1_000 }), undefined);
    assert.deepEqual(live.map(label), ['saga:RUNNING', 'a:RUNNING', 'a:SUCCEEDED', 'b:RUNNING', 'b:SUCCEEDED', 'saga:COMPLETED']);
    const ended = new SagaFeeds(async () => path.at(-1)!, { pollMs: 1, lingerMs: 1_000 });
    // A fresh follower of the ended saga is told every step a live one was, then the end.
    assert.deepEqual((await follow(ended, undefined)).map(label).sort(), live.map(label).sort());
    for (let cut = 0; cut < live.length - 1; cut += 1) {
      const resumed = await follow(ended, live[cut]!.id);
      assert.deepEqual(resumed.map(label).sort(), live.slice(cut + 1).map(label).sort(), `resumed after event ${cut}`);
      assert.equal(resumed.at(-1)!.id, live.at(-1)!.id, `after event ${cut}, it ends told what the live follower was`);
    }
    assert.deepEqual(await follow(ended, live.at(-1)!.id), [], 'after the last event, nothing');
    assert.deepEqual((await follow(ended, 'not-an-id')).map(label).sort(), live.map(label).sort(), 'an id it cannot read: the whole path');
  });
});

const label = (e: FeedEvent) => (e.event === 'step' ? `${e.data.step}:${e.data.status}` : e.event === 'status' ? `saga:${e.data.status}` : 'audit');

/** Every event one subscriber gets, from `lastEventId` to the end of the saga. */
async function follow(feeds: SagaFeeds, lastEventId: string | undefined): Promise<FeedEvent[]> {
  const events: FeedEvent[] = [];
  let ended = false;
  feeds.subscribe('saga-1', 'c', lastEventId, { send: (e) => events.push(e), end: () => (ended = true) });
  await waitUntil(() => ended);
  return events;
}

async function waitUntil(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
