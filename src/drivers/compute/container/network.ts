import { existsSync } from 'node:fs';
import type { PortBinding } from '../driver.js';
import { sh, until } from './host.js';

/**
 * Instance-side peer of a port, as the network driver names it (`peerName` in
 * src/drivers/network/driver.ts; repeated here because a driver may not import another's).
 */
export function peerName(portId: string): string {
  return `ns${portId.slice(0, 11)}`;
}

interface Link {
  ifname: string;
  address?: string;
}

/** Names of the links in a namespace (a /run/netns path); empty when it cannot be read. */
export async function linkNames(netnsPath: string): Promise<Set<string>> {
  return new Set((await links(netnsPath)).map((l) => l.ifname));
}

async function links(netnsPath: string): Promise<Link[]> {
  const r = await sh(['nsenter', `--net=${netnsPath}`, '--', 'ip', '-json', 'link', 'show'], { mayFail: true });
  if (r.code !== 0 || !r.stdout.trim()) return [];
  return JSON.parse(r.stdout) as Link[];
}

export async function ensureNetns(name: string): Promise<string> {
  const path = `/run/netns/${name}`;
  if (!existsSync(path)) {
    await sh(['ip', 'netns', 'add', name]);
    await sh(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  }
  return path;
}

export async function deleteNetns(name: string): Promise<void> {
  if (existsSync(`/run/netns/${name}`)) await sh(['ip', 'netns', 'del', name], { mayFail: true });
}

/**
 * Moves each port's peer from the underlay into the instance's namespace as `eth<i>`, with
 * the port's MAC, up. Ports already inside are left alone; a peer the network driver has not
 * created yet is waited for up to `waitMs`, then the call fails (retryable: the port may be
 * plugged a moment later). Without an underlay (fake network driver) ports are skipped.
 */
export async function attachPorts(netns: string, ports: PortBinding[], underlay: string | undefined, waitMs: number): Promise<string[]> {
  const notes: string[] = [];
  if (!ports.length) return notes;
  if (!underlay || !existsSync(underlay)) {
    notes.push(`no underlay namespace: ${ports.length} port(s) left unplugged (the network driver is not the linux one)`);
    return notes;
  }
  const path = `/run/netns/${netns}`;
  const inside = await links(path);
  for (const [i, p] of ports.entries()) {
    const eth = `eth${i}`;
    const mac = p.macAddress.toLowerCase();
    const have = inside.find((l) => l.ifname === eth);
    if (have && have.address?.toLowerCase() === mac) continue;
    const peer = peerName(p.portId);
    // One small `ip link show dev` per try, every 20 ms: the peer usually appears while the
    // root filesystem is being prepared, so the first or second try finds it.
    const found = await until(async () => (await sh(['nsenter', `--net=${underlay}`, '--', 'ip', 'link', 'show', 'dev', peer], { mayFail: true })).code === 0, waitMs, 20);
    if (!found) throw Object.assign(new Error(`port ${p.portId}: its device ${peer} is not in the underlay after ${waitMs} ms; the network driver has not plugged it yet`), { retryable: true });
    if (have) await sh(['ip', '-n', netns, 'link', 'del', eth], { mayFail: true });
    await sh(['nsenter', `--net=${underlay}`, '--', 'ip', 'link', 'set', peer, 'netns', netns]);
    const mtu = p.mtu ? ` mtu ${p.mtu}` : '';
    await sh(['ip', '-n', netns, '-batch', '-'], { input: `link set ${peer} name ${eth}\nlink set ${eth} address ${mac}${mtu}\nlink set ${eth} up\n` });
  }
  return notes;
}

/**
 * Gives the ports back to the underlay under their peer names (the network driver owns them
 * and unplugs or re-plugs them), so deleting the instance namespace never deletes a port.
 * `underlay` is a path under /run/netns (what `ip link set … netns NAME` understands).
 */
export async function returnPorts(netns: string, ports: PortBinding[], underlay: string | undefined): Promise<void> {
  if (!existsSync(`/run/netns/${netns}`) || !underlay || !existsSync(underlay) || !underlay.startsWith('/run/netns/')) return;
  const target = underlay.slice('/run/netns/'.length);
  const inside = await links(`/run/netns/${netns}`);
  const lines: string[] = [];
  for (const [i, p] of ports.entries()) {
    const eth = `eth${i}`;
    if (!inside.some((l) => l.ifname === eth)) continue;
    const peer = peerName(p.portId);
    lines.push(`link set ${eth} down`, `link set ${eth} name ${peer}`, `link set ${peer} netns ${target}`);
  }
  if (lines.length) await sh(['ip', '-n', netns, '-force', '-batch', '-'], { input: lines.join('\n') + '\n', mayFail: true });
}

/** What a guest configured on one of its interfaces: IPv4 addresses and the routes through it. */
export interface GuestNic {
  eth: string;
  mtu?: number;
  addrs: { local: string; prefixlen: number; broadcast?: string }[];
  routes: { dst: string; gateway?: string; scope?: string; metric?: number; prefsrc?: string }[];
}

interface AddrJson {
  ifname: string;
  mtu?: number;
  addr_info?: { family: string; local: string; prefixlen: number; broadcast?: string }[];
}
interface RouteJson {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  metric?: number;
  prefsrc?: string;
}

/**
 * The IPv4 configuration the guest gave its `ethN` interfaces (one `ip -json -batch` in the
 * instance's namespace). A VM keeps it in its NIC when the host side of a port is re-plugged;
 * a container's NIC is the veth peer itself and goes with it, so the driver keeps this copy to
 * give it back (`restoreNics`). Empty when the namespace cannot be read.
 */
export async function guestNics(netns: string): Promise<GuestNic[]> {
  const r = await sh(['ip', '-n', netns, '-json', '-batch', '-'], { input: 'addr show\nroute show table main\n', mayFail: true });
  if (r.code !== 0) return [];
  const [addrLine, routeLine] = r.stdout.split('\n').filter((l) => l.trim());
  let addrs: AddrJson[] = [];
  let routes: RouteJson[] = [];
  try {
    addrs = JSON.parse(addrLine ?? '[]') as AddrJson[];
    routes = JSON.parse(routeLine ?? '[]') as RouteJson[];
  } catch {
    return [];
  }
  return addrs
    .filter((a) => /^eth\d+$/.test(a.ifname))
    .map((a) => ({
      eth: a.ifname,
      ...(a.mtu ? { mtu: a.mtu } : {}),
      addrs: (a.addr_info ?? []).filter((x) => x.family === 'inet').map((x) => ({ local: x.local, prefixlen: x.prefixlen, ...(x.broadcast ? { broadcast: x.broadcast } : {}) })),
      routes: routes
        .filter((x) => x.dev === a.ifname && x.protocol !== 'kernel')
        .map((x) => ({ dst: x.dst, ...(x.gateway ? { gateway: x.gateway } : {}), ...(x.scope ? { scope: x.scope } : {}), ...(x.metric ? { metric: x.metric } : {}), ...(x.prefsrc ? { prefsrc: x.prefsrc } : {}) })),
    }));
}

/** `ip -batch` lines that give `nic`'s addresses and routes back to its interface (routes without a gateway first). */
export function restoreLines(nic: GuestNic): string[] {
  const lines = nic.addrs.map((a) => `addr replace ${a.local}/${a.prefixlen}${a.broadcast ? ` broadcast ${a.broadcast}` : ''} dev ${nic.eth}`);
  const ordered = [...nic.routes.filter((r) => !r.gateway), ...nic.routes.filter((r) => r.gateway)];
  for (const r of ordered) {
    const parts = [`route replace ${r.dst}`];
    if (r.gateway) parts.push(`via ${r.gateway}`);
    parts.push(`dev ${nic.eth}`);
    if (r.scope && !r.gateway) parts.push(`scope ${r.scope}`);
    if (r.metric) parts.push(`metric ${r.metric}`);
    if (r.prefsrc) parts.push(`src ${r.prefsrc}`);
    lines.push(parts.join(' '));
  }
  return lines;
}

/**
 * Moves back into the instance the peers the network driver re-created in the underlay (its
 * host side was deleted, which took the instance's interface with it), as `ethN` with the
 * port's MAC, and gives each its last known guest configuration. Resolves the interfaces it
 * re-linked.
 */
export async function relinkPorts(netns: string, ports: PortBinding[], underlay: string, underlayLinks: Set<string>, nics: GuestNic[]): Promise<string[]> {
  const todo = ports.map((p, i) => ({ p, i })).filter(({ p }) => underlayLinks.has(peerName(p.portId)));
  if (!todo.length || !existsSync(`/run/netns/${netns}`)) return [];
  await attachPorts(netns, ports, underlay, 0);
  const done: string[] = [];
  const lines: string[] = [];
  for (const { i } of todo) {
    const eth = `eth${i}`;
    done.push(eth);
    const nic = nics.find((n) => n.eth === eth);
    if (nic) lines.push(...(nic.mtu ? [`link set ${eth} mtu ${nic.mtu}`] : []), ...restoreLines(nic));
  }
  if (lines.length) await sh(['ip', '-n', netns, '-force', '-batch', '-'], { input: lines.join('\n') + '\n', mayFail: true });
  return done;
}
