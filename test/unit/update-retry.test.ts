/**
 * An update whose workflow task failed under it (Temporal's FAILED_PRECONDITION, "unexpected workflow task
 * failure") is sent again under the same update id, each resend logged; anything else is not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceError } from '@temporalio/client';
import { executeUpdateOnce } from '../../src/api/temporal-unavailable';

function taskFailure(): ServiceError {
  const cause = Object.assign(new Error('9 FAILED_PRECONDITION: Unable to perform workflow execution update due to unexpected workflow task failure.'), { code: 9 });
  return new ServiceError('Workflow Update failed', { cause });
}

/** A handle whose update fails with `failures` in turn, then answers; it records every update id sent. */
function handle(failures: Error[]) {
  const ids: string[] = [];
  return {
    ids,
    executeUpdate: async (_name: unknown, options: { updateId?: string }) => {
      ids.push(options.updateId ?? '');
      const failure = failures.shift();
      if (failure) throw failure;
      return { status: 'COMPENSATING' };
    },
  };
}

describe('an update under a failed workflow task', () => {
  it('is sent again, under the same update id, and its answer returned', async () => {
    const h = handle([taskFailure(), taskFailure()]);
    assert.deepEqual(await executeUpdateOnce(h as never, 'cancel', { reason: 'x' }), { status: 'COMPENSATING' });
    assert.equal(h.ids.length, 3);
    assert.equal(new Set(h.ids).size, 1, 'one update id for every try');
  });

  it('logs each resend, and a history it cannot read does not stop it', async () => {
    const h = { ...handle([taskFailure()]), workflowId: 'saga-1', client: { withDeadline: () => Promise.reject(new Error('no Temporal')) } };
    const warnings: Array<Record<string, unknown>> = [];
    const logger = { warn: (fields: Record<string, unknown>) => warnings.push(fields) };
    assert.deepEqual(await executeUpdateOnce(h as never, 'cancel', {}, { logger: logger as never }), { status: 'COMPENSATING' });
    assert.deepEqual(warnings, [{ sagaId: 'saga-1', update: 'cancel', updateId: h.ids[0], attempt: 1, taskFailure: { cause: 'history unread: no Temporal' } }]);
  });

  it('gives up after three tries, with the last error', async () => {
    const h = handle([taskFailure(), taskFailure(), taskFailure(), taskFailure()]);
    await assert.rejects(executeUpdateOnce(h as never, 'cancel', {}), /Workflow Update failed/);
    assert.equal(h.ids.length, 3);
  });

  it('is not sent again for any other error', async () => {
    const other = Object.assign(new Error('9 FAILED_PRECONDITION: something else'), { code: 9 });
    const h = handle([new ServiceError('Workflow Update failed', { cause: other })]);
    await assert.rejects(executeUpdateOnce(h as never, 'cancel', {}), /Workflow Update failed/);
    assert.equal(h.ids.length, 1);
  });
});
