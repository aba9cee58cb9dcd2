import type { FastifyInstance } from 'fastify';
import { str, wrapped } from '../../../core/validate.js';
import type { IdentityRouteDeps } from '../index.js';
import { parseFilters } from '../logic/endpoint-filter.js';
import type { EndpointGroup } from '../logic/models.js';
import { authorize } from '../policy.js';
import { collection, endpointView, projectView, type Link } from '../views/resources.js';

const EP = '/OS-EP-FILTER';

type PG = { Params: { gid: string } };
type PGP = { Params: { gid: string; pid: string } };
type PPE = { Params: { pid: string; eid: string } };

export function endpointGroupView(g: EndpointGroup, link: Link) {
  return { id: g.id, name: g.name, description: g.description, filters: g.filters, links: { self: link(`${EP}/endpoint_groups/${g.id}`) } };
}

/** OS-EP-FILTER: endpoint groups and project associations of endpoints and endpoint groups. */
export function endpointFilterRoutes(app: FastifyInstance, { identity, link, v3 }: IdentityRouteDeps): void {
  const f = identity.endpointFilter;
  const projects = (ps: Parameters<typeof projectView>[0][], self: string) => collection('projects', ps.map((p) => projectView(p, link)), self);
  const endpoints = (es: Parameters<typeof endpointView>[0][], self: string) => collection('endpoints', es.map((e) => endpointView(e, link)), self);

  // Endpoint groups
  app.get(`${EP}/endpoint_groups`, async (req) => {
    authorize(req.auth, 'identity:get_endpoint_group');
    const name = (req.query as Record<string, string> | undefined)?.name;
    const gs = (await f.groups.list()).filter((g) => name === undefined || g.name === name);
    return collection('endpoint_groups', gs.map((g) => endpointGroupView(g, link)), `${v3()}${EP}/endpoint_groups`);
  });
  app.post(`${EP}/endpoint_groups`, async (req, reply) => {
    authorize(req.auth, 'identity:manage_endpoint_group');
    const b = wrapped(req.body, 'endpoint_group');
    const g = await f.createGroup({
      name: str(b, 'name', { required: true, max: 255 }),
      description: str(b, 'description', { nullable: true }) ?? '',
      filters: parseFilters(b.filters),
    });
    reply.code(201);
    return { endpoint_group: endpointGroupView(g, link) };
  });
  app.get<PG>(`${EP}/endpoint_groups/:gid`, async (req) => {
    authorize(req.auth, 'identity:get_endpoint_group');
    return { endpoint_group: endpointGroupView(await f.groups.require(req.params.gid), link) };
  });
  app.patch<PG>(`${EP}/endpoint_groups/:gid`, async (req) => {
    authorize(req.auth, 'identity:manage_endpoint_group');
    const b = wrapped(req.body, 'endpoint_group');
    const patch: Partial<Omit<EndpointGroup, 'id'>> = {};
    const name = str(b, 'name', { min: 1, max: 255 });
    const description = str(b, 'description', { nullable: true });
    if (name) patch.name = name;
    if (description !== undefined) patch.description = description ?? '';
    if (b.filters !== undefined) patch.filters = parseFilters(b.filters);
    return { endpoint_group: endpointGroupView(await f.updateGroup(req.params.gid, patch), link) };
  });
  app.delete<PG>(`${EP}/endpoint_groups/:gid`, async (req, reply) => {
    authorize(req.auth, 'identity:manage_endpoint_group');
    await f.deleteGroup(req.params.gid);
    reply.code(204).send();
  });
  app.get<PG>(`${EP}/endpoint_groups/:gid/endpoints`, async (req) => {
    authorize(req.auth, 'identity:get_endpoint_group');
    return endpoints(await f.endpointsOfGroup(req.params.gid), `${v3()}${EP}/endpoint_groups/${req.params.gid}/endpoints`);
  });
  app.get<PG>(`${EP}/endpoint_groups/:gid/projects`, async (req) => {
    authorize(req.auth, 'identity:get_endpoint_group');
    return projects(await f.projectsOfGroup(req.params.gid), `${v3()}${EP}/endpoint_groups/${req.params.gid}/projects`);
  });

  // Endpoint group <-> project
  app.put<PGP>(`${EP}/endpoint_groups/:gid/projects/:pid`, async (req, reply) => {
    authorize(req.auth, 'identity:manage_endpoint_group');
    await f.addGroup(req.params.gid, req.params.pid);
    reply.code(204).send();
  });
  app.get<PGP>(`${EP}/endpoint_groups/:gid/projects/:pid`, async (req) => {
    authorize(req.auth, 'identity:get_endpoint_group');
    const { gid, pid } = req.params;
    await f.requireGroup(gid, pid);
    return { project_endpoint_group: { endpoint_group_id: gid, project_id: pid, links: { self: link(`${EP}/endpoint_groups/${gid}/projects/${pid}`) } } };
  });
  app.delete<PGP>(`${EP}/endpoint_groups/:gid/projects/:pid`, async (req, reply) => {
    authorize(req.auth, 'identity:manage_endpoint_group');
    await f.removeGroup(req.params.gid, req.params.pid);
    reply.code(204).send();
  });
  app.get<{ Params: { pid: string } }>(`${EP}/projects/:pid/endpoint_groups`, async (req) => {
    authorize(req.auth, 'identity:get_endpoint_group');
    const gs = await f.groupsOfProject(req.params.pid);
    return collection('endpoint_groups', gs.map((g) => endpointGroupView(g, link)), `${v3()}${EP}/projects/${req.params.pid}/endpoint_groups`);
  });

  // Endpoint <-> project
  app.put<PPE>(`${EP}/projects/:pid/endpoints/:eid`, async (req, reply) => {
    authorize(req.auth, 'identity:manage_endpoint_group');
    await f.addEndpoint(req.params.pid, req.params.eid);
    reply.code(204).send();
  });
  app.get<PPE>(`${EP}/projects/:pid/endpoints/:eid`, async (req, reply) => {
    authorize(req.auth, 'identity:get_endpoint_group');
    await f.requireEndpoint(req.params.pid, req.params.eid);
    reply.code(204).send();
  });
  app.delete<PPE>(`${EP}/projects/:pid/endpoints/:eid`, async (req, reply) => {
    authorize(req.auth, 'identity:manage_endpoint_group');
    await f.removeEndpoint(req.params.pid, req.params.eid);
    reply.code(204).send();
  });
  app.get<{ Params: { pid: string } }>(`${EP}/projects/:pid/endpoints`, async (req) => {
    authorize(req.auth, 'identity:get_endpoint_group');
    return endpoints(await f.endpointsOfProject(req.params.pid), `${v3()}${EP}/projects/${req.params.pid}/endpoints`);
  });
  app.get<{ Params: { eid: string } }>(`${EP}/endpoints/:eid/projects`, async (req) => {
    authorize(req.auth, 'identity:get_endpoint_group');
    return projects(await f.projectsOfEndpoint(req.params.eid), `${v3()}${EP}/endpoints/${req.params.eid}/projects`);
  });
}
