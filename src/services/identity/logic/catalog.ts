import { badRequest, notFound } from '../../../core/errors.js';
import { hexId } from '../../../core/ids.js';
import { KIND, type Endpoint, type Region, type Service } from './models.js';
import { Repo, type IdentityContext } from './context.js';
import { defined } from './projects.js';

export interface CatalogService {
  id: string;
  type: string;
  name: string;
  endpoints: { id: string; interface: string; regionId: string | null; url: string }[];
}

export const INTERFACES = ['public', 'internal', 'admin'] as const;

/** Regions, services and endpoints, and the per-token catalog built from them. */
export class Catalog {
  readonly regions: Repo<Region>;
  readonly services: Repo<Service>;
  readonly endpoints: Repo<Endpoint>;
  /** OS-EP-FILTER: the endpoint ids a project is limited to (null: all); set by the Identity. */
  projectFilter: (projectId: string) => Promise<Set<string> | null> = async () => null;

  constructor(private readonly ctx: IdentityContext) {
    this.regions = new Repo<Region>(ctx, KIND.region, 'region');
    this.services = new Repo<Service>(ctx, KIND.service, 'service');
    this.endpoints = new Repo<Endpoint>(ctx, KIND.endpoint, 'endpoint');
  }

  async createRegion(input: Partial<Region>): Promise<Region> {
    if (input.parentRegionId && !(await this.regions.get(input.parentRegionId)))
      throw notFound('region', input.parentRegionId);
    return this.regions.create({
      id: input.id ?? hexId(),
      description: input.description ?? '',
      parentRegionId: input.parentRegionId ?? null,
    });
  }

  async updateRegion(id: string, patch: Partial<Omit<Region, 'id'>>): Promise<Region> {
    const cur = await this.regions.require(id);
    if (patch.parentRegionId) {
      if (patch.parentRegionId === id) throw badRequest('A region cannot be its own parent.');
      if (!(await this.regions.get(patch.parentRegionId))) throw notFound('region', patch.parentRegionId);
    }
    return this.regions.update({ ...cur, ...defined(patch), id });
  }

  async deleteRegion(id: string): Promise<void> {
    await this.regions.require(id);
    if ((await this.regions.list({ parentRegionId: id })).length)
      throw badRequest(`Region ${id} has child regions; delete them first.`);
    // NOTE: Keystone lets a region go while endpoints still name it; they keep the stale id.
    await this.regions.delete(id);
  }

  async createService(input: Partial<Service> & { type: string }): Promise<Service> {
    return this.services.create({
      id: input.id ?? hexId(),
      type: input.type,
      name: input.name ?? '',
      description: input.description ?? '',
      enabled: input.enabled ?? true,
      managed: input.managed ?? false,
    });
  }

  async updateService(id: string, patch: Partial<Omit<Service, 'id'>>): Promise<Service> {
    const cur = await this.services.require(id);
    return this.services.update({ ...cur, ...defined(patch), id });
  }

  async deleteService(id: string): Promise<void> {
    await this.services.require(id);
    await this.endpoints.deleteWhere({ serviceId: id });
    await this.services.delete(id);
  }

  async createEndpoint(input: Omit<Endpoint, 'id' | 'managed' | 'enabled'> & Partial<Endpoint>): Promise<Endpoint> {
    await this.services.require(input.serviceId);
    if (input.regionId && !(await this.regions.get(input.regionId))) {
      // Keystone creates an unknown region on the fly for legacy callers.
      await this.createRegion({ id: input.regionId });
    }
    return this.endpoints.create({
      id: input.id ?? hexId(),
      serviceId: input.serviceId,
      interface: input.interface,
      regionId: input.regionId ?? null,
      url: input.url,
      enabled: input.enabled ?? true,
      managed: input.managed ?? false,
    });
  }

  async updateEndpoint(id: string, patch: Partial<Omit<Endpoint, 'id'>>): Promise<Endpoint> {
    const cur = await this.endpoints.require(id);
    if (patch.serviceId) await this.services.require(patch.serviceId);
    if (patch.regionId && !(await this.regions.get(patch.regionId))) await this.createRegion({ id: patch.regionId });
    return this.endpoints.update({ ...cur, ...defined(patch), id });
  }

  async deleteEndpoint(id: string): Promise<void> {
    await this.endpoints.require(id);
    await this.endpoints.delete(id);
  }

  /** Enabled services with their enabled endpoints; URLs still hold `$(project_id)s`. */
  raw(): Promise<CatalogService[]> {
    return this.ctx.cached('catalog', async () => {
      const eps = (await this.endpoints.list({ enabled: true })) as Endpoint[];
      return (await this.services.list({ enabled: true })).map((s) => ({
        id: s.id,
        type: s.type,
        name: s.name,
        endpoints: eps
          .filter((e) => e.serviceId === s.id)
          .map((e) => ({ id: e.id, interface: e.interface, regionId: e.regionId, url: e.url })),
      }));
    });
  }

  /** The catalog for a token, with Keystone's URL substitutions applied. */
  forScope(projectId: string | undefined, userId: string): Promise<CatalogService[]> {
    return this.ctx.cached(`catalog:${projectId ?? ''}:${userId}`, () => this.build(projectId, userId));
  }

  private async build(projectId: string | undefined, userId: string): Promise<CatalogService[]> {
    const subst = (url: string) =>
      url
        .replace(/\$\((project_id|tenant_id)\)s/g, projectId ?? '$(project_id)s')
        .replace(/\$\(user_id\)s/g, userId);
    const only = projectId ? await this.projectFilter(projectId) : null;
    return (await this.raw())
      .map((s) => ({
        ...s,
        // Without a project, endpoints that need one cannot be used (Keystone drops them too).
        endpoints: s.endpoints
          .filter((e) => (only ? only.has(e.id) : true))
          .filter((e) => projectId || !/\$\((project_id|tenant_id)\)s/.test(e.url))
          .map((e) => ({ ...e, url: subst(e.url) })),
      }))
      .filter((s) => s.endpoints.length > 0);
  }

  /**
   * Makes the endpoints of Stratus's own services match the current public URL: creates the
   * service and its three interfaces when missing, and rewrites URLs when the address changed.
   * Endpoints an operator created are left alone.
   */
  async reconcileManaged(entries: { type: string; name: string; url: string }[], regionId: string): Promise<void> {
    if (!(await this.regions.get(regionId))) await this.createRegion({ id: regionId, description: '' });
    const services = await this.services.list({ managed: true });
    for (const e of entries) {
      let svc = services.find((s) => s.type === e.type && s.name === e.name);
      if (!svc) svc = await this.createService({ type: e.type, name: e.name, managed: true });
      const eps = await this.endpoints.list({ serviceId: svc.id, managed: true });
      for (const iface of INTERFACES) {
        const ep = eps.find((x) => x.interface === iface);
        if (!ep) await this.createEndpoint({ serviceId: svc.id, interface: iface, regionId, url: e.url, managed: true });
        else if (ep.url !== e.url) await this.endpoints.update({ ...ep, url: e.url });
      }
    }
    // Services that are no longer enabled leave the catalog.
    for (const s of services) {
      if (!entries.some((e) => e.type === s.type && e.name === s.name)) await this.deleteService(s.id);
    }
  }
}
