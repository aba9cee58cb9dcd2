import { randomBytes } from 'node:crypto';
import { hexId } from '../../../core/ids.js';
import { KIND, type Consumer, type OAuthAccessToken, type OAuthRequestToken } from './models.js';
import { Repo, type IdentityContext } from './context.js';

/**
 * A consumer or token secret: 32 hex digits, as Keystone's `uuid4().hex` (never starting with
 * '-', which command lines would take for an option, as base64url could).
 */
export const secret = () => randomBytes(16).toString('hex');

/** OS-OAUTH1 consumers and tokens (the delegation flow lives in oauth1-flow.ts). */
export class OAuth1 {
  readonly consumers: Repo<Consumer>;
  readonly requestTokens: Repo<OAuthRequestToken>;
  readonly accessTokens: Repo<OAuthAccessToken>;

  constructor(readonly ctx: IdentityContext) {
    this.consumers = new Repo<Consumer>(ctx, KIND.consumer, 'consumer');
    this.requestTokens = new Repo<OAuthRequestToken>(ctx, KIND.oauthRequestToken, 'request token');
    this.accessTokens = new Repo<OAuthAccessToken>(ctx, KIND.oauthAccessToken, 'access token');
  }

  createConsumer(description: string | null, extra: Record<string, unknown>): Promise<Consumer> {
    return this.consumers.create({ id: hexId(), description, secret: secret(), extra });
  }

  async updateConsumer(id: string, patch: { description?: string | null; extra?: Record<string, unknown> }): Promise<Consumer> {
    const cur = await this.consumers.require(id);
    const next: Consumer = { ...cur, extra: { ...cur.extra, ...(patch.extra ?? {}) } };
    if (patch.description !== undefined) next.description = patch.description;
    return this.consumers.update(next);
  }

  /** Deleting a consumer voids every token it was given. */
  async deleteConsumer(id: string): Promise<void> {
    await this.consumers.require(id);
    await this.requestTokens.deleteWhere({ consumerId: id });
    await this.accessTokens.deleteWhere({ consumerId: id });
    await this.consumers.delete(id);
  }
}
