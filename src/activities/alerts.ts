import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { Alert } from '../domain/operator';


export interface AlertWebhook {
  url: string;
  secret: string;
  timeoutMs?: number;
}

export const SIGNATURE_HEADER = 'x-sagaway-signature';
export const DELIVERY_HEADER = 'x-sagaway-delivery';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the receiver recomputes it with the shared
 * secret and refuses old timestamps, so a captured call cannot be replayed later.
 */
export function signature(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/**
 * `sendAlert`: a signed webhook call. It is an ordinary activity, so Temporal retries it durably; the
 * delivery id (saga, kind, step) stays the same on every retry, so a receiver that saw a call whose
 * answer was lost can tell the retry apart. A no-op when no webhook is configured.
 */
export function createAlertActivities(webhook: AlertWebhook | null) {
  return {
    async sendAlert(alert: Alert): Promise<{ sent: boolean }> {
      if (!webhook) return { sent: false };
      const body = JSON.stringify({ ...alert, source: 'sagaway' });
      const headers = {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signature(webhook.secret, body, Math.floor(Date.now() / 1000)),
        [DELIVERY_HEADER]: [alert.sagaId, alert.kind, alert.step ?? '-'].join(':'),
      };
      const res = await fetch(webhook.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(webhook.timeoutMs ?? 10_000) });
      await res.arrayBuffer();
      if (res.ok) return { sent: true };
      const message = `alert webhook answered ${res.status}`;
      // A refusal that retrying cannot fix (a wrong URL or secret) fails at once and shows in the history.
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw ApplicationFailure.nonRetryable(message, 'AlertRefused');
      throw new Error(message);
    },
  };
}
