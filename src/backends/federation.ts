import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

const ISSUER = 'sagaway';
const MAX_LIFETIME_SECONDS = 60;

/**
 * What every simulated backend checks before it does anything: a token sagaway signed (its published
 * JWKS), meant for this backend, unexpired, living a minute at most, and never seen before (its jti).
 * Returns why a token is refused, or null when it is good.
 */
export class FederationVerifier {
  private readonly seen = new Map<string, number>();

  constructor(private readonly keys: JWTVerifyGetKey) {}

  async refusal(token: string | null, audience: string): Promise<string | null> {
    if (!token) return 'a federation token from sagaway is required';
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, { issuer: ISSUER, audience, algorithms: ['EdDSA', 'ES256'], requiredClaims: ['exp', 'iat', 'jti', 'sub'] }));
    } catch (err) {
      return describe(err);
    }
    if (payload.exp! - payload.iat! > MAX_LIFETIME_SECONDS) return `the token lives longer than ${MAX_LIFETIME_SECONDS} s`;
    this.forgetExpired();
    if (this.seen.has(payload.jti!)) return 'the token was already used (replayed)';
    this.seen.set(payload.jti!, payload.exp!);
    return null;
  }

  private forgetExpired(): void {
    const now = Math.floor(Date.now() / 1000);
    for (const [jti, exp] of this.seen) if (exp < now) this.seen.delete(jti);
  }
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `the token's ${err.claim} claim is not for this backend`;
  if (err instanceof errors.JWKSNoMatchingKey) return "the token's key is not in sagaway's JWKS";
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is not valid';
  return 'the token is not valid';
}

/** How long a JWKS is trusted before it is read again: a key dropped from it stops being accepted within this. */
export const JWKS_MAX_AGE_MS = 60_000;

/** sagaway's JWKS from a URL, cached at most `JWKS_MAX_AGE_MS`, and fetched again when a token names a key it does not hold. */
export function remoteKeySet(url: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(url), { cooldownDuration: 1_000, cacheMaxAge: JWKS_MAX_AGE_MS });
}

/**
 * A JWKS read by `load` (a file the worker writes, or the signer itself in tests): read again when a token
 * names a key it does not hold (a rotation), at most once a second, and whenever the copy is older than
 * `maxAgeMs`, so a key dropped at the end of a rotation (say because it leaked) stops being trusted even
 * though no unknown key id ever shows up. A read that fails refuses the token rather than trust stale keys.
 */
export function loadedKeySet(load: () => Promise<JSONWebKeySet>, { maxAgeMs = JWKS_MAX_AGE_MS } = {}): JWTVerifyGetKey {
  let current: { keys: JWTVerifyGetKey; at: number } | null = null;
  let pending: Promise<JWTVerifyGetKey> | null = null;
  const reload = () =>
    (pending ??= load()
      .then((jwks) => (current = { keys: createLocalJWKSet(jwks), at: Date.now() }).keys)
      .finally(() => {
        pending = null;
      }));
  return async (header, token) => {
    const keys = current && Date.now() - current.at < maxAgeMs ? current.keys : await reload();
    try {
      return await keys(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || Date.now() - current!.at < 1_000) throw err;
      return (await reload())(header, token);
    }
  };
}

export function fileKeySet(path: string): JWTVerifyGetKey {
  return loadedKeySet(async () => JSON.parse(await readFile(path, 'utf8')) as JSONWebKeySet);
}
