import { CompactEncrypt, importJWK, type JWK } from 'jose';
import { z } from 'zod';
import type { Credentials } from '../domain/bike-request';
import { HttpProblem } from './problems';

const PublicKeySchema = z.object({ kid: z.string(), alg: z.string(), enc: z.string(), jwk: z.record(z.string(), z.unknown()) });

type PublicKey = { kid: string; alg: string; enc: string; key: Awaited<ReturnType<typeof importJWK>>; fetchedAt: number };

export interface IdPackagerOptions {
  /** How long the ID service's public key is trusted before it is fetched again (a rotation is seen by then). */
  ttlMs?: number;
  now?: () => number;
}

/**
 * Seals the rider's credentials into a JWE that only the ID service can open, before anything else sees
 * them: the workflow input, Temporal's history and the logs only ever hold the sealed package. The ID
 * service's key is cached for `ttlMs`, then fetched again: after a rotation new packages use the new key
 * while the service still opens those sealed with its previous one. An outage is a 503 with Retry-After
 * (a cached key keeps working through it until the TTL ends).
 */
export class IdPackager {
  private key: Promise<PublicKey> | null = null;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly publicKeyUrl: string,
    options: IdPackagerOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  async seal(credentials: Credentials): Promise<string> {
    const { kid, alg, enc, key } = await this.publicKey();
    const plaintext = new TextEncoder().encode(JSON.stringify(credentials));
    return new CompactEncrypt(plaintext).setProtectedHeader({ alg, enc, kid }).encrypt(key);
  }

  private async publicKey(): Promise<PublicKey> {
    const cached = this.key ? await this.key.catch(() => null) : null;
    if (cached && this.now() - cached.fetchedAt < this.ttlMs) return cached;
    const fetching = this.fetchKey();
    this.key = fetching;
    return fetching.catch((err: unknown) => {
      if (this.key === fetching) this.key = null;
      throw err;
    });
  }

  private async fetchKey(): Promise<PublicKey> {
    const unavailable = (why: string) => new HttpProblem(503, 'idcheck-unavailable', 'The ID service is unavailable', `its public key cannot be fetched (${why}); retry shortly`, {}, { 'retry-after': '5' });
    let res: Response;
    try {
      res = await fetch(this.publicKeyUrl, { signal: AbortSignal.timeout(5_000) });
    } catch (err) {
      throw unavailable((err as Error).name);
    }
    if (!res.ok) throw unavailable(`HTTP ${res.status}`);
    const parsed = PublicKeySchema.safeParse(await res.json().catch(() => null));
    if (!parsed.success) throw unavailable('malformed answer');
    const body = parsed.data;
    return { kid: body.kid, alg: body.alg, enc: body.enc, key: await importJWK(body.jwk as JWK, body.alg), fetchedAt: this.now() };
  }
}
