import { AsyncLocalStorage } from 'node:async_hooks';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { exportJWK, type JSONWebKeySet } from 'jose';
import { CLIENT_HEADER } from '../domain/federation';
import { FEDERATION_HEADER } from '../domain/federation';
import type { Authorizer, CallContext } from './http-client';
import type { OAuthClient } from './oauth-client';

export const FEDERATION_ISSUER = 'sagaway';

/** Where the worker publishes the JWKS when SAGAWAY_FEDERATION_JWKS_URL does not say otherwise. */
export function federationJwksPath(dataDir: string): string {
  return join(dataDir, 'federation-jwks.json');
}
export const FEDERATION_TTL_SECONDS = 60;
const ALG = 'EdDSA';
/** PKCS#8 prefix of an Ed25519 private key; the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface FederationClaims {
  audience: string;
  client: string;
  call: Pick<CallContext, 'sagaId' | 'step'>;
}

/**
 * sagaway's federation keys (Ed25519, `kid:base64 seed` pairs as SAGAWAY_FEDERATION_KEYS holds them).
 * The first key signs; every key is published, so a key is rotated by publishing the new one second,
 * then moving it first once every backend has read the JWKS, then dropping the old one.
 */
export class FederationSigner {
  private readonly keys: Array<{ kid: string; privateKey: KeyObject }>;

  constructor(pairs: string) {
    this.keys = pairs
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)
      .map((pair) => {
        const at = pair.indexOf(':');
        const seed = Buffer.from(pair.slice(at + 1), 'base64');
        return { kid: pair.slice(0, at), privateKey: createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' }) };
      });
    if (this.keys.length === 0) throw new Error('federation needs at least one key');
  }

  /** The public keys, as the backends read them. */
  async jwks(): Promise<JSONWebKeySet> {
    const keys = await Promise.all(this.keys.map(async ({ kid, privateKey }) => ({ ...(await exportJWK(createPublicKey(privateKey))), kid, alg: ALG, use: 'sig' })));
    return { keys };
  }

  /**
   * A token for one backend call: a minute at most, and unique, so a backend can refuse a replay. Signed
   * with node:crypto at once rather than through jose's WebCrypto path: the same compact JWS (the backends
   * verify it with jose), at a third of the CPU, and it is minted for every call.
   */
  async mint({ audience, client, call }: FederationClaims, issuedAt = Math.floor(Date.now() / 1000)): Promise<string> {
    const { kid, privateKey } = this.keys[0]!;
    const header = { alg: ALG, kid, typ: 'JWT' };
    const claims = { saga_id: call.sagaId, step: call.step, iss: FEDERATION_ISSUER, aud: audience, sub: client, jti: randomUUID(), iat: issuedAt, exp: issuedAt + FEDERATION_TTL_SECONDS };
    const signingInput = `${base64url(header)}.${base64url(claims)}`;
    return `${signingInput}.${sign(null, Buffer.from(signingInput), privateKey).toString('base64url')}`;
  }
}

function base64url(json: unknown): string {
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

const activityClient = new AsyncLocalStorage<string>();

/** Reads the client id the workflow put in the activity's headers, for `currentClient`. */
export const clientIdInterceptor: ActivityInterceptorsFactory = () => ({
  inbound: {
    execute: (input, next) => {
      const header = input.headers[CLIENT_HEADER];
      const client = header ? defaultPayloadConverter.fromPayload<string>(header) : null;
      return client ? activityClient.run(client, () => next(input)) : next(input);
    },
  },
});

/** The client of the saga this activity runs for; `sagaway` for work no client started (the allocators). */
export function currentClient(): string {
  return activityClient.getStore() ?? FEDERATION_ISSUER;
}

/** Credentials for one backend: a fresh federation token per call, and an OAuth access token where it wants one. */
export function backendAuthorizer(signer: FederationSigner, audience: string, oauth?: OAuthClient): Authorizer {
  const mint = (call: CallContext | undefined) => signer.mint({ audience, client: currentClient(), call: call ?? { sagaId: '', step: '' } });
  if (!oauth) return { headers: async (call) => ({ authorization: `Bearer ${await mint(call)}` }) };
  return {
    headers: async (call) => ({ authorization: `Bearer ${await oauth.accessToken()}`, [FEDERATION_HEADER]: await mint(call) }),
    rejected: () => oauth.forget(),
  };
}
