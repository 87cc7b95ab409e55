import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { moneyIn } from '../../sim/saga-sim';
import { World } from '../../sim/world';

/** The simulated world's own bookkeeping, which the money invariant reads. */
describe('the simulated world', () => {
  it('books what a partial capture takes, not the whole authorization (bike seed 7 path 587: told 300, took 600)', () => {
    const world = new World();
    world.applyForward('payments', 'auth-1', 'authorizeFee', 'AUTHORIZED', {}, 600);
    assert.equal(world.move('payments', 'auth-1', 'capture-1', 'CAPTURED', true, 300), true);
    assert.equal(moneyIn(world, 'payments', 'CAPTURED'), 300);
  });

  it('books the whole authorization for a capture that names no amount', () => {
    const world = new World();
    world.applyForward('payments', 'auth-1', 'authorizePayment', 'AUTHORIZED', {}, 600);
    world.move('payments', 'auth-1', 'capture-1', 'CAPTURED', true);
    assert.equal(moneyIn(world, 'payments', 'CAPTURED'), 600);
  });
});
