import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header the payment network signs its callbacks with: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`. */
export const NETWORK_SIGNATURE_HEADER = 'x-network-signature';

/** A signed report older (or newer) than this is refused: a replay outside the window can never be told apart. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export function signNetworkBody(secret: string, body: string, nowSeconds = Math.floor(Date.now() / 1_000)): string {
  return `t=${nowSeconds},v1=${createHmac('sha256', secret).update(`${nowSeconds}.${body}`).digest('hex')}`;
}

/** Why a signature does not hold, or null when it does. */
export function signatureProblem(secret: string, body: string, header: string | undefined, nowSeconds = Math.floor(Date.now() / 1_000)): string | null {
  if (!header) return 'the report is not signed';
  const parts = Object.fromEntries(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(parts.v1 ?? '')) return 'the signature header is not t=<seconds>,v1=<hex>';
  if (Math.abs(nowSeconds - t) > SIGNATURE_TOLERANCE_SECONDS) return `the signature is from ${t}, outside the ${SIGNATURE_TOLERANCE_SECONDS} s window`;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(parts.v1!, 'hex')) ? null : 'the signature does not match';
}
