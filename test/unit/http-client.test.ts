import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { failureFor } from '../../src/activities/http-client';

const answer = (status: number, body: unknown = {}) => ({ status, contentType: 'application/problem+json', text: JSON.stringify(body) });

describe('failureFor: backend answers to error layers', () => {
  it('keeps 5xx, 408 and 429 retryable', () => {
    for (const status of [500, 502, 503, 408, 429]) {
      const err = failureFor('payments', 'POST /x', answer(status));
      assert.equal(err instanceof ApplicationFailure, false, `${status} must stay a plain, retryable Error`);
    }
  });

  it('turns a 4xx business answer into a non-retryable failure of its type', () => {
    const err = failureFor('payments', 'POST /authorizations', answer(402, { code: 'PaymentDeclined', detail: 'declined' }));
    assert.ok(err instanceof ApplicationFailure);
    assert.equal(err.nonRetryable, true);
    assert.equal(err.type, 'PaymentDeclined');
    assert.equal(err.message, 'payments: declined');
  });

  it('names an unknown 4xx code BackendRejected', () => {
    const err = failureFor('shipping', 'POST /x', answer(409, { code: 'SomethingNew' }));
    assert.ok(err instanceof ApplicationFailure);
    assert.equal(err.type, 'BackendRejected');
  });
});
