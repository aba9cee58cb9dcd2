import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../../core/errors.js';
import { bool, q, str, wrapped, type Json } from '../../../core/validate.js';
import type { IdentityRouteDeps } from '../index.js';
import { INTERFACES } from '../logic/catalog.js';
import type { Endpoint } from '../logic/models.js';
import { authorize } from '../policy.js';
import { collection, endpointView, regionView, serviceView } from '../views/resources.js';

type P = { Params: { id: string } };

function iface(b: Json, required: boolean): Endpoint['interface'] | undefined {
  const v = str(b, 'interface', { required });
  if (v === undefined || v === null) return undefined;
  if (!(INTERFACES as readonly string[]).includes(v))
    throw badRequest(`Invalid input for field 'interface': '${v}' is not one of public, internal, admin.`);
  return v as Endpoint['interface'];
}

function url(b: Json, required: boolean): string | undefined {
  const v = str(b, 'url', { required, max: 225 }) ?? undefined;
  if (v !== undefined && !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(v)) throw badRequest(`Invalid input for field 'url': '${v}' is not a URL.`);
  return v;
}

export function catalogRoutes(app: FastifyInstance, { identity, link, v3 }: IdentityRouteDeps): void {
  const { catalog } = identity;

  // Regions
  app.get('/regions', async (req) => {
    authorize(req.auth, 'identity:list_regions');
    const parent = q(req.query, 'parent_region_id');
    const regions = await catalog.regions.list(parent !== undefined ? { parentRegionId: parent } : undefined);
    return collection('regions', regions.map((r) => regionView(r, link)), `${v3()}/regions`);
  });
  const createRegion = async (b: Json, id?: string) =>
    catalog.createRegion({
      id: id ?? str(b, 'id', { max: 255 }) ?? undefined,
      description: str(b, 'description', { nullable: true, max: 255 }) ?? '',
      parentRegionId: str(b, 'parent_region_id', { nullable: true }) ?? null,
    });
  app.post('/regions', async (req, reply) => {
    authorize(req.auth, 'identity:manage_region');
    const r = await createRegion(wrapped(req.body, 'region'));
    reply.code(201);
    return { region: regionView(r, link) };
  });
  app.put<P>('/regions/:id', async (req, reply) => {
    authorize(req.auth, 'identity:manage_region');
    const r = await createRegion(wrapped(req.body, 'region'), req.params.id);
    reply.code(201);
    return { region: regionView(r, link) };
  });
  app.get<P>('/regions/:id', async (req) => {
    authorize(req.auth, 'identity:get_region');
    return { region: regionView(await catalog.regions.require(req.params.id), link) };
  });
  app.patch<P>('/regions/:id', async (req) => {
    authorize(req.auth, 'identity:manage_region');
    const b = wrapped(req.body, 'region');
    const patch: { description?: string; parentRegionId?: string | null } = {};
    const description = str(b, 'description', { nullable: true, max: 255 });
    const parent = str(b, 'parent_region_id', { nullable: true });
    if (description !== undefined) patch.description = description ?? '';
    if (parent !== undefined) patch.parentRegionId = parent;
    return { region: regionView(await catalog.updateRegion(req.params.id, patch), link) };
  });
  app.delete<P>('/regions/:id', async (req, reply) => {
    authorize(req.auth, 'identity:manage_region');
    await identity.deleteRegion(req.params.id);
    reply.code(204).send();
  });

  // Services
  app.get('/services', async (req) => {
    authorize(req.auth, 'identity:list_services');
    const where: Record<string, string> = {};
    const type = q(req.query, 'type');
    const name = q(req.query, 'name');
    if (type !== undefined) where.type = type;
    if (name !== undefined) where.name = name;
    return collection('services', (await catalog.services.list(where)).map((s) => serviceView(s, link)), `${v3()}/services`);
  });
  app.post('/services', async (req, reply) => {
    authorize(req.auth, 'identity:manage_service');
    const b = wrapped(req.body, 'service');
    const s = await catalog.createService({
      type: str(b, 'type', { required: true, max: 255 }),
      name: str(b, 'name', { nullable: true, max: 255 }) ?? '',
      description: str(b, 'description', { nullable: true }) ?? '',
      enabled: bool(b, 'enabled') ?? true,
    });
    reply.code(201);
    return { service: serviceView(s, link) };
  });
  app.get<P>('/services/:id', async (req) => {
    authorize(req.auth, 'identity:get_service');
    return { service: serviceView(await catalog.services.require(req.params.id), link) };
  });
  app.patch<P>('/services/:id', async (req) => {
    authorize(req.auth, 'identity:manage_service');
    const b = wrapped(req.body, 'service');
    const patch: { type?: string; name?: string; description?: string; enabled?: boolean } = {};
    const type = str(b, 'type', { min: 1, max: 255 });
    const name = str(b, 'name', { nullable: true, max: 255 });
    const description = str(b, 'description', { nullable: true });
    const enabled = bool(b, 'enabled');
    if (type) patch.type = type;
    if (name !== undefined) patch.name = name ?? '';
    if (description !== undefined) patch.description = description ?? '';
    if (enabled !== undefined) patch.enabled = enabled;
    return { service: serviceView(await catalog.updateService(req.params.id, patch), link) };
  });
  app.delete<P>('/services/:id', async (req, reply) => {
    authorize(req.auth, 'identity:manage_service');
    await identity.deleteService(req.params.id);
    reply.code(204).send();
  });

  // Endpoints
  app.get('/endpoints', async (req) => {
    authorize(req.auth, 'identity:list_endpoints');
    const where: Record<string, string> = {};
    for (const [qk, field] of [['interface', 'interface'], ['service_id', 'serviceId'], ['region_id', 'regionId']] as const) {
      const v = q(req.query, qk);
      if (v !== undefined) where[field] = v;
    }
    return collection('endpoints', (await catalog.endpoints.list(where)).map((e) => endpointView(e, link)), `${v3()}/endpoints`);
  });
  app.post('/endpoints', async (req, reply) => {
    authorize(req.auth, 'identity:manage_endpoint');
    const b = wrapped(req.body, 'endpoint');
    const e = await catalog.createEndpoint({
      serviceId: str(b, 'service_id', { required: true }),
      interface: iface(b, true)!,
      url: url(b, true)!,
      regionId: str(b, 'region_id', { nullable: true }) ?? str(b, 'region', { nullable: true }) ?? null,
      enabled: bool(b, 'enabled') ?? true,
    });
    reply.code(201);
    return { endpoint: endpointView(e, link) };
  });
  app.get<P>('/endpoints/:id', async (req) => {
    authorize(req.auth, 'identity:get_endpoint');
    return { endpoint: endpointView(await catalog.endpoints.require(req.params.id), link) };
  });
  app.patch<P>('/endpoints/:id', async (req) => {
    authorize(req.auth, 'identity:manage_endpoint');
    const b = wrapped(req.body, 'endpoint');
    const patch: Partial<Omit<Endpoint, 'id'>> = {};
    const serviceId = str(b, 'service_id', { min: 1 });
    const i = iface(b, false);
    const u = url(b, false);
    const regionId = str(b, 'region_id', { nullable: true }) ?? str(b, 'region', { nullable: true });
    const enabled = bool(b, 'enabled');
    if (serviceId) patch.serviceId = serviceId;
    if (i) patch.interface = i;
    if (u) patch.url = u;
    if (regionId !== undefined) patch.regionId = regionId;
    if (enabled !== undefined) patch.enabled = enabled;
    return { endpoint: endpointView(await catalog.updateEndpoint(req.params.id, patch), link) };
  });
  app.delete<P>('/endpoints/:id', async (req, reply) => {
    authorize(req.auth, 'identity:manage_endpoint');
    await identity.deleteEndpoint(req.params.id);
    reply.code(204).send();
  });
}
