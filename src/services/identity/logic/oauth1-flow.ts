import { randomBytes } from 'node:crypto';
import { badRequest, forbidden, notFound, unauthorized } from '../../../core/errors.js';
import { hexId } from '../../../core/ids.js';
import type { Assignments } from './assignments.js';
import type { IdentityContext } from './context.js';
import type { Consumer, OAuthAccessToken, OAuthRequestToken } from './models.js';
import { secret, type OAuth1 } from './oauth1.js';
import { baseString, parseAuthorization, sign, signatureMatches } from './oauth1-sign.js';
import type { Projects } from './projects.js';
import type { Roles } from './roles.js';

const VERIFIER_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Keystone's defaults: [oauth1] request_token_duration and access_token_duration. */
const REQUEST_TOKEN_TTL_S = 28_800;
const ACCESS_TOKEN_TTL_S = 86_400;
/** How far a request's oauth_timestamp may be from our clock. */
const CLOCK_SKEW_S = 600;

/** What the routes know about a signed request. */
export interface SignedRequest {
  method: string;
  /** The URLs the client may have signed (as it addressed us; as we advertise ourselves). */
  urls: string[];
  authorization: string | undefined;
  /** Parameters of a form-encoded body, which are signed too. */
  formParams: [string, string][];
}

interface Verified {
  consumer: Consumer;
  params: Map<string, string>;
}

/**
 * The OS-OAUTH1 delegation flow: a consumer asks for a request token on a project, a user
 * authorizes it with some of their roles there, the consumer trades it (with the verifier) for
 * an access token, and authenticates with that access token to get Keystone tokens limited to
 * those roles. Every consumer call is signed with HMAC-SHA1 (RFC 5849).
 */
export class OAuth1Flow {
  private nonces = new Map<string, number>();

  constructor(
    private readonly ctx: IdentityContext,
    private readonly o: OAuth1,
    private readonly projects: Projects,
    private readonly roles: Roles,
    private readonly assignments: Assignments,
  ) {}

  /** Checks the signature, timestamp and nonce; `tokenSecret` signs along with the consumer's. */
  private async verify(req: SignedRequest, tokenSecret: (params: Map<string, string>) => Promise<string>): Promise<Verified> {
    const params = parseAuthorization(req.authorization);
    if (!params) throw unauthorized('An OAuth Authorization header is required: Authorization: OAuth oauth_consumer_key="…", oauth_signature="…", ….');
    for (const k of ['oauth_consumer_key', 'oauth_signature', 'oauth_signature_method', 'oauth_timestamp', 'oauth_nonce'])
      if (!params.get(k)) throw badRequest(`The OAuth Authorization header lacks ${k}.`);
    if (params.get('oauth_signature_method') !== 'HMAC-SHA1') throw badRequest('Only the HMAC-SHA1 OAuth signature method is supported.');
    const consumer = await this.o.consumers.get(params.get('oauth_consumer_key')!);
    if (!consumer) throw unauthorized('The OAuth consumer is unknown; check oauth_consumer_key.');
    const now = Math.floor(this.ctx.clock.now() / 1000);
    const ts = Number(params.get('oauth_timestamp'));
    if (!Number.isInteger(ts) || Math.abs(now - ts) > CLOCK_SKEW_S) throw unauthorized('The oauth_timestamp is missing or too far from the server clock.');
    const tsecret = await tokenSecret(params);
    const given = params.get('oauth_signature')!;
    const fields = [...params.entries(), ...req.formParams];
    const ok = req.urls.some((url) => signatureMatches(sign(baseString(req.method, url, fields), consumer.secret, tsecret), given));
    if (!ok) throw unauthorized('Invalid OAuth signature: sign the request with the consumer secret (and the token secret) over the URL you called.');
    const nonceKey = `${consumer.id}:${params.get('oauth_nonce')}:${ts}`;
    if (this.nonces.has(nonceKey)) throw unauthorized('This OAuth nonce was already used; sign each request with a fresh nonce.');
    this.rememberNonce(nonceKey, now);
    return { consumer, params };
  }

  private rememberNonce(key: string, now: number): void {
    if (this.nonces.size > 10_000) for (const [k, t] of this.nonces) if (now - t > CLOCK_SKEW_S * 2) this.nonces.delete(k);
    this.nonces.set(key, now);
  }

  /** `POST /OS-OAUTH1/request_token`, signed with the consumer secret alone. */
  async createRequestToken(req: SignedRequest, projectId: string | undefined): Promise<OAuthRequestToken> {
    if (!projectId) throw badRequest('The Requested-Project-Id header is required: name the project the consumer asks access to.');
    const { consumer, params } = await this.verify(req, async () => '');
    const callback = params.get('oauth_callback');
    if (callback !== undefined && callback !== 'oob') throw badRequest('Only out-of-band (oauth_callback="oob") OAuth callbacks are supported.');
    await this.projects.get(projectId);
    const t: OAuthRequestToken = {
      id: hexId(),
      secret: secret(),
      consumerId: consumer.id,
      projectId,
      expiresAt: this.ctx.clock.now() + REQUEST_TOKEN_TTL_S * 1000,
      authorizingUserId: null,
      roleIds: null,
      verifier: null,
    };
    return this.o.requestTokens.create(t);
  }

  /** `PUT /OS-OAUTH1/authorize/{id}`: the user delegates some of their roles on the project. */
  async authorize(requestTokenId: string, userId: string, roleRefs: { id?: string; name?: string }[]): Promise<string> {
    const t = await this.o.requestTokens.require(requestTokenId);
    if (t.expiresAt <= this.ctx.clock.now()) throw unauthorized('The request token has expired; ask for a new one.');
    if (t.authorizingUserId) throw unauthorized('The request token was already authorized.');
    if (roleRefs.length === 0) throw badRequest("Invalid input for field 'roles': give at least one role to delegate.");
    const have = new Set(await this.assignments.effectiveRoleIds(userId, { projectId: t.projectId }));
    const roleIds: string[] = [];
    for (const r of roleRefs) {
      const role = r.id ? await this.roles.find(r.id) : r.name ? await this.roles.byName(r.name) : undefined;
      if (!role) throw notFound('role', r.id ?? r.name ?? '');
      if (!have.has(role.id)) throw unauthorized(`The authorizing user does not have role ${role.name} on project ${t.projectId}.`);
      roleIds.push(role.id);
    }
    // Keystone's verifier: 8 letters and digits (no '-' or '_' a command line could misread).
    const verifier = [...randomBytes(8)].map((b) => VERIFIER_CHARS[b % VERIFIER_CHARS.length]).join('');
    await this.o.requestTokens.update({ ...t, authorizingUserId: userId, roleIds: [...new Set(roleIds)], verifier });
    return verifier;
  }

  /** `POST /OS-OAUTH1/access_token`: trades an authorized request token (and its verifier). */
  async createAccessToken(req: SignedRequest): Promise<OAuthAccessToken> {
    let rt: OAuthRequestToken | undefined;
    const { consumer, params } = await this.verify(req, async (p) => {
      const id = p.get('oauth_token');
      if (!id) throw badRequest('The OAuth Authorization header lacks oauth_token (the request token).');
      rt = await this.o.requestTokens.get(id);
      if (!rt) throw unauthorized('The request token is unknown or was already used.');
      return rt.secret;
    });
    const t = rt!;
    if (t.consumerId !== consumer.id) throw unauthorized('The request token was issued to another consumer.');
    if (t.expiresAt <= this.ctx.clock.now()) throw unauthorized('The request token has expired; ask for a new one.');
    if (!t.authorizingUserId || !t.roleIds || !t.verifier) throw unauthorized('The request token has not been authorized yet.');
    const v = params.get('oauth_verifier');
    if (!v || !signatureMatches(t.verifier, v)) throw unauthorized('The oauth_verifier does not match the one given when the token was authorized.');
    const at: OAuthAccessToken = {
      id: hexId(),
      secret: secret(),
      consumerId: consumer.id,
      userId: t.authorizingUserId,
      projectId: t.projectId,
      roleIds: t.roleIds,
      expiresAt: this.ctx.clock.now() + ACCESS_TOKEN_TTL_S * 1000,
    };
    await this.o.requestTokens.delete(t.id);
    return this.o.accessTokens.create(at);
  }

  /** The `oauth1` auth method: a request signed with the access token. */
  async authenticate(req: SignedRequest): Promise<OAuthAccessToken> {
    let at: OAuthAccessToken | undefined;
    const { consumer } = await this.verify(req, async (p) => {
      const id = p.get('oauth_token');
      if (!id) throw badRequest('The OAuth Authorization header lacks oauth_token (the access token).');
      at = await this.o.accessTokens.get(id);
      if (!at) throw unauthorized('The OAuth access token is unknown or was revoked.');
      return at.secret;
    });
    const t = at!;
    if (t.consumerId !== consumer.id) throw unauthorized('The access token was issued to another consumer.');
    if (t.expiresAt !== null && t.expiresAt <= this.ctx.clock.now()) throw unauthorized('The OAuth access token has expired.');
    return t;
  }

  /** A user's access tokens; only the user (or an admin) may see them. */
  async accessTokenOf(userId: string, id: string): Promise<OAuthAccessToken> {
    const t = await this.o.accessTokens.get(id);
    if (!t || t.userId !== userId) throw notFound('access token', id);
    return t;
  }

  async revoke(userId: string, id: string): Promise<void> {
    await this.accessTokenOf(userId, id);
    await this.o.accessTokens.delete(id);
  }

  /** Refuses what an OAuth-derived token may not do (delegate further). */
  static refuseDelegated(methods: string[]): void {
    if (methods.includes('oauth1')) throw forbidden('A token obtained with OAuth cannot be used to authorize OAuth request tokens.');
  }
}
