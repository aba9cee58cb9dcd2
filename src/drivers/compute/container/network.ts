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
    const found = await until(async () => (await links(underlay)).some((l) => l.ifname === peer), waitMs, 50);
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
