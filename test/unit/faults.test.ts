import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaultBook } from '../../src/backends/faults';

describe('FaultBook', () => {
  it('fires a counted fault on the next N calls of its op only', () => {
    const book = new FaultBook();
    book.add({ op: 'authorize', mode: 'error', count: 2 });
    assert.equal(book.take('capture'), null);
    assert.equal(book.take('authorize')?.mode, 'error');
    assert.equal(book.take('authorize')?.mode, 'error');
    assert.equal(book.take('authorize'), null);
  });

  it('fires a fault scoped to a saga on that saga\'s calls only', () => {
    const book = new FaultBook();
    book.add({ op: 'capture', mode: 'error', count: 1, sagaId: 'saga-a' });
    assert.equal(book.take('capture', 'saga-b'), null);
    assert.equal(book.take('capture'), null, 'a call made for no saga');
    assert.equal(book.take('capture', 'saga-a')?.mode, 'error');
    assert.equal(book.take('capture', 'saga-a'), null);
  });

  it('fires a rate fault on that share of calls', () => {
    let i = 0;
    const sequence = [0.1, 0.9, 0.2, 0.8];
    const book = new FaultBook(() => sequence[i++ % sequence.length]!);
    book.add({ op: '*', mode: 'latency', rate: 0.5, latencyMs: 1 });
    const fired = [1, 2, 3, 4].map(() => book.take('reserve') !== null);
    assert.deepEqual(fired, [true, false, true, false]);
  });

  it('lists each fault with its label and how many calls it hit', () => {
    const book = new FaultBook(() => 0.9);
    book.add({ op: 'capture', mode: 'error', status: 503, count: 5, label: 'pivot 5xx#1' });
    book.add({ op: 'capture', mode: 'drop', rate: 0.5, label: 'lost pivot answer#2' });
    book.take('capture');
    book.take('capture');
    book.take('authorize');
    assert.deepEqual(
      book.list().map((f) => [f.label, f.fired, f.remaining]),
      [
        ['pivot 5xx#1', 2, 3],
        ['lost pivot answer#2', 0, null],
      ],
    );
  });
});
