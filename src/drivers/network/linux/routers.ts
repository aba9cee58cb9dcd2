import { existsSync } from 'node:fs';
import { ipBatch, ipJson, netnsPath, nftScript, sysctls } from './host.js';
import { NetworkDriverError, type FloatingIpSpec, type RouterLeg, type RouterSpec } from '../driver.js';
import type { AddrInfo, DriverContext, LinkInfo, RouteInfo } from './context.js';
import { dev } from './names.js';
import { isV6, prefixLen, routerNft } from './rules.js';

/** A router's namespace (forwarding on) and its legs on their bridges, then its desired state and addresses, routes and NAT. */
export async function buildRouter(c: DriverContext, spec: RouterSpec): Promise<void> {
  const legs = [...spec.interfaces.map((l) => ({ leg: l, inner: dev.qr(l.portId) })), ...(spec.gateway ? [{ leg: spec.gateway as RouterLeg, inner: dev.qg(spec.gateway.portId) }] : [])];
  for (const { leg } of legs) c.needNetwork(leg.networkId);
  const ns = c.routerNs(spec.id);
  if (!existsSync(netnsPath(ns))) {
    c.o.inventory.record({ kind: 'netns', key: ns, note: `router ${spec.id}`, owner: 'network' });
    await c.run([
      { argv: ['ip', 'netns', 'add', ns] },
      sysctls(ns, { 'net.ipv6.conf.default.disable_ipv6': '1', 'net.ipv6.conf.all.disable_ipv6': '1', 'net.ipv4.ip_forward': '1' }),
      ipBatch(ns, ['link set lo up']),
    ]);
  }
  const have = await c.links(ns);
  const want = new Set(legs.map((l) => l.inner));
  const drop = [...have.keys()].filter((n) => /^q[rg]-/.test(n) && !want.has(n));
  const add: string[] = [];
  const attach: string[] = [];
  // A leg whose inner end is gone may still have its outer end (a namespace being torn down).
  const outerLinks = legs.some((l) => !have.has(l.inner)) ? await c.links(c.U) : new Map<string, LinkInfo>();
  for (const { leg, inner } of legs) {
    const mtu = c.state.networks[leg.networkId]!.mtu;
    const outer = dev.rq(leg.portId);
    if (!have.has(inner)) {
      if (outerLinks.has(outer)) add.push(`link del ${outer}`);
      add.push(`link add ${outer} mtu ${mtu} type veth peer name ${inner} address ${leg.macAddress} mtu ${mtu} netns ${ns}`);
    }
    attach.push(`link set ${outer} master ${dev.bridge(leg.networkId)}`, `link set ${outer} up`);
  }
  await c.run([ipBatch(ns, drop.map((d) => `link del ${d}`)), ipBatch(c.U, [...add, ...attach])]);
  // Floating IPs need a gateway: the ones a gateway-less spec no longer supports go.
  if (!spec.gateway) for (const f of Object.values(c.state.fips)) if (f.routerId === spec.id) delete c.state.fips[f.id];
  c.state.routers[spec.id] = structuredClone(spec);
  c.save();
  await convergeRouter(c, spec.id);
}

/** Addresses, routes and the NAT/filter table of a router, from the desired state (its table's fingerprint recorded). */
export async function convergeRouter(c: DriverContext, id: string): Promise<void> {
  const spec = c.state.routers[id];
  if (!spec) return;
  const ns = c.routerNs(id);
  const fips = Object.values(c.state.fips).filter((f) => f.routerId === id);
  const want = new Map<string, Set<string>>();
  for (const l of spec.interfaces) want.set(dev.qr(l.portId), new Set(l.fixedIps.filter((f) => !isV6(f.ipAddress)).map((f) => `${f.ipAddress}/${prefixLen(f.cidr)}`)));
  if (spec.gateway) {
    const g = new Set(spec.gateway.fixedIps.filter((f) => !isV6(f.ipAddress)).map((f) => `${f.ipAddress}/${prefixLen(f.cidr)}`));
    for (const f of fips) g.add(`${f.floatingIp}/32`);
    want.set(dev.qg(spec.gateway.portId), g);
  }
  const lines: string[] = [];
  for (const a of await ipJson<AddrInfo>(c.runner, ns, ['addr', 'show'])) {
    const w = want.get(a.ifname);
    if (!w) continue;
    const have = new Set(a.addr_info.filter((x) => x.family === 'inet').map((x) => `${x.local}/${x.prefixlen}`));
    for (const x of have) if (!w.has(x)) lines.push(`addr del ${x} dev ${a.ifname}`);
    for (const x of w) if (!have.has(x)) lines.push(`addr add ${x} dev ${a.ifname}`);
    lines.push(`link set ${a.ifname} ${spec.adminStateUp ? 'up' : 'down'}`);
  }
  await c.run([ipBatch(ns, lines)]);
  // Routes: everything we add is `proto static`; what the spec no longer lists goes.
  const routes: { dst: string; via: string }[] = [];
  if (spec.gateway?.nexthops[0]) routes.push({ dst: 'default', via: spec.gateway.nexthops[0] });
  for (const r of spec.routes) if (!isV6(r.destination)) routes.push({ dst: r.destination, via: r.nexthop });
  const current = await ipJson<RouteInfo>(c.runner, ns, ['route', 'show', 'proto', 'static']);
  const rl: string[] = [];
  for (const x of current) if (!routes.some((r) => r.dst === x.dst && r.via === x.gateway)) rl.push(`route del ${x.dst}${x.gateway ? ` via ${x.gateway}` : ''} proto static`);
  for (const r of routes) rl.push(`route replace ${r.dst} via ${r.via} proto static`);
  await c.run([ipBatch(ns, rl), nftScript(ns, routerNft(spec, fips))]);
  await c.recordRouterTables(id);
}

/** Removes the router's namespace and forgets it and its floating IPs. */
export async function deleteRouter(c: DriverContext, routerId: string): Promise<void> {
  const ns = c.routerNs(routerId);
  if (existsSync(netnsPath(ns))) await c.run([{ argv: ['ip', 'netns', 'del', ns] }]);
  c.o.inventory.forget('netns', ns);
  c.programmed.delete(`router:${routerId}`);
  for (const f of Object.values(c.state.fips)) if (f.routerId === routerId) delete c.state.fips[f.id];
  delete c.state.routers[routerId];
  c.save();
}

// ---- floating IPs -------------------------------------------------------------------------

export async function mapFloatingIp(c: DriverContext, spec: FloatingIpSpec): Promise<void> {
  const r = c.state.routers[spec.routerId];
  if (!r?.gateway || !existsSync(netnsPath(c.routerNs(spec.routerId)))) {
    throw new NetworkDriverError('missing', `router ${spec.routerId} is not built here or has no external gateway`);
  }
  const prev = c.state.fips[spec.id];
  c.state.fips[spec.id] = structuredClone(spec);
  c.save();
  if (prev && prev.routerId !== spec.routerId) await convergeRouter(c, prev.routerId);
  await convergeRouter(c, spec.routerId);
}

export async function unmapFloatingIp(c: DriverContext, floatingIpId: string): Promise<void> {
  const prev = c.state.fips[floatingIpId];
  if (!prev) return;
  delete c.state.fips[floatingIpId];
  c.save();
  if (existsSync(netnsPath(c.routerNs(prev.routerId)))) await convergeRouter(c, prev.routerId);
}
