import { badRequest, forbidden, notFound } from '../../../core/errors.js';
import { hexId } from '../../../core/ids.js';
import { KIND, type Implication, type Role } from './models.js';
import { Repo, type IdentityContext } from './context.js';
import { defined } from './projects.js';

export class Roles {
  readonly repo: Repo<Role>;
  readonly implications: Repo<Implication & { id: string }>;
  constructor(private readonly ctx: IdentityContext) {
    this.repo = new Repo<Role>(
      ctx,
      KIND.role,
      'role',
      (r) => `${r.domainId ?? ''}/${r.name}`,
      (r) => `Duplicate entry found with name ${r.name}.`,
    );
    this.implications = new Repo(ctx, KIND.implication, 'implied role');
  }

  get = (id: string) => this.repo.require(id);
  find = (id: string) => this.repo.get(id);
  byName = (name: string, domainId: string | null = null) => this.repo.byUniq(`${domainId ?? ''}/${name}`);

  async list(f: { name?: string; domainId?: string | null } = {}): Promise<Role[]> {
    const where: Record<string, string | null> = {};
    if (f.name !== undefined) where.name = f.name;
    // Keystone lists global roles unless a domain is asked for.
    where.domainId = f.domainId ?? null;
    return this.repo.list(where);
  }

  async create(input: Partial<Role> & { name: string }): Promise<Role> {
    return this.repo.create({
      id: input.id ?? hexId(),
      name: input.name,
      domainId: input.domainId ?? null,
      description: input.description ?? null,
    });
  }

  async update(id: string, patch: Partial<Pick<Role, 'name' | 'description'>>): Promise<Role> {
    const cur = await this.repo.require(id);
    return this.repo.update({ ...cur, ...defined(patch), id });
  }

  async delete(id: string, cascade: (roleId: string) => Promise<void>): Promise<void> {
    await this.repo.require(id);
    await this.implications.deleteWhere({ priorId: id });
    await this.implications.deleteWhere({ impliedId: id });
    await cascade(id);
    await this.repo.delete(id);
  }

  async imply(priorId: string, impliedId: string): Promise<void> {
    await this.repo.require(priorId);
    const implied = await this.repo.require(impliedId);
    if (priorId === impliedId) throw badRequest('A role cannot imply itself.');
    if (implied.domainId !== null && (await this.repo.require(priorId)).domainId === null)
      throw forbidden('A global role cannot imply a domain-specific role.');
    if ((await this.closure([impliedId])).includes(priorId))
      throw badRequest(`Implying ${impliedId} from ${priorId} would create a cycle.`);
    const id = `${priorId}:${impliedId}`;
    if (!(await this.implications.get(id))) await this.implications.create({ id, priorId, impliedId });
  }

  async unimply(priorId: string, impliedId: string): Promise<void> {
    await this.repo.require(priorId);
    await this.repo.require(impliedId);
    if (!(await this.implications.delete(`${priorId}:${impliedId}`)))
      throw notFound('implied role', `${priorId} implies ${impliedId}`, 'ImpliedRoleNotFound');
  }

  async implies(priorId: string, impliedId: string): Promise<boolean> {
    await this.repo.require(priorId);
    await this.repo.require(impliedId);
    return !!(await this.implications.get(`${priorId}:${impliedId}`));
  }

  async impliedBy(priorId: string): Promise<string[]> {
    return (await this.allImplications()).filter((i) => i.priorId === priorId).map((i) => i.impliedId);
  }

  allImplications(): Promise<Implication[]> {
    return this.ctx.cached('implications', () => this.implications.list());
  }

  /** The given role ids plus everything they imply, transitively, in discovery order. */
  async closure(roleIds: string[]): Promise<string[]> {
    const all = await this.allImplications();
    const seen = new Set<string>();
    const queue = [...roleIds];
    while (queue.length) {
      const r = queue.shift()!;
      if (seen.has(r)) continue;
      seen.add(r);
      for (const i of all) if (i.priorId === r) queue.push(i.impliedId);
    }
    return [...seen];
  }

  /** All roles by id; cached for token validation. */
  byIdMap(): Promise<Map<string, Role>> {
    return this.ctx.cached('roles', async () => new Map((await this.repo.list()).map((r) => [r.id, r])));
  }
}
