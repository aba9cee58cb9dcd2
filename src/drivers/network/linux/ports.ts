import { existsSync } from 'node:fs';
import { ipBatch, netnsPath, type Cmd } from './host.js';
import { peerName, type PortSpec } from '../driver.js';
import type { DriverContext } from './context.js';
import { ALIAS, dev } from './names.js';
import { isV6 } from './rules.js';

/**
 * Three steps, each under the mutex: the veth pair (its tap off any bridge), so the compute
 * driver can take the peer at once; the shared filter tables (one render covers every port
 * plugged meanwhile: a burst of boots costs one `iptables-restore`, not one per port); then
 * the tap on its bridge, up. The tap joins the bridge only after its filters are in place,
 * so the port never carries a packet its rules would refuse.
 */
export async function plugPort(c: DriverContext, spec: PortSpec): Promise<void> {
  const t0 = performance.now();
  const attach = await c.locked(() => createPort(c, spec));
  const t1 = performance.now();
  await c.renderSharedSoon();
  const t2 = performance.now();
  await c.locked(async () => {
    // Unplugged or re-plugged with another spec meanwhile: that call owns the port now.
    if (c.state.ports[spec.id] !== attach.spec) return;
    await c.run([ipBatch(c.U, attach.lines)]);
    await forgetNeighbours(c, spec);
  });
  c.debug(`plugPort ${spec.id}: veth ${(t1 - t0).toFixed(0)} ms, filters ${(t2 - t1).toFixed(0)} ms, attach ${(performance.now() - t2).toFixed(0)} ms`);
}

/** The whole port in one go, under the caller's lock (the self-repair path). */
export async function buildPort(c: DriverContext, spec: PortSpec): Promise<void> {
  const attach = await createPort(c, spec);
  await c.renderShared();
  await c.run([ipBatch(c.U, attach.lines)]);
}

/** The veth pair (created off any bridge) and the port's desired state; resolves the `ip` lines that attach it. */
async function createPort(c: DriverContext, spec: PortSpec): Promise<{ spec: PortSpec; lines: string[] }> {
  const n = c.needNetwork(spec.networkId);
  const tap = dev.tap(spec.id);
  const peer = peerName(spec.id);
  const links = await c.links(c.U);
  const first: string[] = [];
  if (!links.has(tap)) first.push(`link add ${tap} mtu ${spec.mtu} type veth peer name ${peer} address ${spec.macAddress} mtu ${spec.mtu}`);
  else {
    first.push(`link set ${tap} mtu ${spec.mtu}`);
    if (links.has(peer)) first.push(`link set ${peer} address ${spec.macAddress} mtu ${spec.mtu}`);
  }
  first.push(`link set ${tap} alias ${ALIAS.port}${spec.id}`);
  const own = structuredClone(spec);
  c.state.ports[spec.id] = own;
  c.save();
  c.sharedWanted++;
  await c.run([ipBatch(c.U, first)]);
  return { spec: own, lines: [`link set ${tap} master ${dev.bridge(n.id)}`, `link set ${tap} ${spec.adminStateUp ? 'up' : 'down'}`] };
}

/**
 * Drops what the routers on the port's network remember of its addresses' MACs: an address
 * freed by a deleted port and given to a new one would otherwise be sent to the old MAC until
 * the router's neighbour entry expires (15-45 s), and a floating IP's traffic never arrives.
 */
async function forgetNeighbours(c: DriverContext, spec: PortSpec): Promise<void> {
  const ips = spec.fixedIps.filter((f) => !isV6(f.ipAddress)).map((f) => f.ipAddress);
  if (!ips.length) return;
  const cmds: Cmd[] = [];
  for (const r of Object.values(c.state.routers)) {
    if (!r.interfaces.some((l) => l.networkId === spec.networkId) || !existsSync(netnsPath(c.routerNs(r.id)))) continue;
    cmds.push({ argv: ['ip', '-n', c.routerNs(r.id), '-force', '-batch', '-'], input: ips.map((ip) => `neigh flush to ${ip}`).join('\n') + '\n', mayFail: true });
  }
  await Promise.all(cmds.map((x) => c.runner.run(x).catch(() => undefined)));
}

/** Removes the port's tap and forgets the port (the shared tables follow). */
export async function unplugPort(c: DriverContext, portId: string): Promise<void> {
  const tap = dev.tap(portId);
  if ((await c.links(c.U)).has(tap)) await c.run([ipBatch(c.U, [`link del ${tap}`])]);
  if (c.state.ports[portId]) {
    delete c.state.ports[portId];
    c.save();
    await c.renderShared();
  }
}
