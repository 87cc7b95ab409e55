import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SagaView, StepView } from '../../src/domain/saga';
import { SagaFeeds, type FeedEvent } from '../../src/observability/saga-feeds';
import { transitions } from '../../src/observability/saga-transitions';

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
    assert.deepEqual(names(transitions(before, after)), ['a:COMPENSATING', 'a:STUCK', 'a:COMPENSATED', 'b:RUNNING', 'b:FAILED', 'saga:COMPENSATING', 'saga:COMPENSATED']);
  });

  it('from nothing gives the whole path; between equal views gives nothing', () => {
    const v = view('COMPLETED', [step('a', 'SUCCEEDED')]);
    assert.deepEqual(names(transitions(null, v)), ['a:RUNNING', 'a:SUCCEEDED', 'saga:RUNNING', 'saga:COMPLETED']);
    assert.deepEqual(transitions(v, v), []);
  });

  it('an undo after a step that succeeded goes on from COMPENSATING', () => {
    assert.deepEqual(names(transitions(view('RUNNING', [step('a', 'SUCCEEDED')]), view('COMPENSATING', [step('a', 'COMPENSATING')]))), ['a:COMPENSATING', 'saga:COMPENSATING']);
  });

  it('new audit entries are events', () => {
    const entry = { at: 't', operator: 'ops', action: 'resolve' as const, step: 'a', reason: 'voided by hand' };
    const before = { ...view('COMPENSATING', [step('a', 'STUCK')]), audit: [] };
    const after = { ...before, audit: [entry] };
    assert.deepEqual(transitions(before, after), [{ event: 'audit', data: entry }]);
  });
});

describe('saga feeds', () => {
  it('one read serves every subscriber, a resume gets only what it missed, and nothing polls after the end', async () => {
    const views = [view('RUNNING', [step('a', 'RUNNING')]), view('RUNNING', [step('a', 'SUCCEEDED')]), view('COMPLETED', [step('a', 'SUCCEEDED')])];
    let reads = 0;
    let release: () => void = () => undefined;
    const gate = () => new Promise<void>((r) => (release = r));
    let opened = gate();
    const feeds = new SagaFeeds(async () => {
      await opened;
      return views[Math.min(reads++, views.length - 1)]!;
    }, { pollMs: 1, lingerMs: 1_000 });
    const a: FeedEvent[] = [];
    const b: FeedEvent[] = [];
    let ended = 0;
    const stopA = feeds.subscribe('saga-1', 'c', undefined, { send: (e) => a.push(e), end: () => (ended += 1) });
    feeds.subscribe('saga-1', 'c', undefined, { send: (e) => b.push(e), end: () => (ended += 1) });
    release();
    await waitUntil(() => a.length >= 2);
    stopA();
    opened = gate();
    const resumed: FeedEvent[] = [];
    feeds.subscribe('saga-1', 'c', a[1]!.id, { send: (e) => resumed.push(e), end: () => (ended += 1) });
    release();
    await waitUntil(() => ended === 2);
    assert.equal(feeds.size, 0);
    assert.equal(reads, 3, 'one read per poll, not per subscriber');
    assert.deepEqual(b.map((e) => e.id), [...a, ...resumed].map((e) => e.id).filter((id, i, all) => all.indexOf(id) === i));
    assert.ok(resumed.every((e) => Number(e.id.split('.')[1]) > 2));
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
