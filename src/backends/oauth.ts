import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { jwtVerify, SignJWT } from 'jose';

export interface OAuthClientConfig {
  id: string;
  secret: string;
  /** How long an access token lives; short in tests, so a run of orders sees it renewed. */
  tokenTtlSeconds?: number;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * A simulated OAuth 2.0 authorization server for one resource (the payments service): the client
 * credentials grant only, for one configured client. Access tokens are JWTs signed with a secret that
 * lives and dies with the process, so a restart makes callers fetch a new one (their 401 path).
 */
export class OAuthIssuer {
  private signingKey = randomBytes(32);
  issued = 0;

  constructor(
    private readonly resource: string,
    private readonly client: OAuthClientConfig,
  ) {}

  /** `POST <prefix>/oauth/token`, as RFC 6749 section 4.4 describes it (client_secret_basic). */
  mount(app: FastifyInstance, prefix: string): void {
    app.post(`${prefix}/oauth/token`, async (req, res) => {
      res.header('cache-control', 'no-store');
      if (!this.authenticates(req)) return res.code(401).header('www-authenticate', 'Basic realm="oauth"').send({ error: 'invalid_client' });
      const grant = new URLSearchParams(typeof req.body === 'string' ? req.body : '').get('grant_type');
      if (grant !== 'client_credentials') return res.code(400).send({ error: 'unsupported_grant_type' });
      const ttl = this.client.tokenTtlSeconds ?? 300;
      const accessToken = await new SignJWT({ scope: this.resource })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(this.client.id)
        .setAudience(this.resource)
        .setJti(randomUUID())
        .setExpirationTime(`${ttl}s`)
        .sign(this.signingKey);
      this.issued += 1;
      return { access_token: accessToken, token_type: 'Bearer', expires_in: ttl };
    });
  }

  /** Every token issued so far stops working (as a restart of the authorization server does). */
  revokeAll(): void {
    this.signingKey = randomBytes(32);
  }

  /** Why the bearer access token of this request is refused, or null when it is good. */
  async refusal(req: FastifyRequest): Promise<string | null> {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!match) return `an OAuth access token for ${this.resource} is required`;
    try {
      await jwtVerify(match[1]!, this.signingKey, { audience: this.resource, algorithms: ['HS256'] });
      return null;
    } catch {
      return 'the access token is not valid or has expired';
    }
  }

  private authenticates(req: FastifyRequest): boolean {
    const credentials = basicCredentials(req.headers.authorization);
    const okId = credentials !== null && timingSafeEqual(digest(credentials.id), digest(this.client.id));
    const okSecret = credentials !== null && timingSafeEqual(digest(credentials.secret), digest(this.client.secret));
    return okId && okSecret;
  }
}

/**
 * The client id and secret of an HTTP Basic header as RFC 6749 section 2.3.1 has the client send them: each
 * form-urlencoded before they are joined by a colon, so a secret may hold `+`, `/`, `=` or `:`.
 */
function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  const match = /^Basic (\S+)$/.exec(header ?? '');
  if (!match) return null;
  const joined = Buffer.from(match[1]!, 'base64').toString();
  const colon = joined.indexOf(':');
  if (colon < 0) return null;
  const id = formDecode(joined.slice(0, colon));
  const secret = formDecode(joined.slice(colon + 1));
  return id === null || secret === null ? null : { id, secret };
}

function formDecode(value: string): string | null {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}
