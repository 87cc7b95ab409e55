import { z } from 'zod';

const TokenAnswerSchema = z.object({ access_token: z.string().min(1), token_type: z.string(), expires_in: z.number().positive() });

export interface OAuthClientOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
  now?: () => number;
}

/**
 * OAuth 2.0 client credentials for one backend: fetches an access token, keeps it, renews it before it
 * expires (past half its life) and when the backend refuses it (`forget`). One fetch at a time, however
 * many calls wait. The token and the secret go into headers only, never into an error or a log.
 */
export class OAuthClient {
  private cached: { token: string; renewAt: number } | null = null;
  private pending: Promise<string> | null = null;
  private readonly now: () => number;

  constructor(private readonly options: OAuthClientOptions) {
    this.now = options.now ?? Date.now;
  }

  async accessToken(): Promise<string> {
    if (this.cached && this.now() < this.cached.renewAt) return this.cached.token;
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  forget(): void {
    this.cached = null;
  }

  private async fetchToken(): Promise<string> {
    const basic = Buffer.from(`${encodeURIComponent(this.options.clientId)}:${encodeURIComponent(this.options.clientSecret)}`).toString('base64');
    const started = this.now();
    let res: Response;
    try {
      res = await fetch(this.options.tokenUrl, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: 'grant_type=client_credentials',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      throw new Error(`the token endpoint is not reachable: ${(err as Error).name}`);
    }
    if (!res.ok) throw new Error(`the token endpoint refused the client credentials (HTTP ${res.status})`);
    const parsed = TokenAnswerSchema.safeParse(await res.json().catch(() => null));
    if (!parsed.success) throw new Error('the token endpoint answered something that is not a token');
    this.cached = { token: parsed.data.access_token, renewAt: started + (parsed.data.expires_in * 1000) / 2 };
    return parsed.data.access_token;
  }
}
