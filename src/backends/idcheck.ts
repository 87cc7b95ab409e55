import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { compactDecrypt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { z } from 'zod';
import { INVALID_DOCUMENTS, LOCALS } from './kiosks';
import { ok, problem, type BackendService, type ServiceRouter } from './service';

export const ID_PACKAGE_ALG = 'ECDH-ES+A256KW';
export const ID_PACKAGE_ENC = 'A256GCM';

const CredentialsSchema = z.object({
  documentNumber: z.string().regex(/^[A-Z]\d{7}$/),
  issuingRegion: z.string().min(1),
  dateOfBirth: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});

export interface IdKeys {
  kid: string;
  publicJwk: JWK;
  privateKey: Awaited<ReturnType<typeof importJWK>>;
  /** The HMAC key of stored document hashes; never leaves the service. */
  hashSecret: Buffer;
  /** The key before the last rotation: packages sealed with it still open, so a rotation breaks no saga. */
  previous?: { kid: string; privateKey: IdKeys['privateKey'] };
}

/** A new key pair becomes current; the old one only opens packages sealed before (simulation: in memory). */
export async function rotateIdKeys(keys: IdKeys): Promise<void> {
  const next = await loadIdKeys(null);
  keys.previous = { kid: keys.kid, privateKey: keys.privateKey };
  Object.assign(keys, { kid: next.kid, publicJwk: next.publicJwk, privateKey: next.privateKey });
}

/**
 * The ID service's key pair. Kept in the data folder when there is one, so packages encrypted before a
 * restart still open after it; generated in memory otherwise.
 */
export async function loadIdKeys(path: string | null): Promise<IdKeys> {
  if (path && existsSync(path)) {
    const { hashSecret, ...jwk } = JSON.parse(readFileSync(path, 'utf8')) as JWK & { hashSecret?: string };
    const { d: _d, ...publicJwk } = jwk;
    return { kid: jwk.kid!, publicJwk, privateKey: await importJWK(jwk, ID_PACKAGE_ALG), hashSecret: secretOf(hashSecret, path, jwk) };
  }
  const pair = await generateKeyPair(ID_PACKAGE_ALG, { extractable: true });
  const privateJwk = { ...(await exportJWK(pair.privateKey)), alg: ID_PACKAGE_ALG, use: 'enc' };
  const { d: _d, ...withoutD } = privateJwk;
  const kid = createHash('sha256').update(JSON.stringify(withoutD)).digest('base64url').slice(0, 16);
  const hashSecret = randomBytes(32);
  if (path) writeFileSync(path, JSON.stringify({ ...privateJwk, kid, hashSecret: hashSecret.toString('base64') }), { mode: 0o600 });
  return { kid, publicJwk: { ...withoutD, kid }, privateKey: pair.privateKey, hashSecret };
}

/** A key file written before the hash secret existed gets one now, kept beside the key. */
function secretOf(stored: string | undefined, path: string, jwk: JWK): Buffer {
  if (stored) return Buffer.from(stored, 'base64');
  const secret = randomBytes(32);
  writeFileSync(path, JSON.stringify({ ...jwk, hashSecret: secret.toString('base64') }), { mode: 0o600 });
  return secret;
}

const VerifySchema = z.object({ package: z.string().min(1).max(8_192) });

/**
 * The ID checking service: takes the rider's credentials only as a JWE encrypted to its public key,
 * matches them against the opt-in registry of locals, and keeps a keyed hash (HMAC), never the clear values.
 */
export function idcheckRoutes(service: BackendService, keys: IdKeys) {
  return (router: ServiceRouter) => {
    router.read('public-key', '/public-key', () => ok({ kid: keys.kid, alg: ID_PACKAGE_ALG, enc: ID_PACKAGE_ENC, jwk: keys.publicJwk }), 'public');
    router.write('verify', 'POST', '/verifications', async ({ body, sagaId, key }) => {
      const parsed = VerifySchema.safeParse(body);
      if (!parsed.success) return problem(400, 'InvalidRequest', 'package (a JWE compact string) is required');
      const credentials = await open(parsed.data.package, keys);
      if (!credentials) return problem(422, 'IdRejected', 'the credentials package cannot be opened or is incomplete');
      if (INVALID_DOCUMENTS.has(credentials.documentNumber)) return problem(422, 'IdRejected', 'the document is not valid');
      const local = LOCALS[credentials.documentNumber];
      const verification = service.save({
        id: service.newId('ver'),
        kind: 'verification',
        sagaId,
        status: 'VERIFIED',
        reference: key,
        // Keyed with a server secret: document numbers are few enough to be guessed from a plain hash.
        documentHash: createHmac('sha256', keys.hashSecret).update(credentials.documentNumber).digest('base64url'),
        residentStatus: local ? 'LOCAL' : 'VISITOR',
      });
      return ok({ verificationId: verification.id, residentStatus: verification.residentStatus, householdSize: local?.householdSize ?? 1 }, 201);
    });
    router.admin('POST', '/keys/rotate', async () => {
      await rotateIdKeys(keys);
      return ok({ kid: keys.kid });
    });
  };
}

async function open(jwe: string, keys: IdKeys): Promise<z.infer<typeof CredentialsSchema> | null> {
  try {
    const { kid } = decodeProtectedHeader(jwe);
    const key = kid === keys.kid ? keys.privateKey : kid === keys.previous?.kid ? keys.previous!.privateKey : null;
    if (!key) return null;
    const { plaintext } = await compactDecrypt(jwe, key, { keyManagementAlgorithms: [ID_PACKAGE_ALG], contentEncryptionAlgorithms: [ID_PACKAGE_ENC] });
    const parsed = CredentialsSchema.safeParse(JSON.parse(new TextDecoder().decode(plaintext)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
