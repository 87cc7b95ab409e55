import { CompactEncrypt, importJWK, type JWK } from 'jose';
import { z } from 'zod';
import type { Credentials } from '../domain/bike-request';

const PublicKeySchema = z.object({ kid: z.string(), alg: z.string(), enc: z.string(), jwk: z.record(z.string(), z.unknown()) });

/**
 * Seals the rider's credentials into a JWE that only the ID service can open, before anything else sees
 * them: the workflow input, Temporal's history and the logs only ever hold the sealed package.
 */
export class IdPackager {
  private key: Promise<{ kid: string; alg: string; enc: string; key: Awaited<ReturnType<typeof importJWK>> }> | null = null;

  constructor(private readonly publicKeyUrl: string) {}

  async seal(credentials: Credentials): Promise<string> {
    const { kid, alg, enc, key } = await this.publicKey();
    const plaintext = new TextEncoder().encode(JSON.stringify(credentials));
    return new CompactEncrypt(plaintext).setProtectedHeader({ alg, enc, kid }).encrypt(key);
  }

  private publicKey() {
    this.key ??= this.fetchKey().catch((err: unknown) => {
      this.key = null;
      throw err;
    });
    return this.key;
  }

  private async fetchKey() {
    const res = await fetch(this.publicKeyUrl, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`the ID service's public key is not available (HTTP ${res.status})`);
    const body = PublicKeySchema.parse(await res.json());
    return { kid: body.kid, alg: body.alg, enc: body.enc, key: await importJWK(body.jwk as JWK, body.alg) };
  }
}
