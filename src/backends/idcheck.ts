import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { compactDecrypt, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
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
}

/**
 * The ID service's key pair. Kept in the data folder when there is one, so packages encrypted before a
 * restart still open after it; generated in memory otherwise.
 */
export async function loadIdKeys(path: string | null): Promise<IdKeys> {
  if (path && existsSync(path)) {
    const jwk = JSON.parse(readFileSync(path, 'utf8')) as JWK;
    const { d: _d, ...publicJwk } = jwk;
    return { kid: jwk.kid!, publicJwk, privateKey: await importJWK(jwk, ID_PACKAGE_ALG) };
  }
  const pair = await generateKeyPair(ID_PACKAGE_ALG, { extractable: true });
  const privateJwk = { ...(await exportJWK(pair.privateKey)), alg: ID_PACKAGE_ALG, use: 'enc' };
  const { d: _d, ...withoutD } = privateJwk;
  const kid = createHash('sha256').update(JSON.stringify(withoutD)).digest('base64url').slice(0, 16);
  if (path) writeFileSync(path, JSON.stringify({ ...privateJwk, kid }), { mode: 0o600 });
  return { kid, publicJwk: { ...withoutD, kid }, privateKey: pair.privateKey };
}

const VerifySchema = z.object({ package: z.string().min(1).max(8_192) });

/**
 * The ID checking service: takes the rider's credentials only as a JWE encrypted to its public key,
 * matches them against the opt-in registry of locals, and keeps a salted hash, never the clear values.
 */
export function idcheckRoutes(service: BackendService, keys: IdKeys) {
  return (router: ServiceRouter) => {
    router.read('public-key', '/public-key', () => ok({ kid: keys.kid, alg: ID_PACKAGE_ALG, enc: ID_PACKAGE_ENC, jwk: keys.publicJwk }));
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
        documentHash: createHash('sha256').update(`${keys.kid}:${credentials.documentNumber}`).digest('base64url'),
        residentStatus: local ? 'LOCAL' : 'VISITOR',
      });
      return ok({ verificationId: verification.id, residentStatus: verification.residentStatus, householdSize: local?.householdSize ?? 1 }, 201);
    });
  };
}

async function open(jwe: string, keys: IdKeys): Promise<z.infer<typeof CredentialsSchema> | null> {
  try {
    const { plaintext } = await compactDecrypt(jwe, keys.privateKey, { keyManagementAlgorithms: [ID_PACKAGE_ALG], contentEncryptionAlgorithms: [ID_PACKAGE_ENC] });
    const parsed = CredentialsSchema.safeParse(JSON.parse(new TextDecoder().decode(plaintext)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
