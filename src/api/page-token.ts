import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { HttpProblem } from './problems';

/**
 * Temporal's list page tokens, handed to clients sealed with an HMAC that also covers the client id: a
 * forged or another client's token is a 400 here, and never reaches Temporal (which stalls on garbage).
 * API instances that share the secret accept each other's tokens.
 */
export class PageTokens {
  constructor(private readonly secret: Buffer = randomBytes(32)) {}

  seal(clientId: string, raw: Uint8Array): string {
    const body = Buffer.from(raw).toString('base64url');
    return `${body}.${this.mac(clientId, body)}`;
  }

  open(clientId: string, token: string): Buffer {
    const [body, mac] = token.split('.');
    const expected = body ? this.mac(clientId, body) : '';
    if (!body || !mac || mac.length !== expected.length || !timingSafeEqual(Buffer.from(mac), Buffer.from(expected))) {
      throw new HttpProblem(400, 'validation', 'The request is not valid', 'query.pageToken: not a page token this API handed out');
    }
    return Buffer.from(body, 'base64url');
  }

  private mac(clientId: string, body: string): string {
    return createHmac('sha256', this.secret).update(`${clientId}\n${body}`).digest('base64url').slice(0, 22);
  }
}
