import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestHash, sagaIdFor } from '../../src/api/idempotency';

describe('idempotency helpers', () => {
  it('derives one saga id per client and key', () => {
    assert.equal(sagaIdFor('shop', 'k-1'), sagaIdFor('shop', 'k-1'));
    assert.notEqual(sagaIdFor('shop', 'k-1'), sagaIdFor('other', 'k-1'), 'two clients never share a saga');
    assert.match(sagaIdFor('shop', 'k-1'), /^saga-[A-Za-z0-9_-]{26}$/);
  });

  it('hashes a request the same whatever the key order, and differently for another saga type', () => {
    assert.equal(requestHash('order', { a: 1, b: { c: 2, d: [1, 2] } }), requestHash('order', { b: { d: [1, 2], c: 2 }, a: 1 }));
    assert.notEqual(requestHash('order', { a: 1 }), requestHash('bike-checkout', { a: 1 }));
    assert.notEqual(requestHash('order', { a: [1, 2] }), requestHash('order', { a: [2, 1] }));
  });
});
