import type { FastifyInstance } from 'fastify';
import type { Json } from '../../../core/validate.js';
import { bodyProject, ifMatch, memberBody, parseAttrs, STANDARD, type AttrMap } from '../api/attrs.js';
import * as c from '../api/convert.js';
import type { CustomFilter } from '../api/query.js';
import { createReply, listReply, showReply, type RouteDeps } from '../api/reply.js';
import { E } from '../errors.js';
import { owns, seesNetwork, seesPort } from '../logic/access.js';
import type { Actor, Network, Port } from '../logic/models.js';
import type { PortInput } from '../logic/ports.js';
import { actorOf, adminOnly, requireOwner, requireWriter, targetProject } from '../policy.js';
import { portView } from '../views/core.js';

type P = { Params: { id: string } };

const VNIC_TYPES = ['normal', 'direct', 'macvtap', 'baremetal', 'direct-physical', 'virtio-forwarder', 'smart-nic', 'vdpa', 'remote-managed', 'accelerator-direct', 'accelerator-direct-physical'] as const;
const fixedIp = c.shape({ subnet_id: { conv: c.uuid }, ip_address: { conv: c.ip } }, (o) => ({ subnetId: o.subnet_id as string | undefined, ipAddress: o.ip_address as string | undefined }));
const pair = c.shape({ ip_address: { conv: c.str(64), required: true }, mac_address: { conv: c.str(64) } }, (o) => ({
  ipAddress: o.ip_address as string,
  macAddress: o.mac_address as string | undefined,
}));
const dhcpOpt = c.shape(
  { opt_name: { conv: c.str(255), required: true }, opt_value: { conv: c.str(255), required: true }, ip_version: { conv: c.int(4, 6) } },
  (o) => ({ optName: o.opt_name as string, optValue: o.opt_value as string, ipVersion: (o.ip_version === 6 ? 6 : 4) as 4 | 6 }),
);
const groups: c.Conv<string[]> = (v, name) => (v === null ? [] : c.list(c.uuid, 100)(v, name));

const ATTRS: AttrMap = {
  ...STANDARD,
  network_id: { post: true, required: true, conv: c.uuid },
  admin_state_up: { post: true, put: true, conv: c.bool },
  mac_address: { post: true, put: true, conv: c.mac },
  fixed_ips: { post: true, put: true, conv: c.list(fixedIp, 100) },
  device_id: { post: true, put: true, conv: c.str(255) },
  device_owner: { post: true, put: true, conv: c.str(255) },
  security_groups: { post: true, put: true, conv: groups },
  allowed_address_pairs: { post: true, put: true, conv: c.list(pair, 100) },
  port_security_enabled: { post: true, put: true, conv: c.bool },
  'binding:host_id': { post: true, put: true, conv: c.str(255) },
  'binding:profile': { post: true, put: true, conv: c.dict },
  'binding:vnic_type': { post: true, put: true, conv: c.oneOf(VNIC_TYPES) },
  extra_dhcp_opts: { post: true, put: true, conv: c.list(dhcpOpt, 100) },
  dns_name: { post: true, put: true, conv: c.dnsName },
};

function toInput(b: Json): PortInput {
  return {
    name: b.name as string | undefined,
    description: b.description as string | undefined,
    tags: b.tags as string[] | undefined,
    adminStateUp: b.admin_state_up as boolean | undefined,
    macAddress: b.mac_address as string | undefined,
    fixedIps: b.fixed_ips as PortInput['fixedIps'],
    deviceId: b.device_id as string | undefined,
    deviceOwner: b.device_owner as string | undefined,
    securityGroups: b.security_groups as string[] | undefined,
    allowedAddressPairs: b.allowed_address_pairs as PortInput['allowedAddressPairs'],
    portSecurity: b.port_security_enabled as boolean | undefined,
    hostId: b['binding:host_id'] as string | undefined,
    vnicType: b['binding:vnic_type'] as string | undefined,
    profile: b['binding:profile'] as Record<string, unknown> | undefined,
    extraDhcpOpts: b.extra_dhcp_opts as PortInput['extraDhcpOpts'],
    dnsName: b.dns_name as string | undefined,
  };
}

/** Attributes only the network's owner (or an admin) may set on a port (Neutron's policy). */
function checkPortAttrs(a: Actor, net: Network, b: Json, action: string): void {
  adminOnly(a, b, ['binding:host_id', 'binding:profile'], action);
  if (owns(a, net.projectId)) return;
  adminOnly(a, b, ['mac_address', 'port_security_enabled', 'allowed_address_pairs'], action);
  const ips = (b.fixed_ips as { ipAddress?: string }[] | undefined) ?? [];
  if (ips.some((f) => f.ipAddress !== undefined)) throw E.policy(`${action}:fixed_ips:ip_address`);
  if (typeof b.device_owner === 'string' && b.device_owner.startsWith('network:')) throw E.policy(`${action}:device_owner`);
}

/** `fixed_ips=ip_address=…`, `fixed_ips=subnet_id=…`, `fixed_ips=ip_address_substr=…`. */
const fixedIpsFilter: CustomFilter = (item, values) => {
  const want: Record<string, string[]> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i > 0) (want[v.slice(0, i)] ??= []).push(v.slice(i + 1));
  }
  const ips = item.fixed_ips as { subnet_id: string; ip_address: string }[];
  return ips.some(
    (f) =>
      (!want.ip_address || want.ip_address.includes(f.ip_address)) &&
      (!want.subnet_id || want.subnet_id.includes(f.subnet_id)) &&
      (!want.ip_address_substr || want.ip_address_substr.some((s) => f.ip_address.includes(s))),
  );
};

export function portRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { net } = deps;
  const view = (a: Actor, p: Port, n: Network | undefined) => portView(p, { admin: a.admin, vifType: net.caps.vifType }, n?.dnsDomain || undefined);
  const visible = async (a: Actor, id: string): Promise<{ p: Port; n: Network | undefined }> => {
    const p = await net.ports.find(id);
    const n = p && (await net.networks.find(p.networkId));
    if (!p || !seesPort(a, p, n)) throw E.portNotFound(id);
    return { p, n };
  };

  app.get('/ports', async (req) => {
    const a = actorOf(req.auth);
    const nets = new Map((await net.networks.list()).map((n) => [n.id, n]));
    const views = (await net.ports.list()).filter((p) => seesPort(a, p, nets.get(p.networkId))).map((p) => view(a, p, nets.get(p.networkId)));
    return listReply(req, deps, 'ports', views, E.portNotFound, { fixed_ips: fixedIpsFilter });
  });

  app.get<P>('/ports/:id', async (req) => {
    const a = actorOf(req.auth);
    const { p, n } = await visible(a, req.params.id);
    return showReply(req, 'port', view(a, p, n));
  });

  app.post('/ports', async (req, reply) =>
    createReply(req, reply, deps, 'port', 'ports', async (item) => {
      const b = parseAttrs(item, 'port', ATTRS, 'POST');
      const projectId = targetProject(req.auth, 'create_port', bodyProject(b));
      const a = actorOf(req.auth);
      const n = await net.networks.find(b.network_id as string);
      if (!n || !seesNetwork(a, n)) throw E.networkNotFound(b.network_id as string);
      if (!n.shared && !owns(a, n.projectId)) throw E.forbidden(`Tenant ${projectId} not allowed to create port on this network`);
      const input = toInput(b);
      checkPortAttrs(a, n, { ...b, fixed_ips: input.fixedIps }, 'create_port');
      return view(a, await net.ports.create(a, projectId, n, input), n);
    }),
  );

  app.put<P>('/ports/:id', async (req) => {
    const a = requireWriter(req.auth, 'update_port');
    const b = parseAttrs(memberBody(req.body, 'port'), 'port', ATTRS, 'PUT');
    if (b.network_id !== undefined) throw E.notAllowed('network_id', 'PUT');
    const { p, n } = await visible(a, req.params.id);
    requireOwner(a, p.projectId, 'update_port');
    const input = toInput(b);
    if (n) checkPortAttrs(a, n, { ...b, fixed_ips: input.fixedIps }, 'update_port');
    return { port: view(a, await net.ports.update(a, p.id, input, ifMatch(req.headers)), n) };
  });

  app.delete<P>('/ports/:id', async (req, reply) => {
    const a = requireWriter(req.auth, 'delete_port');
    const { p, n } = await visible(a, req.params.id);
    if (!owns(a, p.projectId) && !(n && owns(a, n.projectId))) throw E.policy('delete_port');
    await net.ports.delete(p.id, ifMatch(req.headers));
    reply.code(204).send();
  });
}
