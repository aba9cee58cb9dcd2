import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../../core/errors.js';
import { isObject, type Json } from '../../../core/validate.js';
import type { Caller } from '../logic/models.js';
import { proxyOf, type NetworkProxy, type NewProxyRule } from '../logic/proxy-ports.js';
import { shield } from '../logic/shield.js';
import { authorize } from '../policy.js';
import { body } from '../schemas/common.js';
import { qp } from '../schemas/queries.js';
import { floatingIpView, groupView, networkView, ruleView, tenantNetworkView } from '../views/proxies.js';
import type { ComputeRouteDeps, IdParams } from './deps.js';

/** The network proxy, shielded like compute's other ports. */
export function networkProxy(d: ComputeRouteDeps): NetworkProxy {
  return shield(proxyOf(d.logic.ctx.ports.network, 'network'), 'network', d.log);
}

/** A group's name or description: a string of at most 255 characters (Neutron's limit). */
function groupText(v: unknown, field: 'name' | 'description', required: boolean): string | undefined {
  if (v === undefined || v === null) {
    if (required) throw badRequest(`Security group ${field} is not a string or unicode`);
    return undefined;
  }
  if (typeof v !== 'string') throw badRequest(`Security group ${field} is not a string or unicode`);
  if ([...v].length > 255) throw badRequest(`Security group ${field} should not be greater than 255 characters.`);
  return v;
}

/** Nova's integer conversion of a port (ints or numeric strings). */
function portNumber(v: unknown, icmp: boolean): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw badRequest(icmp ? 'Type and Code must be integers for ICMP protocol type' : 'To and From ports must be integers');
  return n;
}

/** Nova's checks of a new ingress rule (tcp, udp or icmp with a valid range, a valid CIDR). */
export function parseRule(raw: unknown): NewProxyRule {
  const b = body(raw, 'security_group_rule');
  if (typeof b.parent_group_id !== 'string' && typeof b.parent_group_id !== 'number') throw badRequest('Security group id should be uuid');
  const groupId = String(b.parent_group_id);
  const remoteGroupId = b.group_id === undefined || b.group_id === null || b.group_id === '' ? null : String(b.group_id as string);
  let cidr: string | null = null;
  if (remoteGroupId === null) {
    const c = b.cidr === undefined || b.cidr === null || b.cidr === '' ? '0.0.0.0/0' : String(b.cidr as string);
    if (!validCidr(c)) throw badRequest(`Invalid cidr ${c}.`);
    cidr = c;
  }
  const proto = b.ip_protocol === undefined || b.ip_protocol === null || b.ip_protocol === '' ? null : String(b.ip_protocol as string);
  const rule: NewProxyRule = { groupId, remoteGroupId, cidr, protocol: null, fromPort: null, toPort: null };
  if (proto !== null && b.from_port !== undefined && b.from_port !== null && b.to_port !== undefined && b.to_port !== null) {
    const icmp = proto.toUpperCase() === 'ICMP';
    const from = portNumber(b.from_port, icmp);
    const to = portNumber(b.to_port, icmp);
    const p = proto.toLowerCase();
    if (p !== 'tcp' && p !== 'udp' && p !== 'icmp') throw badRequest(`Invalid IP protocol ${proto}.`);
    const range = (why: string) => badRequest(`Invalid port range ${from}:${to}. ${why}`);
    if (p !== 'icmp' && from > to) throw range('Former value cannot be greater than the later');
    if (p !== 'icmp' && (from < 1 || to > 65535)) throw range(`Valid ${p.toUpperCase()} ports should be between 1-65535`);
    if (p === 'icmp' && (from < -1 || from > 255 || to < -1 || to > 255)) throw range('For ICMP, the type:code must be valid');
    return { ...rule, protocol: p, fromPort: from, toPort: to };
  }
  if (remoteGroupId === null) throw badRequest('Not enough parameters to build a valid rule.');
  return rule;
}

function validCidr(c: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(c);
  if (!m) return false;
  const ip = m[1]!;
  const bits = Number(m[2]);
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return ip.split('.').every((o) => Number(o) <= 255) && bits <= 32;
  return ip.includes(':') && /^[0-9a-fA-F:.]+$/.test(ip) && bits <= 128;
}

/** addFloatingIp / removeFloatingIp bodies: `address` an IP address (Nova's schema). */
export function floatingAddress(arg: unknown, action: string, field = 'address', required = true): string | undefined {
  const b: Json = isObject(arg) ? arg : {};
  if (!isObject(arg)) throw badRequest(`Invalid input for field/attribute ${action}. Value: ${JSON.stringify(arg)}. ${JSON.stringify(arg)} is not of type 'object'`);
  const v = b[field];
  if (v === undefined && !required) return undefined;
  if (v === undefined) throw badRequest(`Invalid input for field/attribute ${action}. Value: ${JSON.stringify(b)}. '${field}' is a required property`);
  if (typeof v !== 'string' || !(/^\d{1,3}(\.\d{1,3}){3}$/.test(v) || (v.includes(':') && /^[0-9a-fA-F:.]+$/.test(v))))
    throw badRequest(`Invalid input for field/attribute ${field}. Value: ${JSON.stringify(v)}. ${JSON.stringify(v)} is not a valid IP address`);
  return v;
}

const allTenants = (q: unknown) => {
  const v = qp(q, 'all_tenants');
  return v !== undefined && v.toLowerCase() !== 'false' && v !== '0';
};

/** os-security-groups, os-security-group-rules and /servers/{id}/os-security-groups. */
export function securityGroupRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const np = () => networkProxy(d);
  app.get('/os-security-groups', async (req) => {
    const caller = authorize(req, 'read');
    return { security_groups: (await np().listGroups(caller, allTenants(req.query))).map(groupView) };
  });
  app.post('/os-security-groups', async (req) => {
    const caller = authorize(req, 'write');
    const b = body(req.body, 'security_group');
    const g = await np().createGroup(caller, groupText(b.name, 'name', true)!, groupText(b.description, 'description', false) ?? '');
    return { security_group: groupView(g) };
  });
  app.get<IdParams>('/os-security-groups/:id', async (req) => {
    const caller = authorize(req, 'read');
    return { security_group: groupView(await np().getGroup(caller, req.params.id)) };
  });
  app.put<IdParams>('/os-security-groups/:id', async (req) => {
    const caller = authorize(req, 'write');
    const b = body(req.body, 'security_group');
    const g = await np().updateGroup(caller, req.params.id, groupText(b.name, 'name', false), groupText(b.description, 'description', false));
    return { security_group: groupView(g) };
  });
  app.delete<IdParams>('/os-security-groups/:id', async (req, reply) => {
    const caller = authorize(req, 'write');
    await np().deleteGroup(caller, req.params.id);
    reply.code(202).send();
  });

  app.post('/os-security-group-rules', async (req) => {
    const caller = authorize(req, 'write');
    return { security_group_rule: ruleView(await np().createRule(caller, parseRule(req.body))) };
  });
  app.delete<IdParams>('/os-security-group-rules/:id', async (req, reply) => {
    const caller = authorize(req, 'write');
    await np().deleteRule(caller, req.params.id);
    reply.code(202).send();
  });

  app.get<IdParams>('/servers/:id/os-security-groups', async (req) => {
    const caller = authorize(req, 'read');
    const s = await d.logic.servers.find(caller, req.params.id);
    return { security_groups: (await np().groupsOfServer(caller, s.id)).map(groupView) };
  });
}

/** os-floating-ips and os-floating-ip-pools. */
export function floatingIpRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const np = () => networkProxy(d);
  app.get('/os-floating-ips', async (req) => {
    const caller = authorize(req, 'read');
    return { floating_ips: (await np().listFloatingIps(caller)).map(floatingIpView) };
  });
  app.post('/os-floating-ips', async (req) => {
    const caller = authorize(req, 'write');
    const b = req.body === undefined || req.body === null ? {} : req.body;
    if (!isObject(b)) throw badRequest('The request body must be a JSON object.');
    const pool = b.pool === undefined || b.pool === null ? undefined : String(b.pool as string);
    return { floating_ip: floatingIpView(await np().allocateFloatingIp(caller, pool)) };
  });
  app.get<IdParams>('/os-floating-ips/:id', async (req) => {
    const caller = authorize(req, 'read');
    return { floating_ip: floatingIpView(await np().getFloatingIp(caller, req.params.id)) };
  });
  app.delete<IdParams>('/os-floating-ips/:id', async (req, reply) => {
    const caller = authorize(req, 'write');
    await np().releaseFloatingIp(caller, req.params.id);
    reply.code(202).send();
  });
  app.get('/os-floating-ip-pools', async (req) => {
    const caller = authorize(req, 'read');
    return { floating_ip_pools: (await np().floatingIpPools(caller)).map((name) => ({ name })) };
  });
}

/** os-networks (read-only with Neutron) and os-tenant-networks. */
export function networkProxyRoutes(app: FastifyInstance, d: ComputeRouteDeps): void {
  const np = () => networkProxy(d);
  const one = async (caller: Caller, id: string) => np().getNetwork(caller, id);
  app.get('/os-networks', async (req) => {
    const caller = authorize(req, 'read');
    return { networks: (await np().listNetworks(caller)).map((n) => networkView(n, caller.admin)) };
  });
  app.get<IdParams>('/os-networks/:id', async (req) => {
    const caller = authorize(req, 'read');
    return { network: networkView(await one(caller, req.params.id), caller.admin) };
  });
  app.get('/os-tenant-networks', async (req) => {
    const caller = authorize(req, 'read');
    return { networks: (await np().listNetworks(caller)).map(tenantNetworkView) };
  });
  app.get<IdParams>('/os-tenant-networks/:id', async (req) => {
    const caller = authorize(req, 'read');
    return { network: tenantNetworkView(await one(caller, req.params.id)) };
  });
}
