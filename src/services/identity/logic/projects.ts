import { badRequest, forbidden, notFound } from '../../../core/errors.js';
import { hexId } from '../../../core/ids.js';
import { KIND, type Domain, type Project } from './models.js';
import { Repo, type IdentityContext } from './context.js';

export const DEFAULT_DOMAIN_ID = 'default';

/** Keystone's rules for project tags: at most 80, each 1–255 chars, no '/' or ','. */
export function checkTags(tags: string[]): string[] {
  if (tags.length > 80) throw badRequest("Invalid input for field 'tags': at most 80 tags are allowed.");
  for (const t of tags) {
    if (t.length === 0 || t.length > 255 || /[/,]/.test(t))
      throw badRequest(`Invalid input for field 'tags': '${t}' must be 1 to 255 characters without '/' or ','.`);
  }
  return [...new Set(tags)];
}

export interface ProjectFilter {
  name?: string;
  domainId?: string;
  enabled?: boolean;
  parentId?: string;
  tags?: string[];
  tagsAny?: string[];
  notTags?: string[];
  notTagsAny?: string[];
}

export class Domains {
  readonly repo: Repo<Domain>;
  constructor(private readonly ctx: IdentityContext) {
    this.repo = new Repo<Domain>(ctx, KIND.domain, 'domain', (d) => d.name, (d) => `Duplicate entry found with name ${d.name}.`);
  }

  get = (id: string) => this.repo.require(id);
  find = (id: string) => this.repo.get(id);
  async byName(name: string): Promise<Domain | undefined> {
    return this.repo.byUniq(name);
  }

  async list(f: { name?: string; enabled?: boolean } = {}): Promise<Domain[]> {
    const where: Record<string, string | boolean> = {};
    if (f.name !== undefined) where.name = f.name;
    if (f.enabled !== undefined) where.enabled = f.enabled;
    return this.repo.list(where);
  }

  async create(input: Partial<Domain> & { name: string }): Promise<Domain> {
    const d: Domain = {
      id: input.id ?? hexId(),
      name: input.name,
      description: input.description ?? '',
      enabled: input.enabled ?? true,
      tags: checkTags(input.tags ?? []),
    };
    return this.repo.create(d);
  }

  async update(id: string, patch: Partial<Omit<Domain, 'id'>>): Promise<Domain> {
    const cur = await this.repo.require(id);
    const next: Domain = { ...cur, ...defined(patch), id };
    if (patch.tags) next.tags = checkTags(patch.tags);
    return this.repo.update(next);
  }

  /** Keystone refuses to delete an enabled domain; deleting one removes everything in it. */
  async delete(id: string, cascade: (domainId: string) => Promise<void>): Promise<void> {
    const d = await this.repo.require(id);
    if (d.enabled) throw forbidden('Cannot delete a domain that is enabled, please disable it first.');
    await cascade(id);
    await this.repo.delete(id);
  }
}

export class Projects {
  readonly repo: Repo<Project>;
  constructor(
    private readonly ctx: IdentityContext,
    private readonly domains: Domains,
  ) {
    this.repo = new Repo<Project>(
      ctx,
      KIND.project,
      'project',
      (p) => `${p.domainId}/${p.name}`,
      (p) => `Duplicate entry found with name ${p.name} at domain ID ${p.domainId}.`,
    );
  }

  get = (id: string) => this.repo.require(id);
  find = (id: string) => this.repo.get(id);
  byName = (domainId: string, name: string) => this.repo.byUniq(`${domainId}/${name}`);

  async list(f: ProjectFilter = {}): Promise<Project[]> {
    const where: Record<string, string | boolean | null> = {};
    if (f.name !== undefined) where.name = f.name;
    if (f.domainId !== undefined) where.domainId = f.domainId;
    if (f.enabled !== undefined) where.enabled = f.enabled;
    let out = await this.repo.list(where);
    if (f.parentId !== undefined)
      out = out.filter((p) => (p.parentId ?? p.domainId) === f.parentId);
    const has = (p: Project, t: string) => p.tags.includes(t);
    if (f.tags) out = out.filter((p) => f.tags!.every((t) => has(p, t)));
    if (f.tagsAny) out = out.filter((p) => f.tagsAny!.some((t) => has(p, t)));
    if (f.notTags) out = out.filter((p) => !f.notTags!.every((t) => has(p, t)));
    if (f.notTagsAny) out = out.filter((p) => !f.notTagsAny!.some((t) => has(p, t)));
    return out;
  }

  async create(input: Partial<Project> & { name: string }): Promise<Project> {
    let domainId = input.domainId ?? DEFAULT_DOMAIN_ID;
    let parentId = input.parentId ?? null;
    if (parentId) {
      const parent = await this.repo.get(parentId);
      if (!parent) {
        // Keystone accepts a domain id as parent_id for a top-level project.
        if (!(await this.domains.find(parentId))) throw notFound('project', parentId);
        if (input.domainId && input.domainId !== parentId)
          throw badRequest('Cannot create project, the parent and the domain must be the same.');
        domainId = parentId;
        parentId = null;
      } else {
        if (input.domainId && input.domainId !== parent.domainId)
          throw badRequest('Cannot create project, since its parent is in a different domain.');
        domainId = parent.domainId;
      }
    }
    if (!(await this.domains.find(domainId))) throw notFound('domain', domainId);
    const p: Project = {
      id: input.id ?? hexId(),
      name: input.name,
      domainId,
      description: input.description ?? '',
      enabled: input.enabled ?? true,
      parentId,
      tags: checkTags(input.tags ?? []),
    };
    return this.repo.create(p);
  }

  async update(id: string, patch: Partial<Pick<Project, 'name' | 'description' | 'enabled' | 'tags'>>): Promise<Project> {
    const cur = await this.repo.require(id);
    const next: Project = { ...cur, ...defined(patch), id };
    if (patch.tags) next.tags = checkTags(patch.tags);
    return this.repo.update(next);
  }

  async delete(id: string, cascade: (projectId: string) => Promise<void>): Promise<void> {
    await this.repo.require(id);
    const children = await this.repo.list({ parentId: id });
    if (children.length) throw forbidden(`Cannot delete the project ${id} since it is not a leaf in the hierarchy.`);
    await cascade(id);
    await this.repo.delete(id);
  }

  async setTags(id: string, tags: string[]): Promise<Project> {
    return this.update(id, { tags });
  }

  /** Walks up `parentId` links; the result starts with the direct parent. */
  async ancestors(p: Project): Promise<Project[]> {
    const out: Project[] = [];
    let cur = p;
    while (cur.parentId && out.length < 100) {
      const parent = await this.repo.get(cur.parentId);
      if (!parent) break;
      out.push(parent);
      cur = parent;
    }
    return out;
  }
}

/** Drops keys whose value is undefined so spreads do not erase stored fields. */
export function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
