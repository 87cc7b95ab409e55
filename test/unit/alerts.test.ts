import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { createAlertActivities } from '../../src/activities/alerts';
import { startReceiver } from '../support/webhook';

const SECRET = 'alert-secret-for-tests-0001';
const alert = { sagaId: 'saga-1', sagaType: 'order' as const, kind: 'STUCK' as const, step: 'authorizePayment', error: 'payments answered 409' };

describe('sendAlert', () => {
  it('posts the alert signed with HMAC-SHA256 and a delivery id that is the same on every retry', async () => {
    const receiver = await startReceiver(SECRET);
    try {
      const { sendAlert } = createAlertActivities({ url: receiver.url, secret: SECRET });
      assert.deepEqual(await sendAlert(alert), { sent: true });
      await sendAlert(alert);
      assert.equal(receiver.received.length, 2);
      const [first, second] = receiver.received;
      assert.equal(first!.signatureValid, true);
      assert.deepEqual(first!.body, { ...alert, source: 'sagaway' });
      assert.equal(first!.headers['x-sagaway-delivery'], 'saga-1:STUCK:authorizePayment');
      assert.equal(second!.headers['x-sagaway-delivery'], first!.headers['x-sagaway-delivery']);
    } finally {
      await receiver.close();
    }
  });

  it('a wrong secret does not verify', async () => {
    const receiver = await startReceiver('another-secret-entirely-0002');
    try {
      await createAlertActivities({ url: receiver.url, secret: SECRET }).sendAlert(alert);
      assert.equal(receiver.received[0]!.signatureValid, false);
    } finally {
      await receiver.close();
    }
  });

  it('a 5xx is retried (a plain error), a 4xx refusal is not, and without a webhook nothing is sent', async () => {
    let status = 503;
    const receiver = await startReceiver(SECRET, () => status);
    try {
      const { sendAlert } = createAlertActivities({ url: receiver.url, secret: SECRET });
      await assert.rejects(sendAlert(alert), (err) => !(err instanceof ApplicationFailure) && /503/.test((err as Error).message));
      status = 401;
      await assert.rejects(sendAlert(alert), (err) => err instanceof ApplicationFailure && err.nonRetryable && err.type === 'AlertRefused');
      assert.deepEqual(await createAlertActivities(null).sendAlert(alert), { sent: false });
    } finally {
      await receiver.close();
    }
  });
});
