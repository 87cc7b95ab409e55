import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmCodec } from '../../src/codec/aes-gcm-codec';

const payload = defaultPayloadConverter.toPayload({ name: 'Ada Lovelace', line1: '1 Analytical Way' })!;

describe('AesGcmCodec', () => {
  it('encrypts with the first key, names it in the metadata, and decrypts back', async () => {
    const codec = new AesGcmCodec([{ id: 'k1', key: randomBytes(32) }]);
    const [sealed] = await codec.encode([payload]);
    assert.equal(Buffer.from(sealed!.metadata!['encryption-key-id']!).toString(), 'k1');
    assert.ok(!Buffer.from(sealed!.data!).toString('latin1').includes('Ada Lovelace'));
    const [opened] = await codec.decode([sealed!]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(opened!), { name: 'Ada Lovelace', line1: '1 Analytical Way' });
  });

  it('rotates by adding a key first: old payloads still open, new ones use the new key', async () => {
    const old = { id: 'k1', key: randomBytes(32) };
    const [sealedBefore] = await new AesGcmCodec([old]).encode([payload]);
    const rotated = new AesGcmCodec([{ id: 'k2', key: randomBytes(32) }, old]);
    assert.deepEqual(defaultPayloadConverter.fromPayload((await rotated.decode([sealedBefore!]))[0]!), defaultPayloadConverter.fromPayload(payload));
    const [sealedAfter] = await rotated.encode([payload]);
    assert.equal(Buffer.from(sealedAfter!.metadata!['encryption-key-id']!).toString(), 'k2');
  });

  it('passes payloads recorded before encryption through when told to, and refuses a tampered one', async () => {
    const codec = new AesGcmCodec([{ id: 'k1', key: randomBytes(32) }], true);
    assert.deepEqual(await codec.decode([payload]), [payload]);
    await assert.rejects(new AesGcmCodec([{ id: 'k1', key: randomBytes(32) }]).decode([payload]), /not encrypted/);
    const [sealed] = await codec.encode([payload]);
    const data = Buffer.from(sealed!.data!);
    data[20] = (data[20] ?? 0) ^ 0xff;
    await assert.rejects(codec.decode([{ ...sealed!, data }]));
  });

  it('names a missing key', async () => {
    const [sealed] = await new AesGcmCodec([{ id: 'gone', key: randomBytes(32) }]).encode([payload]);
    await assert.rejects(new AesGcmCodec([{ id: 'k1', key: randomBytes(32) }]).decode([sealed!]), /no codec key "gone"/);
  });
});
