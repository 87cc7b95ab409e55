import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { JSONWebKeySet } from 'jose';
import { FederationSigner } from '../../src/activities/federation';
import { OAuthClient } from '../../src/activities/oauth-client';
import { buildBackends } from '../../src/backends/app';
import { FederationVerifier, loadedKeySet } from '../../src/backends/federation';

const seed = () => randomBytes(32).toString('base64');
const token = (signer: FederationSigner) => signer.mint({ audience: 'inventory', client: 'test', call: { sagaId: 's', step: 'reserveInventory' } });

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

describe('trust gaps', () => {
  it('a key dropped from the JWKS file stops being accepted within the stated bound, with no unknown key id ever seen', async () => {
    const [oldPair, newPair] = [`old:${seed()}`, `new:${seed()}`];
    const oldSigner = new FederationSigner(oldPair);
    let published: JSONWebKeySet = await new FederationSigner(`${oldPair},${newPair}`).jwks();
    const verifier = new FederationVerifier(loadedKeySet(async () => published, { maxAgeMs: 300 }));
    assert.equal(await verifier.refusal(await token(oldSigner), 'inventory'), null, 'the old key is trusted while published');
    // The rotation ends: only the new key is published. Tokens keep naming the old key (the leaked one).
    published = await new FederationSigner(newPair).jwks();
    const refused = await until(async () => (await verifier.refusal(await token(oldSigner), 'inventory')) !== null, 2_000);
    assert.ok(refused, 'a token of the dropped key is refused once the bound has passed');
    assert.equal(await verifier.refusal(await token(new FederationSigner(newPair)), 'inventory'), null);
  });

  it('a payments client secret with +, / and = is accepted by the token endpoint (RFC 6749 2.3.1)', async () => {
    const secret = 'a+b/c=d==+/ x:y%2B';
    const signer = new FederationSigner(`k:${seed()}`);
    const built = await buildBackends({ journalPath: null, admin: false, federationKeys: loadedKeySet(() => signer.jwks()), paymentsClient: { id: 'worker:1', secret } });
    const url = await built.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const client = (clientSecret: string) => new OAuthClient({ tokenUrl: `${url}/payments/oauth/token`, clientId: 'worker:1', clientSecret, timeoutMs: 2_000 });
      assert.match(await client(secret).accessToken(), /^ey/);
      await assert.rejects(client('a b/c=d==+/ x:y%2B').accessToken(), /refused/, "a '+' is not a space");
      await assert.rejects(client(`${secret}x`).accessToken(), /refused/);
    } finally {
      await built.app.close();
    }
  });
});
