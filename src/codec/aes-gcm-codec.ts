import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_HEADER = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** IVs are drawn from the system's random source this many at a time (each is used once). */
const IVS_PER_DRAW = 512;

export interface CodecKey {
  id: string;
  key: Buffer;
}

/**
 * Encrypts Temporal payloads at rest with AES-256-GCM: inputs, results, signal and update arguments, memo.
 * The key id travels in the payload's metadata; the first key encrypts, every key decrypts, so a key is
 * rotated by putting a new one first and keeping the old ones until no history needs them. A payload
 * without the encryption metadata (recorded before encryption was on) is refused unless `acceptPlaintext`
 * says such histories exist; otherwise anyone who can write to Temporal could slip in a plain payload.
 */
export class AesGcmCodec implements PayloadCodec {
  private readonly keys: Map<string, KeyObject>;
  private readonly sealWith: { id: string; key: KeyObject };
  private ivs = Buffer.alloc(0);

  constructor(
    keyList: CodecKey[],
    private readonly acceptPlaintext = false,
  ) {
    if (keyList.length === 0) throw new Error('the payload codec needs at least one key');
    for (const { id, key } of keyList) if (key.length !== 32) throw new Error(`codec key ${id} must be 32 bytes`);
    this.keys = new Map(keyList.map(({ id, key }) => [id, createSecretKey(key)]));
    this.sealWith = { id: keyList[0]!.id, key: createSecretKey(keyList[0]!.key) };
  }

  /** A fresh random IV; never one handed out before. */
  private nextIv(): Buffer {
    if (this.ivs.length < IV_BYTES) this.ivs = randomBytes(IV_BYTES * IVS_PER_DRAW);
    const iv = this.ivs.subarray(0, IV_BYTES);
    this.ivs = this.ivs.subarray(IV_BYTES);
    return iv;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.sealWith;
    return payloads.map((payload) => {
      const iv = this.nextIv();
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_HEADER]: Buffer.from(id) },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (Buffer.from(payload.metadata?.encoding ?? []).toString() !== ENCRYPTED_ENCODING) {
        if (this.acceptPlaintext) return payload;
        throw new Error('the payload is not encrypted (set SAGAWAY_CODEC_ACCEPT_PLAINTEXT=true for histories written before encryption)');
      }
      const id = Buffer.from(payload.metadata?.[KEY_ID_HEADER] ?? []).toString();
      const key = this.keys.get(id);
      if (!key) throw new Error(`no codec key "${id}" to decrypt this payload (add it to SAGAWAY_CODEC_KEYS)`);
      const data = Buffer.from(payload.data ?? []);
      // An IV, a 16-byte tag and at least the smallest encoded payload; a shorter tag would weaken GCM.
      if (data.length < IV_BYTES + TAG_BYTES + 1) throw new Error('the encrypted payload is too short to be one');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}

/** `keyId:base64key,...` as SAGAWAY_CODEC_KEYS holds them. */
export function parseCodecKeys(raw: string): CodecKey[] {
  return raw
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf(':');
      return { id: pair.slice(0, at), key: Buffer.from(pair.slice(at + 1), 'base64') };
    });
}
