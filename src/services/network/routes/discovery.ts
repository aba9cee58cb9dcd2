import type { FastifyInstance } from 'fastify';
import { EXTENSIONS, RESOURCES } from '../api/extensions.js';
import { parseQuery } from '../api/query.js';
import { listReply, showReply, type RouteDeps } from '../api/reply.js';
import { E } from '../errors.js';
import { actorOf, requireAdmin, requireWriter } from '../policy.js';
import { availabilityView } from '../views/misc.js';

type P = { Params: { id: string } };

/** Extensions, availability zones, IP availability and auto-allocated topologies. */
export function discoveryRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { net } = deps;

  app.get('/', async () => ({
    resources: RESOURCES.map(([name, collection]) => ({ name, collection, links: [{ href: `${deps.root()}/${collection}`, rel: 'self' }] })),
  }));

  app.get('/extensions', async (req) => {
    actorOf(req.auth);
    return { extensions: EXTENSIONS };
  });

  app.get<{ Params: { alias: string } }>('/extensions/:alias', async (req) => {
    actorOf(req.auth);
    const ext = EXTENSIONS.find((e) => e.alias === req.params.alias);
    if (!ext) throw E.extensionNotFound(req.params.alias);
    return { extension: ext };
  });

  // The one service provider: routers (and their floating IPs) are Stratus's own.
  app.get('/service-providers', async (req) => {
    actorOf(req.auth);
    const views = [{ service_type: 'L3_ROUTER_NAT', name: 'stratus', default: true }];
    return listReply(req, deps, 'service_providers', views, E.notFoundPath);
  });

  app.get('/availability_zones', async (req) => {
    actorOf(req.auth);
    const views = ['network', 'router'].map((resource) => ({ name: 'nova', resource, state: 'available' }));
    return listReply(req, deps, 'availability_zones', views, (id) => E.notFound('AvailabilityZoneNotFound', `AvailabilityZone ${id} could not be found.`));
  });

  app.get('/network-ip-availabilities', async (req) => {
    requireAdmin(req.auth, 'get_network_ip_availability');
    let views = (await net.ipAvailability()).map(availabilityView);
    // ip_version filters the subnets listed, not the networks.
    const v = (req.query as Record<string, unknown>).ip_version;
    if (typeof v === 'string') {
      type S = { ip_version: number };
      views = views.map((x) => ({ ...x, subnet_ip_availability: (x.subnet_ip_availability as S[]).filter((s) => String(s.ip_version) === v) }));
    }
    return listReply(req, deps, 'network_ip_availabilities', views, E.networkNotFound);
  });

  app.get<P>('/network-ip-availabilities/:id', async (req) => {
    requireAdmin(req.auth, 'get_network_ip_availability');
    const found = (await net.ipAvailability()).find((a) => a.network.id === req.params.id);
    if (!found) throw E.networkNotFound(req.params.id);
    return showReply(req, 'network_ip_availability', availabilityView(found));
  });

  app.get<P>('/auto-allocated-topology/:id', async (req) => {
    const a = requireWriter(req.auth, 'get_auto_allocated_topology');
    if (!a.admin && a.projectId !== req.params.id) throw E.policy('get_auto_allocated_topology');
    if (parseQuery(req.query).fields?.includes('dry-run')) {
      await net.autoTopology.dryRun();
      return { auto_allocated_topology: { 'dry-run': 'pass' } };
    }
    const id = await net.autoTopology.get(req.params.id);
    return { auto_allocated_topology: { id, tenant_id: req.params.id, project_id: req.params.id } };
  });

  app.delete<P>('/auto-allocated-topology/:id', async (req, reply) => {
    const a = requireWriter(req.auth, 'delete_auto_allocated_topology');
    if (!a.admin && a.projectId !== req.params.id) throw E.policy('delete_auto_allocated_topology');
    await net.autoTopology.delete(req.params.id);
    reply.code(204).send();
  });
}
