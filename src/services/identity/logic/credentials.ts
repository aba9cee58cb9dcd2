import { createHash, randomBytes } from 'node:crypto';
import { badRequest, forbidden, notFound } from '../../../core/errors.js';
import { hexId } from '../../../core/ids.js';
import { KIND, type AppCredential, type Credential } from './models.js';
import { Repo, type IdentityContext } from './context.js';
import { hashPassword, verifyPassword } from './passwords.js';

export interface Ec2Blob {
  access: string;
  secret: string;
  trust_id: string | null;
}

/** Keystone derives an EC2 credential's id from its access key. */
export function ec2CredentialId(access: string): string {
  return createHash('sha256').update(access).digest('hex');
}

export function parseEc2Blob(blob: string): Ec2Blob {
  let v: unknown;
  try {
    v = JSON.parse(blob);
  } catch {
    throw badRequest('Invalid blob in credential: an ec2 blob must be a JSON object.');
  }
  const o = v as Partial<Ec2Blob>;
  if (!o || typeof o !== 'object' || typeof o.access !== 'string' || !o.access)
    throw badRequest("Invalid blob in credential: an ec2 blob needs a string 'access'.");
  return { access: o.access, secret: typeof o.secret === 'string' ? o.secret : '', trust_id: o.trust_id ?? null };
}

/** EC2-style and generic credentials (`/v3/credentials`, `/v3/users/{id}/credentials/OS-EC2`). */
export class Credentials {
  readonly repo: Repo<Credential>;
  constructor(ctx: IdentityContext) {
    this.repo = new Repo<Credential>(ctx, KIND.credential, 'credential');
  }

  async create(input: Omit<Credential, 'id'> & { id?: string }): Promise<Credential> {
    let id = input.id ?? hexId();
    if (input.type === 'ec2') {
      if (!input.projectId) throw badRequest('Invalid input for field \'project_id\': an ec2 credential needs a project.');
      id = ec2CredentialId(parseEc2Blob(input.blob).access);
    }
    return this.repo.create({ id, userId: input.userId, projectId: input.projectId ?? null, type: input.type, blob: input.blob });
  }

  async update(id: string, patch: Partial<Omit<Credential, 'id'>>): Promise<Credential> {
    const cur = await this.repo.require(id);
    const next = { ...cur, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)), id };
    if (next.type === 'ec2') {
      parseEc2Blob(next.blob);
      if (!next.projectId) throw badRequest('Invalid input for field \'project_id\': an ec2 credential needs a project.');
    }
    return this.repo.update(next);
  }

  list(f: { userId?: string; type?: string } = {}): Promise<Credential[]> {
    const where: Record<string, string> = {};
    if (f.userId) where.userId = f.userId;
    if (f.type) where.type = f.type;
    return this.repo.list(where);
  }

  async createEc2(userId: string, projectId: string): Promise<{ cred: Credential; blob: Ec2Blob }> {
    const blob: Ec2Blob = { access: randomBytes(16).toString('hex'), secret: randomBytes(16).toString('hex'), trust_id: null };
    const cred = await this.create({ userId, projectId, type: 'ec2', blob: JSON.stringify(blob) });
    return { cred, blob };
  }

  /** Finds an EC2 credential by access key (for any user when userId is undefined). */
  async ec2ByAccess(userId: string | undefined, access: string): Promise<{ cred: Credential; blob: Ec2Blob }> {
    let cred = await this.repo.get(ec2CredentialId(access));
    // A blob update may have changed the access key while the id stayed (Keystone allows it).
    if (!cred || parseEc2Blob(cred.blob).access !== access)
      cred = (await this.list({ type: 'ec2', ...(userId ? { userId } : {}) })).find((c) => parseEc2Blob(c.blob).access === access);
    if (!cred || cred.type !== 'ec2' || (userId !== undefined && cred.userId !== userId))
      throw notFound('credential', access, 'CredentialNotFound');
    return { cred, blob: parseEc2Blob(cred.blob) };
  }
}

export interface AppCredInput {
  name: string;
  description?: string | null;
  secret?: string;
  expiresAt?: number | null;
  roles?: { id?: string; name?: string }[];
  unrestricted?: boolean;
}

/** Application credentials: a secret bound to one user, one project and a subset of roles. */
export class AppCredentials {
  readonly repo: Repo<AppCredential>;
  constructor(private readonly ctx: IdentityContext) {
    this.repo = new Repo<AppCredential>(
      ctx,
      KIND.appCred,
      'application credential',
      (a) => `${a.userId}/${a.name}`,
      (a) => `Duplicate entry found with name ${a.name}.`,
    );
  }

  /**
   * `roles` defaults to every role of the creating token; asking for a role the token does not
   * carry is refused, as Keystone does.
   */
  async create(
    userId: string,
    projectId: string,
    tokenRoles: { id: string; name: string }[],
    input: AppCredInput,
  ): Promise<{ cred: AppCredential; secret: string }> {
    const secret = input.secret ?? randomBytes(48).toString('base64url');
    let roleIds = tokenRoles.map((r) => r.id);
    if (input.roles?.length) {
      roleIds = input.roles.map((want) => {
        const r = tokenRoles.find((t) => (want.id && t.id === want.id) || (want.name && t.name === want.name));
        if (!r) throw forbidden(`The role ${want.id ?? want.name} is not one the creating token carries.`);
        return r.id;
      });
    }
    if (input.expiresAt != null && input.expiresAt <= this.ctx.clock.now())
      throw badRequest("Invalid input for field 'expires_at': it is in the past.");
    const cred: AppCredential = {
      id: hexId(),
      userId,
      name: input.name,
      description: input.description ?? null,
      secretHash: await hashPassword(secret),
      projectId,
      roleIds: [...new Set(roleIds)],
      expiresAt: input.expiresAt ?? null,
      unrestricted: input.unrestricted ?? false,
    };
    await this.repo.create(cred);
    return { cred, secret };
  }

  async verify(cred: AppCredential, secret: string): Promise<boolean> {
    if (cred.expiresAt !== null && cred.expiresAt <= this.ctx.clock.now()) return false;
    return verifyPassword(secret, cred.secretHash);
  }

  async get(userId: string, id: string): Promise<AppCredential> {
    const c = await this.repo.get(id);
    if (!c || c.userId !== userId) throw notFound('application credential', id, 'ApplicationCredentialNotFound');
    return c;
  }

  list(userId: string, name?: string): Promise<AppCredential[]> {
    return this.repo.list(name === undefined ? { userId } : { userId, name });
  }

  async delete(userId: string, id: string): Promise<void> {
    await this.get(userId, id);
    await this.repo.delete(id);
  }
}
