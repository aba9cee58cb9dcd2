import { randomBytes } from 'node:crypto';
import { badRequest, notFound, unauthorized } from '../../../core/errors.js';
import { KIND, type AppCredential, type Domain, type OAuthAccessToken, type Project, type Revocation, type Role, type User } from './models.js';
import type { OAuth1 } from './oauth1.js';
import { Repo, type IdentityContext } from './context.js';
import { TokenCodec, type TokenPayload } from './token-codec.js';
import type { Domains, Projects } from './projects.js';
import type { Groups, Users } from './users.js';
import type { Roles } from './roles.js';
import type { Assignments } from './assignments.js';
import type { AppCredentials } from './credentials.js';

export interface NameOrId {
  id?: string;
  name?: string;
  domain?: { id?: string; name?: string };
}

export type Scope =
  | { project: NameOrId }
  | { domain: { id?: string; name?: string } }
  | { system: true }
  | { unscoped: true }
  | undefined;

/** A parsed `POST /v3/auth/tokens` body (schemas/auth.ts does the wire parsing). */
export interface AuthRequest {
  methods: string[];
  password?: { user: NameOrId & { password: string } };
  token?: { id: string };
  applicationCredential?: { id?: string; name?: string; secret: string; user?: NameOrId };
  /** OS-OAUTH1: the access token whose signature the route already verified. */
  oauth1?: OAuthAccessToken;
  scope: Scope;
}

/** A token resolved against current identity data. */
export interface ValidToken {
  token: string;
  payload: TokenPayload;
  user: User;
  userDomain: Domain;
  project?: Project;
  projectDomain?: Domain;
  domain?: Domain;
  system?: boolean;
  roles: Role[];
  appCred?: AppCredential;
  oauthAccessToken?: OAuthAccessToken;
}

interface Deps {
  domains: Domains;
  projects: Projects;
  users: Users;
  groups: Groups;
  roles: Roles;
  assignments: Assignments;
  appCreds: AppCredentials;
  oauth1: OAuth1;
}

const SECRET_ID = 'token-keys';
const INVALID = 'The request you have made requires authentication.';

/**
 * Issues, validates and revokes tokens. Validation decrypts the token with the key, checks the
 * in-memory revocation list, then resolves user, scope and roles from the identity memo, so
 * a warm validation does no database read.
 */
export class Tokens {
  private codec!: TokenCodec;
  private readonly revocations: Repo<Revocation & { id: string }>;
  private byAudit = new Set<string>();
  private userEvents = new Map<string, number>();
  /** Decoded payloads of recently seen tokens: decryption is the costliest step of a validate. */
  private decoded = new Map<string, TokenPayload>();
  private projectEvents = new Map<string, number>();

  constructor(
    private readonly ctx: IdentityContext,
    private readonly d: Deps,
  ) {
    this.revocations = new Repo(ctx, KIND.revocation, 'revocation');
  }

  /** Loads (or creates) the token key and the live revocation events. */
  async init(): Promise<void> {
    let rec = await this.ctx.store.get<{ keys: string[] }>(KIND.secret, SECRET_ID);
    if (!rec) {
      await this.ctx.store.create(KIND.secret, SECRET_ID, { keys: [TokenCodec.generateKey().toString('base64')] });
      rec = await this.ctx.store.get<{ keys: string[] }>(KIND.secret, SECRET_ID);
    }
    this.codec = new TokenCodec(rec!.data.keys.map((k) => Buffer.from(k, 'base64')));
    const now = this.ctx.clock.now();
    for (const r of await this.revocations.list()) {
      if (r.expiresAt <= now) await this.revocations.delete(r.id);
      else this.remember(r);
    }
  }

  private remember(r: Revocation): void {
    if (r.auditId) this.byAudit.add(r.auditId);
    if (r.userId) this.userEvents.set(r.userId, Math.max(this.userEvents.get(r.userId) ?? 0, r.issuedBefore));
    if (r.projectId) this.projectEvents.set(r.projectId, Math.max(this.projectEvents.get(r.projectId) ?? 0, r.issuedBefore));
  }

  private async record(r: Revocation): Promise<void> {
    this.remember(r);
    await this.ctx.store.create(KIND.revocation, randomBytes(12).toString('hex'), r);
  }

  private isRevoked(p: TokenPayload): boolean {
    if (p.auditIds[0] && this.byAudit.has(p.auditIds[0])) return true;
    const u = this.userEvents.get(p.userId);
    if (u !== undefined && p.issuedAt < u) return true;
    if (p.projectId) {
      const pr = this.projectEvents.get(p.projectId);
      if (pr !== undefined && p.issuedAt < pr) return true;
    }
    return false;
  }

  async revoke(v: ValidToken): Promise<void> {
    await this.record({ auditId: v.payload.auditIds[0]!, issuedBefore: 0, expiresAt: v.payload.expiresAt });
  }

  /** Every token of this user issued until now stops working. */
  async revokeUser(userId: string): Promise<void> {
    const now = this.ctx.clock.now();
    await this.record({ userId, issuedBefore: now, expiresAt: now + this.ctx.config.tokenTtl * 1000 });
  }

  async revokeProject(projectId: string): Promise<void> {
    const now = this.ctx.clock.now();
    await this.record({ projectId, issuedBefore: now, expiresAt: now + this.ctx.config.tokenTtl * 1000 });
  }

  /** `POST /v3/auth/tokens`. Every failure to authenticate is a 401 that reveals nothing. */
  async issue(req: AuthRequest): Promise<ValidToken> {
    const now = this.ctx.clock.now();
    let user: User | undefined;
    let expiresAt = now + this.ctx.config.tokenTtl * 1000;
    let methods = [...new Set(req.methods)];
    let parentAudit: string | undefined;
    let appCred: AppCredential | undefined;
    let scope = req.scope;

    if (req.methods.includes('token')) {
      if (!req.token?.id) throw badRequest("Invalid input for field 'identity/token/id'.");
      const prior = await this.validate(req.token.id).catch(() => undefined);
      if (!prior) throw unauthorized('The token used for rescoping is not valid.');
      if (prior.appCred) throw unauthorized('A token from an application credential cannot be rescoped.');
      user = prior.user;
      expiresAt = prior.payload.expiresAt;
      methods = [...new Set([...prior.payload.methods, ...methods])];
      parentAudit = prior.payload.auditIds[0];
    }
    if (req.methods.includes('password')) {
      if (!req.password) throw badRequest("Invalid input for field 'identity/password'.");
      const found = await this.findUser(req.password.user);
      if (!(await this.d.users.checkPassword(found, req.password.user.password)) || !found) throw unauthorized(INVALID);
      if (user && user.id !== found.id) throw unauthorized(INVALID);
      user = found;
    }
    if (req.methods.includes('application_credential')) {
      const ac = req.applicationCredential;
      if (!ac) throw badRequest("Invalid input for field 'identity/application_credential'.");
      appCred = await this.findAppCred(ac);
      if (!appCred || !(await this.d.appCreds.verify(appCred, ac.secret))) throw unauthorized(INVALID);
      user = await this.d.users.find(appCred.userId);
      if (scope && !('unscoped' in scope) && !('project' in scope && scope.project.id === appCred.projectId))
        throw unauthorized('An application credential token is always scoped to its own project.');
      scope = { project: { id: appCred.projectId } };
      if (appCred.expiresAt !== null) expiresAt = Math.min(expiresAt, appCred.expiresAt);
    }
    let oauth: OAuthAccessToken | undefined;
    if (req.methods.includes('oauth1')) {
      oauth = req.oauth1;
      if (!oauth) throw unauthorized('The oauth1 method needs a request signed with an OAuth access token.');
      if (user && user.id !== oauth.userId) throw unauthorized(INVALID);
      user = await this.d.users.find(oauth.userId);
      if (scope && !('project' in scope && scope.project.id === oauth.projectId))
        throw unauthorized('An OAuth token is always scoped to the project of its access token.');
      scope = { project: { id: oauth.projectId } };
      if (oauth.expiresAt !== null) expiresAt = Math.min(expiresAt, oauth.expiresAt);
    }
    if (!user) throw unauthorized(INVALID);
    await this.checkUserUsable(user);

    const payload: TokenPayload = {
      userId: user.id,
      methods,
      issuedAt: now,
      expiresAt,
      auditIds: parentAudit ? [auditId(), parentAudit] : [auditId()],
    };
    if (appCred) payload.appCredId = appCred.id;
    if (oauth) payload.oauthAccessTokenId = oauth.id;
    if (scope === undefined && user.defaultProjectId) {
      // Keystone scopes to the default project when none is asked for and the user has a role there.
      const p = await this.d.projects.find(user.defaultProjectId);
      if (p?.enabled && (await this.d.assignments.effectiveRoleIds(user.id, { projectId: p.id })).length)
        payload.projectId = p.id;
    } else if (scope && 'project' in scope) {
      payload.projectId = (await this.findProject(scope.project)).id;
    } else if (scope && 'domain' in scope) {
      payload.domainId = (await this.findDomain(scope.domain)).id;
    } else if (scope && 'system' in scope) {
      payload.system = true;
    }
    const token = this.codec.encode(payload);
    const v = await this.resolve(token, payload);
    if (!v) throw unauthorized('The user has no roles on the requested scope, or the scope is disabled.');
    return v;
  }

  /** Full validation; rejects with NotFound (Keystone's answer for a bad subject token). */
  async validate(token: string): Promise<ValidToken> {
    const p = this.decode(token);
    const bad = () => notFound('token', token.length > 16 ? token.slice(0, 8) + '…' : token, 'TokenNotFound');
    if (!p || p.expiresAt <= this.ctx.clock.now() || this.isRevoked(p)) throw bad();
    const v = await this.resolve(token, p);
    if (!v) throw bad();
    return v;
  }

  private decode(token: string): TokenPayload | undefined {
    const hit = this.decoded.get(token);
    if (hit) return hit;
    const p = this.codec.decode(token);
    if (p) {
      if (this.decoded.size >= 10_000) this.decoded.clear();
      this.decoded.set(token, p);
    }
    return p;
  }

  private async resolve(token: string, p: TokenPayload): Promise<ValidToken | undefined> {
    const user = await this.ctx.cached(`user:${p.userId}`, () => this.d.users.find(p.userId));
    if (!user || !user.enabled) return undefined;
    const userDomain = await this.cachedDomain(user.domainId);
    if (!userDomain?.enabled) return undefined;
    const v: ValidToken = { token, payload: p, user, userDomain, roles: [] };
    let roleIds: string[] = [];
    if (p.projectId) {
      const project = await this.ctx.cached(`project:${p.projectId}`, () => this.d.projects.find(p.projectId!));
      if (!project?.enabled) return undefined;
      const projectDomain = await this.cachedDomain(project.domainId);
      if (!projectDomain?.enabled) return undefined;
      v.project = project;
      v.projectDomain = projectDomain;
      roleIds = await this.d.assignments.effectiveRoleIds(user.id, { projectId: project.id });
    } else if (p.domainId) {
      const domain = await this.cachedDomain(p.domainId);
      if (!domain?.enabled) return undefined;
      v.domain = domain;
      roleIds = await this.d.assignments.effectiveRoleIds(user.id, { domainId: domain.id });
    } else if (p.system) {
      v.system = true;
      roleIds = await this.d.assignments.effectiveRoleIds(user.id, { system: true });
    }
    if (p.appCredId) {
      const ac = await this.ctx.cached(`appcred:${p.appCredId}`, () => this.d.appCreds.repo.get(p.appCredId!));
      if (!ac) return undefined;
      v.appCred = ac;
      const granted = await this.d.roles.closure(ac.roleIds);
      roleIds = roleIds.filter((r) => granted.includes(r));
    }
    if (p.oauthAccessTokenId) {
      const at = await this.ctx.cached(`oauth-at:${p.oauthAccessTokenId}`, () => this.d.oauth1.accessTokens.get(p.oauthAccessTokenId!));
      if (!at || (at.expiresAt !== null && at.expiresAt <= this.ctx.clock.now())) return undefined;
      v.oauthAccessToken = at;
      const granted = await this.d.roles.closure(at.roleIds);
      roleIds = roleIds.filter((r) => granted.includes(r));
    }
    if ((p.projectId || p.domainId || p.system) && roleIds.length === 0) return undefined;
    const roles = await this.d.roles.byIdMap();
    v.roles = roleIds.map((id) => roles.get(id)).filter((r): r is Role => r !== undefined);
    return v;
  }

  private cachedDomain(id: string): Promise<Domain | undefined> {
    return this.ctx.cached(`domain:${id}`, () => this.d.domains.find(id));
  }

  private async checkUserUsable(user: User): Promise<void> {
    if (!user.enabled) throw unauthorized(INVALID);
    const dom = await this.d.domains.find(user.domainId);
    if (!dom?.enabled) throw unauthorized(INVALID);
  }

  private async findDomain(ref: { id?: string; name?: string }): Promise<Domain> {
    const d = ref.id ? await this.d.domains.find(ref.id) : ref.name ? await this.d.domains.byName(ref.name) : undefined;
    if (!d) throw unauthorized(`Could not find domain: ${ref.id ?? ref.name}.`);
    if (!d.enabled) throw unauthorized(`Domain ${d.id} is disabled.`);
    return d;
  }

  private async findUser(ref: NameOrId): Promise<User | undefined> {
    if (ref.id) return this.d.users.find(ref.id);
    if (!ref.name || !ref.domain) throw badRequest('Expecting to find domain in user. A user name needs a domain id or name.');
    const dom = ref.domain.id ? await this.d.domains.find(ref.domain.id) : await this.d.domains.byName(ref.domain.name ?? '');
    if (!dom) return undefined;
    return this.d.users.byName(dom.id, ref.name);
  }

  private async findProject(ref: NameOrId): Promise<Project> {
    let p: Project | undefined;
    if (ref.id) p = await this.d.projects.find(ref.id);
    else {
      if (!ref.name || !ref.domain) throw badRequest('Expecting to find domain in project. A project name needs a domain id or name.');
      const dom = await this.findDomain(ref.domain);
      p = await this.d.projects.byName(dom.id, ref.name);
    }
    if (!p) throw unauthorized(`Could not find project: ${ref.id ?? ref.name}.`);
    if (!p.enabled) throw unauthorized(`Project ${p.id} is disabled.`);
    return p;
  }

  private async findAppCred(ac: NonNullable<AuthRequest['applicationCredential']>): Promise<AppCredential | undefined> {
    if (ac.id) return this.d.appCreds.repo.get(ac.id);
    if (!ac.name || !ac.user) throw badRequest('An application credential needs an id, or a name and a user.');
    const user = await this.findUser(ac.user);
    if (!user) return undefined;
    return (await this.d.appCreds.list(user.id, ac.name))[0];
  }
}

function auditId(): string {
  return randomBytes(16).toString('base64url');
}
