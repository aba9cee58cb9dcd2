import { badRequest, notFound } from '../../../core/errors.js';
import { hexId } from '../../../core/ids.js';
import { isObject } from '../../../core/validate.js';
import { INTERFACES, type Catalog } from './catalog.js';
import { KIND, type Endpoint, type EndpointGroup, type Project, type ProjectEndpoint } from './models.js';
import { Repo, type IdentityContext } from './context.js';
import { defined, type Projects } from './projects.js';

const FILTER_KEYS = ['service_id', 'region_id', 'interface'] as const;

/** Validates endpoint group filters: only service_id, region_id and interface, as strings. */
export function parseFilters(v: unknown): EndpointGroup['filters'] {
  if (!isObject(v)) throw badRequest("Invalid input for field 'filters': expected an object.");
  const out: EndpointGroup['filters'] = {};
  for (const [k, val] of Object.entries(v)) {
    if (!(FILTER_KEYS as readonly string[]).includes(k))
      throw badRequest(`Invalid input for field 'filters': '${k}' is not a valid filter; use service_id, region_id or interface.`);
    if (typeof val !== 'string' || val.length === 0) throw badRequest(`Invalid input for field 'filters': '${k}' must be a non-empty string.`);
    if (k === 'interface' && !(INTERFACES as readonly string[]).includes(val))
      throw badRequest(`Invalid input for field 'filters': interface '${val}' is not one of public, internal, admin.`);
    out[k as (typeof FILTER_KEYS)[number]] = val;
  }
  return out;
}

export function matches(f: EndpointGroup['filters'], e: Endpoint): boolean {
  return (
    (f.service_id === undefined || f.service_id === e.serviceId) &&
    (f.region_id === undefined || f.region_id === e.regionId) &&
    (f.interface === undefined || f.interface === e.interface)
  );
}

/**
 * OS-EP-FILTER: endpoint groups and the endpoints (directly or through groups) a project may
 * see. A project with any association gets only those endpoints in its token catalog; a
 * project with none sees the whole catalog (Keystone's `return_all_endpoints_if_no_filter`).
 */
export class EndpointFilter {
  readonly groups: Repo<EndpointGroup>;
  readonly links: Repo<ProjectEndpoint>;

  constructor(
    private readonly ctx: IdentityContext,
    private readonly catalog: Catalog,
    private readonly projects: Projects,
  ) {
    this.groups = new Repo<EndpointGroup>(ctx, KIND.endpointGroup, 'endpoint group');
    this.links = new Repo<ProjectEndpoint>(ctx, KIND.projectEndpoint, 'project endpoint');
  }

  createGroup(input: Omit<EndpointGroup, 'id'>): Promise<EndpointGroup> {
    return this.groups.create({ id: hexId(), ...input });
  }

  async updateGroup(id: string, patch: Partial<Omit<EndpointGroup, 'id'>>): Promise<EndpointGroup> {
    const cur = await this.groups.require(id);
    return this.groups.update({ ...cur, ...defined(patch), id });
  }

  async deleteGroup(id: string): Promise<void> {
    await this.groups.require(id);
    await this.links.deleteWhere({ endpointGroupId: id });
    await this.groups.delete(id);
  }

  /** Endpoints an endpoint group selects right now. */
  async endpointsOfGroup(id: string): Promise<Endpoint[]> {
    const g = await this.groups.require(id);
    return (await this.catalog.endpoints.list()).filter((e) => matches(g.filters, e));
  }

  // --- project associations ---------------------------------------------------------------

  async addEndpoint(projectId: string, endpointId: string): Promise<void> {
    await this.projects.get(projectId);
    await this.catalog.endpoints.require(endpointId);
    const id = `${projectId}/${endpointId}`;
    if (!(await this.links.get(id))) await this.links.create({ id, projectId, endpointId, endpointGroupId: null });
  }

  async requireEndpoint(projectId: string, endpointId: string): Promise<void> {
    await this.projects.get(projectId);
    await this.catalog.endpoints.require(endpointId);
    if (!(await this.links.get(`${projectId}/${endpointId}`)))
      throw notFound('endpoint association', `endpoint ${endpointId} is not associated with project ${projectId}`);
  }

  async removeEndpoint(projectId: string, endpointId: string): Promise<void> {
    await this.requireEndpoint(projectId, endpointId);
    await this.links.delete(`${projectId}/${endpointId}`);
  }

  async addGroup(groupId: string, projectId: string): Promise<void> {
    await this.groups.require(groupId);
    await this.projects.get(projectId);
    const id = `${projectId}/group:${groupId}`;
    if (!(await this.links.get(id))) await this.links.create({ id, projectId, endpointId: null, endpointGroupId: groupId });
  }

  async requireGroup(groupId: string, projectId: string): Promise<void> {
    await this.groups.require(groupId);
    await this.projects.get(projectId);
    if (!(await this.links.get(`${projectId}/group:${groupId}`)))
      throw notFound('endpoint group association', `endpoint group ${groupId} is not associated with project ${projectId}`);
  }

  async removeGroup(groupId: string, projectId: string): Promise<void> {
    await this.requireGroup(groupId, projectId);
    await this.links.delete(`${projectId}/group:${groupId}`);
  }

  /** Projects an endpoint is associated with directly. */
  async projectsOfEndpoint(endpointId: string): Promise<Project[]> {
    await this.catalog.endpoints.require(endpointId);
    return this.projectsOf(await this.links.list({ endpointId }));
  }

  async projectsOfGroup(groupId: string): Promise<Project[]> {
    await this.groups.require(groupId);
    return this.projectsOf(await this.links.list({ endpointGroupId: groupId }));
  }

  async groupsOfProject(projectId: string): Promise<EndpointGroup[]> {
    await this.projects.get(projectId);
    const out: EndpointGroup[] = [];
    for (const l of await this.links.list({ projectId })) {
      const g = l.endpointGroupId ? await this.groups.get(l.endpointGroupId) : undefined;
      if (g) out.push(g);
    }
    return out;
  }

  /** Endpoints associated with a project directly or through its endpoint groups. */
  async endpointsOfProject(projectId: string): Promise<Endpoint[]> {
    await this.projects.get(projectId);
    const ids = await this.endpointIdsFor(projectId);
    return (await this.catalog.endpoints.list()).filter((e) => ids?.has(e.id));
  }

  /** The endpoint ids a project's catalog is limited to, or null when it has no association. */
  endpointIdsFor(projectId: string): Promise<Set<string> | null> {
    return this.ctx.cached(`ep-filter:${projectId}`, async () => {
      const links = await this.links.list({ projectId });
      if (links.length === 0) return null;
      const ids = new Set<string>();
      const all = links.some((l) => l.endpointGroupId) ? await this.catalog.endpoints.list() : [];
      for (const l of links) {
        if (l.endpointId) ids.add(l.endpointId);
        const g = l.endpointGroupId ? await this.groups.get(l.endpointGroupId) : undefined;
        if (g) for (const e of all) if (matches(g.filters, e)) ids.add(e.id);
      }
      return ids;
    });
  }

  private async projectsOf(links: ProjectEndpoint[]): Promise<Project[]> {
    const out: Project[] = [];
    for (const l of links) {
      const p = await this.projects.find(l.projectId);
      if (p) out.push(p);
    }
    return out;
  }
}
