import type { FastifyInstance } from 'fastify';
import type { Json } from '../../../core/validate.js';
import { bodyProject, ifMatch, memberBody, parseAttrs, STANDARD, type AttrMap } from '../api/attrs.js';
import * as c from '../api/convert.js';
import { createReply, listReply, showReply, type RouteDeps } from '../api/reply.js';
import { E } from '../errors.js';
import { seesNetwork } from '../logic/access.js';
import type { Actor, Network } from '../logic/models.js';
import type { NetworkInput } from '../logic/networks.js';
import { actorOf, adminOnly, requireOwner, requireWriter, targetProject } from '../policy.js';
import { networkView } from '../views/core.js';

type P = { Params: { id: string } };

const ATTRS: AttrMap = {
  ...STANDARD,
  admin_state_up: { post: true, put: true, conv: c.bool },
  shared: { post: true, put: true, conv: c.bool },
  'router:external': { post: true, put: true, conv: c.bool },
  is_default: { post: true, put: true, conv: c.bool },
  mtu: { post: true, put: true, conv: c.int(68, 9216) },
  port_security_enabled: { post: true, put: true, conv: c.bool },
  'provider:network_type': { post: true, conv: c.str(255) },
  'provider:physical_network': { post: true, conv: c.nullable(c.str(64)) },
  'provider:segmentation_id': { post: true, conv: c.nullable(c.int(0, 16_777_215)) },
  dns_domain: { post: true, put: true, conv: c.str(255) },
  availability_zone_hints: { post: true, conv: c.list(c.str(255)) },
};

const ADMIN_ATTRS = ['shared', 'router:external', 'is_default', 'provider:network_type', 'provider:physical_network', 'provider:segmentation_id'];
const DEFAULTS = { shared: false, 'router:external': false, is_default: false };

export function toInput(b: Json): NetworkInput {
  for (const az of (b.availability_zone_hints as string[] | undefined) ?? [])
    if (az !== 'nova') throw E.bad('AvailabilityZoneNotFound', `AvailabilityZone ${az} could not be found.`);
  return {
    name: b.name as string | undefined,
    description: b.description as string | undefined,
    tags: b.tags as string[] | undefined,
    adminStateUp: b.admin_state_up as boolean | undefined,
    shared: b.shared as boolean | undefined,
    external: b['router:external'] as boolean | undefined,
    isDefault: b.is_default as boolean | undefined,
    mtu: b.mtu as number | undefined,
    portSecurity: b.port_security_enabled as boolean | undefined,
    networkType: b['provider:network_type'] as string | undefined,
    physicalNetwork: b['provider:physical_network'] as string | null | undefined,
    segmentationId: b['provider:segmentation_id'] as number | null | undefined,
    dnsDomain: b.dns_domain as string | undefined,
    azHints: b.availability_zone_hints as string[] | undefined,
  };
}

export function networkRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { net } = deps;
  const vctx = (a: Actor) => ({ admin: a.admin, vifType: net.caps.vifType });
  const visible = async (a: Actor, id: string): Promise<Network> => {
    const n = await net.networks.find(id);
    if (!n || !seesNetwork(a, n)) throw E.networkNotFound(id);
    return n;
  };

  app.get('/networks', async (req) => {
    const a = actorOf(req.auth);
    const subnets = await net.subnets.idsByNetwork();
    const views = (await net.networks.list()).filter((n) => seesNetwork(a, n)).map((n) => networkView(n, subnets.get(n.id) ?? [], vctx(a)));
    return listReply(req, deps, 'networks', views, E.networkNotFound);
  });

  app.get<P>('/networks/:id', async (req) => {
    const a = actorOf(req.auth);
    const n = await visible(a, req.params.id);
    const subnets = (await net.subnets.ofNetwork(n.id)).map((s) => s.id);
    return showReply(req, 'network', networkView(n, subnets, vctx(a)));
  });

  app.post('/networks', async (req, reply) =>
    createReply(req, reply, deps, 'network', 'networks', async (item) => {
      const b = parseAttrs(item, 'network', ATTRS, 'POST');
      const projectId = targetProject(req.auth, 'create_network', bodyProject(b));
      const a = actorOf(req.auth);
      adminOnly(a, b, ADMIN_ATTRS, 'create_network', DEFAULTS);
      return networkView(await net.networks.create(projectId, toInput(b)), [], vctx(a));
    }),
  );

  app.put<P>('/networks/:id', async (req) => {
    const a = requireWriter(req.auth, 'update_network');
    const b = parseAttrs(memberBody(req.body, 'network'), 'network', ATTRS, 'PUT');
    const n = await visible(a, req.params.id);
    requireOwner(a, n.projectId, 'update_network');
    adminOnly(a, b, ADMIN_ATTRS, 'update_network');
    const saved = await net.networks.update(n.id, toInput(b), ifMatch(req.headers));
    const subnets = (await net.subnets.ofNetwork(n.id)).map((s) => s.id);
    return { network: networkView(saved, subnets, vctx(a)) };
  });

  app.delete<P>('/networks/:id', async (req, reply) => {
    const a = requireWriter(req.auth, 'delete_network');
    const n = await visible(a, req.params.id);
    requireOwner(a, n.projectId, 'delete_network');
    await net.networks.delete(n.id, ifMatch(req.headers));
    reply.code(204).send();
  });
}
