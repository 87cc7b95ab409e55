import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { illFormedText } from '../../src/api/schemas';

describe('illFormedText', () => {
  it('names the first field with a lone surrogate or a control character, keys included', () => {
    assert.equal(illFormedText({ customerId: '\ud800' }, 'body'), 'body.customerId');
    assert.equal(illFormedText({ items: [{ sku: 'ok' }, { sku: 'tab\there' }] }, 'body'), 'body.items.1.sku');
    assert.equal(illFormedText({ reason: 'end\u0085' }, 'body'), 'body.reason');
    assert.equal(illFormedText({ 'k\udc00': 1 }, 'body'), 'body.k?');
  });

  it('lets well-formed text through, astral characters included', () => {
    assert.equal(illFormedText({ name: 'Zoë 😀 Ünal', n: 3, ok: true, none: null }, 'body'), null);
  });

  it('walks a body nested 100,000 deep without overflowing the stack', () => {
    let deep: unknown = 'fine';
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    assert.equal(illFormedText(deep, 'body'), null);
  });
});
