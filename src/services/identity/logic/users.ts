import { unauthorized, notFound, badRequest } from '../../../core/errors.js';
import { hexId } from '../../../core/ids.js';
import { KIND, type Group, type Membership, type User } from './models.js';
import { Repo, type IdentityContext } from './context.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { defined, DEFAULT_DOMAIN_ID, type Domains } from './projects.js';

export interface UserInput {
  id?: string;
  name: string;
  domainId?: string;
  password?: string | null;
  /** An already computed hash (bootstrap users share one password, so one hash). */
  passwordHash?: string;
  enabled?: boolean;
  defaultProjectId?: string | null;
  description?: string | null;
  email?: string | null;
  extra?: Record<string, unknown>;
}

export type UserPatch = Partial<Omit<UserInput, 'id' | 'domainId'>>;

/** Called when a user's existing tokens must stop working (password change, disable, delete). */
export type RevokeUser = (userId: string) => Promise<void>;

export class Users {
  readonly repo: Repo<User>;
  constructor(
    private readonly ctx: IdentityContext,
    private readonly domains: Domains,
    private readonly revokeUser: RevokeUser,
  ) {
    this.repo = new Repo<User>(
      ctx,
      KIND.user,
      'user',
      (u) => `${u.domainId}/${u.name}`,
      (u) => `Duplicate entry found with name ${u.name} at domain ID ${u.domainId}.`,
    );
  }

  get = (id: string) => this.repo.require(id);
  find = (id: string) => this.repo.get(id);
  byName = (domainId: string, name: string) => this.repo.byUniq(`${domainId}/${name}`);

  async list(f: { name?: string; domainId?: string; enabled?: boolean } = {}): Promise<User[]> {
    return this.repo.list(defined(f) as Record<string, string | boolean>);
  }

  async create(input: UserInput): Promise<User> {
    const domainId = input.domainId ?? DEFAULT_DOMAIN_ID;
    if (!(await this.domains.find(domainId))) throw notFound('domain', domainId);
    const u: User = {
      id: input.id ?? hexId(),
      name: input.name,
      domainId,
      enabled: input.enabled ?? true,
      passwordHash: input.passwordHash ?? (input.password == null ? null : await hashPassword(input.password)),
      passwordExpiresAt: null,
      defaultProjectId: input.defaultProjectId ?? null,
      description: input.description ?? null,
      email: input.email ?? null,
      extra: input.extra ?? {},
    };
    return this.repo.create(u);
  }

  async update(id: string, patch: UserPatch): Promise<User> {
    const cur = await this.repo.require(id);
    const { password, extra, ...rest } = patch;
    const next: User = { ...cur, ...defined(rest), id, extra: { ...cur.extra, ...(extra ?? {}) } };
    if (password !== undefined) next.passwordHash = password === null ? null : await hashPassword(password);
    await this.repo.update(next);
    if (password !== undefined || (cur.enabled && next.enabled === false)) await this.revokeUser(id);
    return next;
  }

  /** Self-service change; the original password must match (401 otherwise). */
  async changePassword(id: string, original: string, password: string): Promise<void> {
    const u = await this.repo.require(id);
    if (!(await verifyPassword(original, u.passwordHash))) throw unauthorized('The original password is incorrect.');
    if (password.length === 0) throw badRequest("Invalid input for field 'password': must not be empty.");
    await this.update(id, { password });
  }

  async delete(id: string, cascade: (userId: string) => Promise<void>): Promise<void> {
    await this.repo.require(id);
    await cascade(id);
    await this.repo.delete(id);
    await this.revokeUser(id);
  }

  /** Checks a password without revealing whether the user exists. */
  async checkPassword(u: User | undefined, password: string): Promise<boolean> {
    if (!u) {
      await verifyPassword(password, DUMMY_HASH); // same cost either way
      return false;
    }
    return verifyPassword(password, u.passwordHash);
  }
}

const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export class Groups {
  readonly repo: Repo<Group>;
  readonly members: Repo<Membership & { id: string }>;
  constructor(
    private readonly ctx: IdentityContext,
    private readonly domains: Domains,
    private readonly users: Users,
  ) {
    this.repo = new Repo<Group>(
      ctx,
      KIND.group,
      'group',
      (g) => `${g.domainId}/${g.name}`,
      (g) => `Duplicate entry found with name ${g.name} at domain ID ${g.domainId}.`,
    );
    this.members = new Repo(ctx, KIND.membership, 'membership');
  }

  get = (id: string) => this.repo.require(id);
  find = (id: string) => this.repo.get(id);

  async list(f: { name?: string; domainId?: string } = {}): Promise<Group[]> {
    return this.repo.list(defined(f) as Record<string, string>);
  }

  async create(input: Partial<Group> & { name: string }): Promise<Group> {
    const domainId = input.domainId ?? DEFAULT_DOMAIN_ID;
    if (!(await this.domains.find(domainId))) throw notFound('domain', domainId);
    return this.repo.create({ id: input.id ?? hexId(), name: input.name, domainId, description: input.description ?? '' });
  }

  async update(id: string, patch: Partial<Pick<Group, 'name' | 'description'>>): Promise<Group> {
    const cur = await this.repo.require(id);
    return this.repo.update({ ...cur, ...defined(patch), id });
  }

  async delete(id: string, cascade: (groupId: string) => Promise<void>): Promise<void> {
    await this.repo.require(id);
    await this.members.deleteWhere({ groupId: id });
    await cascade(id);
    await this.repo.delete(id);
  }

  async addUser(groupId: string, userId: string): Promise<void> {
    await this.repo.require(groupId);
    await this.users.get(userId);
    const id = `${groupId}:${userId}`;
    if (!(await this.members.get(id))) await this.members.create({ id, groupId, userId });
  }

  async removeUser(groupId: string, userId: string): Promise<void> {
    await this.repo.require(groupId);
    await this.users.get(userId);
    if (!(await this.members.delete(`${groupId}:${userId}`)))
      throw notFound('membership', `user ${userId} in group ${groupId}`, 'NotFound');
  }

  async hasUser(groupId: string, userId: string): Promise<boolean> {
    await this.repo.require(groupId);
    await this.users.get(userId);
    return !!(await this.members.get(`${groupId}:${userId}`));
  }

  async usersOf(groupId: string): Promise<string[]> {
    await this.repo.require(groupId);
    return (await this.members.list({ groupId })).map((m) => m.userId);
  }

  /** Group ids of a user; cached, since every token validation needs them. */
  groupIdsOf(userId: string): Promise<string[]> {
    return this.ctx.cached(`groups:${userId}`, async () => (await this.members.list({ userId })).map((m) => m.groupId));
  }
}
