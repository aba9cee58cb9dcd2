import { ipBatch, ipJson } from './host.js';
import type { NetworkSpec } from '../driver.js';
import type { AddrInfo, DriverContext } from './context.js';
import { ALIAS, dev } from './names.js';
import { prefixLen } from './rules.js';
import { stopService } from './services.js';

/** A network's bridge in the underlay (MTU, alias, admin state, uplink, external gateway address) and its desired state. */
export async function buildNetwork(c: DriverContext, spec: NetworkSpec): Promise<void> {
  const prev = c.state.networks[spec.id];
  const zone = prev?.zone ?? 1 + Math.max(0, ...Object.values(c.state.networks).map((n) => n.zone));
  const br = dev.bridge(spec.id);
  const links = await c.links(c.U);
  const lines: string[] = [];
  if (!links.has(br)) lines.push(`link add ${br} type bridge`);
  lines.push(`link set ${br} mtu ${spec.mtu}`, `link set ${br} alias ${ALIAS.net}${spec.id}`, `link set ${br} ${spec.adminStateUp ? 'up' : 'down'}`);
  const uplink = c.o.underlay.uplinkDev;
  if (spec.external && uplink && links.has(uplink)) lines.push(`link set ${uplink} master ${br}`, `link set ${uplink} up`);
  // Isolated, the underlay itself plays the external network's upstream (devstack's br-ex):
  // it holds the external gateway address on the bridge, so `stratus netns exec -- ssh
  // <floating IP>` works, and it never forwards (ip_forward stays 0 in the underlay).
  const want = new Set(spec.external && !uplink ? spec.subnets.filter((s) => s.ipVersion === 4 && s.gatewayIp).map((s) => `${s.gatewayIp}/${prefixLen(s.cidr)}`) : []);
  const have = links.has(br) ? (await ipJson<AddrInfo>(c.runner, c.U, ['addr', 'show', 'dev', br])).flatMap((a) => a.addr_info.filter((x) => x.family === 'inet').map((x) => `${x.local}/${x.prefixlen}`)) : [];
  for (const x of have) if (!want.has(x)) lines.push(`addr del ${x} dev ${br}`);
  for (const x of want) if (!have.includes(x)) lines.push(`addr add ${x} dev ${br}`);
  await c.run([ipBatch(c.U, lines)]);
  c.state.networks[spec.id] = { ...structuredClone(spec), zone };
  c.save();
  if (!prev) await c.renderShared();
}

/** Stops the network's DHCP/metadata service, removes its bridge and forgets it (the shared tables follow). */
export async function deleteNetwork(c: DriverContext, networkId: string): Promise<void> {
  await stopService(c, networkId, true);
  delete c.state.dhcp[networkId];
  delete c.state.metadata[networkId];
  const br = dev.bridge(networkId);
  if ((await c.links(c.U)).has(br)) await c.run([ipBatch(c.U, [`link del ${br}`])]);
  if (c.state.networks[networkId]) {
    delete c.state.networks[networkId];
    c.save();
    await c.renderShared();
  }
}
