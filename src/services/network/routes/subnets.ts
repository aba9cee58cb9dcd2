import type { FastifyInstance } from 'fastify';
import type { Json } from '../../../core/validate.js';
import { bodyProject, ifMatch, memberBody, parseAttrs, STANDARD, type AttrMap } from '../api/attrs.js';
import * as c from '../api/convert.js';
import { createReply, listReply, showReply, type RouteDeps } from '../api/reply.js';
import { E } from '../errors.js';
import { owns, seesNetwork, seesPool, seesSubnet } from '../logic/access.js';
import type { Actor, Subnet } from '../logic/models.js';
import { IPV6_MODES } from '../logic/subnet-checks.js';
import type { SubnetInput, SubnetPatch } from '../logic/subnets.js';
import { actorOf, requireOwner, requireWriter, targetProject } from '../policy.js';
import { subnetView } from '../views/core.js';

type P = { Params: { id: string } };

const pool = c.shape({ start: { conv: c.ip, required: true }, end: { conv: c.ip, required: true } }, (o) => ({ start: o.start as string, end: o.end as string }));
const route = c.shape({ destination: { conv: c.cidrText, required: true }, nexthop: { conv: c.ip, required: true } }, (o) => ({
  destination: o.destination as string,
  nexthop: o.nexthop as string,
}));
const ipVersion: c.Conv<4 | 6> = (v, name) => {
  const n = c.int(0, 1000)(v, name);
  if (n !== 4 && n !== 6) throw c.invalid(name, `'${n}' is not in [4, 6]`);
  return n;
};
const mode = c.nullable(c.oneOf(IPV6_MODES));

const ATTRS: AttrMap = {
  ...STANDARD,
  network_id: { post: true, required: true, conv: c.uuid },
  ip_version: { post: true, required: true, conv: ipVersion },
  cidr: { post: true, conv: c.cidrText },
  prefixlen: { post: true, conv: c.int(0, 128) },
  subnetpool_id: { post: true, conv: c.nullable(c.uuid) },
  use_default_subnetpool: { post: true, conv: c.bool },
  gateway_ip: { post: true, put: true, conv: c.nullable(c.ip) },
  allocation_pools: { post: true, put: true, conv: c.list(pool, 100) },
  dns_nameservers: { post: true, put: true, conv: c.list(c.str(255), 100) },
  host_routes: { post: true, put: true, conv: c.list(route, 100) },
  enable_dhcp: { post: true, put: true, conv: c.bool },
  ipv6_ra_mode: { post: true, conv: mode },
  ipv6_address_mode: { post: true, conv: mode },
  service_types: { post: true, put: true, conv: c.list(c.str(255), 20) },
};

function toPatch(b: Json): SubnetPatch {
  return {
    name: b.name as string | undefined,
    description: b.description as string | undefined,
    gatewayIp: b.gateway_ip as string | null | undefined,
    allocationPools: b.allocation_pools as SubnetPatch['allocationPools'],
    dnsNameservers: b.dns_nameservers as string[] | undefined,
    hostRoutes: b.host_routes as SubnetPatch['hostRoutes'],
    enableDhcp: b.enable_dhcp as boolean | undefined,
    serviceTypes: b.service_types as string[] | undefined,
  };
}

function toInput(b: Json): SubnetInput {
  return {
    ...toPatch(b),
    tags: b.tags as string[] | undefined,
    networkId: b.network_id as string,
    ipVersion: b.ip_version as 4 | 6,
    cidr: b.cidr as string | undefined,
    prefixlen: b.prefixlen as number | undefined,
    subnetpoolId: b.subnetpool_id as string | null | undefined,
    useDefaultSubnetpool: b.use_default_subnetpool as boolean | undefined,
    ipv6RaMode: b.ipv6_ra_mode as string | null | undefined,
    ipv6AddressMode: b.ipv6_address_mode as string | null | undefined,
  };
}

export function subnetRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { net } = deps;
  const visible = async (a: Actor, id: string): Promise<Subnet> => {
    const s = await net.subnets.find(id);
    if (!s || !seesSubnet(a, s, await net.networks.find(s.networkId))) throw E.subnetNotFound(id);
    return s;
  };
  const requireNetOwner = async (a: Actor, s: Subnet, action: string) => {
    const n = await net.networks.find(s.networkId);
    if (!owns(a, s.projectId) && !(n && owns(a, n.projectId))) throw E.policy(action);
  };

  app.get('/subnets', async (req) => {
    const a = actorOf(req.auth);
    const nets = new Map((await net.networks.list()).map((n) => [n.id, n]));
    const views = (await net.subnets.list()).filter((s) => seesSubnet(a, s, nets.get(s.networkId))).map(subnetView);
    return listReply(req, deps, 'subnets', views, E.subnetNotFound);
  });

  app.get<P>('/subnets/:id', async (req) => showReply(req, 'subnet', subnetView(await visible(actorOf(req.auth), req.params.id))));

  app.post('/subnets', async (req, reply) =>
    createReply(req, reply, deps, 'subnet', 'subnets', async (item) => {
      const b = parseAttrs(item, 'subnet', ATTRS, 'POST');
      const projectId = targetProject(req.auth, 'create_subnet', bodyProject(b));
      const a = actorOf(req.auth);
      const n = await net.networks.find(b.network_id as string);
      if (!n || !seesNetwork(a, n)) throw E.networkNotFound(b.network_id as string);
      requireOwner(a, n.projectId, 'create_subnet');
      if (b.subnetpool_id) {
        const p = await net.r.pools.get(b.subnetpool_id as string);
        if (!p || !seesPool(a, p)) throw E.subnetpoolNotFound(b.subnetpool_id as string);
      }
      return subnetView(await net.subnets.create(projectId, n, toInput(b)));
    }),
  );

  app.put<P>('/subnets/:id', async (req) => {
    const a = requireWriter(req.auth, 'update_subnet');
    const b = parseAttrs(memberBody(req.body, 'subnet'), 'subnet', ATTRS, 'PUT');
    const s = await visible(a, req.params.id);
    await requireNetOwner(a, s, 'update_subnet');
    return { subnet: subnetView(await net.subnets.update(s.id, toPatch(b), ifMatch(req.headers))) };
  });

  app.delete<P>('/subnets/:id', async (req, reply) => {
    const a = requireWriter(req.auth, 'delete_subnet');
    const s = await visible(a, req.params.id);
    await requireNetOwner(a, s, 'delete_subnet');
    await net.subnets.delete(s.id, ifMatch(req.headers));
    reply.code(204).send();
  });
}
