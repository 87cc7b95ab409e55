/**
 * The audit trail's tamper evidence. Each entry's hash is SHA-256 over its canonical JSON (keys sorted,
 * no spaces), which includes the hash of the saga's previous entry and of the previous entry overall:
 * editing, deleting or moving an entry breaks a link. The head of the global chain is signed (Ed25519)
 * now and then, so rewriting the whole chain after an entry is caught too, by whoever holds the public key.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export const GENESIS = '0'.repeat(64);

/** One entry as stored and exported; `hash` covers every other field. */
export interface AuditRecord {
  v: 1;
  globalSeq: number;
  sagaSeq: number;
  sagaId: string;
  sagaType: string;
  kind: string;
  key: string;
  actor: { client?: string; keyId?: string; operator?: string } | null;
  data: Record<string, unknown>;
  at: string;
  prevGlobalHash: string;
  prevSagaHash: string;
  hash: string;
}

/** A signed statement that the global chain's entry `globalSeq` has hash `hash`. */
export interface AuditCheckpoint {
  globalSeq: number;
  hash: string;
  at: string;
  keyId: string;
  signature: string;
}

/** JSON with sorted keys and no whitespace: one text per value, whatever order its keys were built in. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const fields = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${fields.map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`).join(',')}}`;
}

export const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export function hashOf(record: Omit<AuditRecord, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...content } = record;
  return sha256(canonicalJson(content));
}

/** What a checkpoint's signature covers. */
const signedText = (c: Omit<AuditCheckpoint, 'signature'>) => canonicalJson({ at: c.at, globalSeq: c.globalSeq, hash: c.hash, keyId: c.keyId });

/** `kid:base64 Ed25519 seed` pairs (SAGAWAY_AUDIT_SIGNING_KEYS): the first signs, every one verifies. */
export class AuditSigner {
  private readonly keys: Array<{ keyId: string; privateKey: KeyObject; publicKey: KeyObject }>;

  constructor(pairs: string) {
    this.keys = pairs.split(',').map((p) => p.trim()).filter(Boolean).map((pair) => {
      const at = pair.indexOf(':');
      const seed = Buffer.from(pair.slice(at + 1), 'base64');
      // PKCS#8 for an Ed25519 seed is a fixed 16-byte prefix and the 32-byte seed.
      const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
      const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      return { keyId: pair.slice(0, at), privateKey, publicKey: createPublicKey(privateKey) };
    });
    if (this.keys.length === 0) throw new Error('no audit signing key');
  }

  sign(head: { globalSeq: number; hash: string }, at: string): AuditCheckpoint {
    const { keyId, privateKey } = this.keys[0]!;
    const unsigned = { globalSeq: head.globalSeq, hash: head.hash, at, keyId };
    return { ...unsigned, signature: sign(null, Buffer.from(signedText(unsigned)), privateKey).toString('base64') };
  }

  /** The public keys, raw and base64 by key id: what a regulator pins to verify an export. */
  publicKeys(): Record<string, string> {
    return Object.fromEntries(this.keys.map((k) => [k.keyId, rawPublicKey(k.publicKey)]));
  }
}

function rawPublicKey(key: KeyObject): string {
  return Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
}

export function checkpointValid(checkpoint: AuditCheckpoint, publicKeys: Record<string, string>): boolean {
  const raw = publicKeys[checkpoint.keyId];
  if (!raw) return false;
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw, 'base64').toString('base64url') }, format: 'jwk' });
  return verify(null, Buffer.from(signedText(checkpoint)), key, Buffer.from(checkpoint.signature, 'base64'));
}
