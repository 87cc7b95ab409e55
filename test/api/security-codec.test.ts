import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { CompactEncrypt, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { FederationSigner } from '../../src/activities/federation';
import { IdPackager } from '../../src/api/id-package';
import { HttpProblem } from '../../src/api/problems';
import { buildBackends } from '../../src/backends/app';
import { loadedKeySet } from '../../src/backends/federation';
import { AesGcmCodec } from '../../src/codec/aes-gcm-codec';
import { DEV_FEDERATION_KEYS } from '../../src/config';

const key = { id: 'k1', key: Buffer.alloc(32, 1) };
const plain = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"a":1}') };
const credentials = { documentNumber: 'X1234567', issuingRegion: 'EU', dateOfBirth: '1990-01-01' };

async function backends(admin: boolean) {
  const signer = new FederationSigner(DEV_FEDERATION_KEYS);
  const built = await buildBackends({ journalPath: null, admin, federationKeys: loadedKeySet(() => signer.jwks()), paymentsClient: { id: 'w', secret: 's'.repeat(20) } });
  const url = await built.app.listen({ host: '127.0.0.1', port: 0 });
  return { ...built, url, signer };
}

describe('payload codec', () => {
  it('refuses unencrypted payloads unless told histories from before encryption exist', async () => {
    await assert.rejects(new AesGcmCodec([key]).decode([plain]), /not encrypted.*SAGAWAY_CODEC_ACCEPT_PLAINTEXT/);
    assert.deepEqual(await new AesGcmCodec([key], true).decode([plain]), [plain]);
  });

  it('checks lengths and insists on a 16-byte tag', async () => {
    const codec = new AesGcmCodec([key]);
    const [sealed] = await codec.encode([plain]);
    const data = Buffer.from(sealed!.data!);
    await assert.rejects(codec.decode([{ ...sealed, data: data.subarray(0, 20) }]), /too short/);
    // The same ciphertext with its tag cut to 4 bytes: GCM would accept a short tag if allowed to.
    await assert.rejects(codec.decode([{ ...sealed, data: data.subarray(0, data.length - 12) }]));
    assert.equal(Buffer.from((await codec.decode([sealed!]))[0]!.data!).toString(), '{"a":1}');
  });
});

describe('the simulated backends', () => {
  it('have no admin routes unless SAGAWAY_BACKENDS_ADMIN is on', async () => {
    const off = await backends(false);
    const on = await backends(true);
    try {
      for (const path of ['/payments/_admin/state', '/payments/_admin/faults', '/idcheck/_admin/state']) {
        assert.equal((await fetch(off.url + path)).status, 404, path);
        assert.equal((await fetch(on.url + path)).status, 200, path);
      }
      assert.equal((await fetch(`${off.url}/storage/_admin/kiosks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"kioskId":"k","bikes":1}' })).status, 404);
    } finally {
      await off.app.close();
      await on.app.close();
    }
  });

  it('the ID service keys its stored hash with a server secret, and opens packages of its previous key after a rotation', async () => {
    const b = await backends(true);
    try {
      const packager = new IdPackager(`${b.url}/idcheck/public-key`, { ttlMs: 0 });
      const verify = async (pkg: string) => {
        const token = await b.signer.mint({ audience: 'idcheck', client: 'test', call: { sagaId: 's', step: 'verifyId' } });
        return fetch(`${b.url}/idcheck/verifications`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': pkg.slice(-20) }, body: JSON.stringify({ package: pkg }) });
      };
      const before = await packager.seal(credentials);
      assert.equal((await verify(before)).status, 201);
      const [record] = (await (await fetch(`${b.url}/idcheck/_admin/state`)).json() as any).records;
      const { kid } = decodeProtectedHeader(before);
      for (const guess of [`${kid}:${credentials.documentNumber}`, credentials.documentNumber]) {
        assert.notEqual(record.documentHash, createHash('sha256').update(guess).digest('base64url'));
      }
      const rotated = (await (await fetch(`${b.url}/idcheck/_admin/keys/rotate`, { method: 'POST' })).json()) as { kid: string };
      const after = await packager.seal(credentials);
      assert.equal(decodeProtectedHeader(after).kid, rotated.kid, 'the packager fetched the new key once its cache ran out');
      assert.equal((await verify(before)).status, 201, 'a package sealed before the rotation still opens');
      assert.equal((await verify(after)).status, 201);
      const stranger = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(credentials))).setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: 'unknown' }).encrypt(await importJWK((await (await fetch(`${b.url}/idcheck/public-key`)).json() as { jwk: JWK }).jwk, 'ECDH-ES+A256KW'));
      assert.equal((await verify(stranger)).status, 422);
    } finally {
      await b.app.close();
    }
  });

  it("an outage of the ID service's key is a 503 with Retry-After", async () => {
    const packager = new IdPackager('http://127.0.0.1:1/idcheck/public-key');
    await assert.rejects(packager.seal(credentials), (err: unknown) => err instanceof HttpProblem && err.status === 503 && err.headers['retry-after'] === '5');
  });
});
