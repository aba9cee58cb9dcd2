import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROXY_SCRIPT, ipBatch, ipJson, netnsPath, sysctls } from './host.js';
import type { AddrInfo, DriverContext } from './context.js';
import { dev } from './names.js';
import { dnsmasqConfig, isV6, METADATA_IP, prefixLen } from './rules.js';

/**
 * The network's service namespace: one leg on the bridge carrying the DHCP port's MAC and
 * addresses and 169.254.169.254/32, dnsmasq when DHCP is wanted, the metadata proxy when
 * metadata is wanted; removed when neither is.
 */
export async function convergeService(c: DriverContext, networkId: string): Promise<void> {
  const dhcp = c.state.dhcp[networkId];
  const meta = c.state.metadata[networkId];
  const n = c.state.networks[networkId];
  if ((!dhcp && !meta) || !n) return stopService(c, networkId, !n || (!dhcp && !meta));
  const ns = c.serviceNs(networkId);
  const outer = dev.dh(networkId);
  if (!existsSync(netnsPath(ns))) {
    c.o.inventory.record({ kind: 'netns', key: ns, note: `dhcp/metadata of network ${networkId}`, owner: 'network' });
    await c.run([
      { argv: ['ip', 'netns', 'add', ns] },
      sysctls(ns, { 'net.ipv6.conf.default.disable_ipv6': '1', 'net.ipv6.conf.all.disable_ipv6': '1' }),
      ipBatch(ns, ['link set lo up']),
    ]);
  }
  const inner = await c.links(ns);
  const lines: string[] = [];
  if (!inner.has(dev.svc) && (await c.links(c.U)).has(outer)) lines.push(`link del ${outer}`);
  if (!inner.has(dev.svc)) lines.push(`link add ${outer} mtu ${n.mtu} type veth peer name ${dev.svc} mtu ${n.mtu} netns ${ns}`);
  lines.push(`link set ${outer} master ${dev.bridge(networkId)}`, `link set ${outer} up`);
  await c.run([ipBatch(c.U, lines)]);
  const want = new Set<string>();
  for (const f of dhcp?.serverPort?.fixedIps ?? []) if (!isV6(f.ipAddress)) want.add(`${f.ipAddress}/${prefixLen(f.cidr)}`);
  if (meta) want.add(`${METADATA_IP}/32`);
  const have = new Set((await ipJson<AddrInfo>(c.runner, ns, ['addr', 'show', 'dev', dev.svc])).flatMap((a) => a.addr_info.filter((x) => x.family === 'inet').map((x) => `${x.local}/${x.prefixlen}`)));
  const al: string[] = [];
  if (dhcp?.serverPort && inner.get(dev.svc)?.address !== dhcp.serverPort.macAddress.toLowerCase()) al.push(`link set ${dev.svc} address ${dhcp.serverPort.macAddress}`);
  for (const x of have) if (!want.has(x)) al.push(`addr del ${x} dev ${dev.svc}`);
  for (const x of want) if (!have.has(x)) al.push(`addr add ${x} dev ${dev.svc}`);
  al.push(`link set ${dev.svc} up`);
  await c.run([ipBatch(ns, al)]);

  const key = (k: string) => `${k}:${networkId}`;
  if (dhcp && want.size > (meta ? 1 : 0)) {
    const dir = join(c.runDir, 'dhcp', networkId);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const cfg = dnsmasqConfig(dhcp, dir, dev.svc, Boolean(meta));
    const before = readText(join(dir, 'host'));
    const changedHosts = writeIfChanged(join(dir, 'host'), cfg.hosts);
    const changed = writeIfChanged(join(dir, 'opts'), cfg.opts) || changedHosts;
    const running = c.sup.has(key('dnsmasq'));
    // SIGHUP re-reads the files, but (dnsmasq 2.90) keeps the leases of entries that are gone,
    // so an address freed by a deleted port and given to a new one would be refused ("leased
    // to" the old MAC); and it crashes (SIGSEGV) on SIGHUP while a tagged entry (a port with
    // extra DHCP options) holds a lease. So: entries only added → SIGHUP (no boot waits for a
    // restart); an entry removed or changed, or any tagged entry → restart (leases are static
    // and read-only: nothing is lost; a client mid-exchange retries).
    const kept = new Set(cfg.hosts.split('\n'));
    const removed = before !== null && before.split('\n').some((l) => l !== '' && !kept.has(l));
    const restart = running && changed && (cfg.tagged || removed);
    if (restart) await c.sup.stop(key('dnsmasq'));
    await c.sup.ensure(key('dnsmasq'), { argv: cfg.args, netns: ns, readyText: 'started' });
    if (running && changed && !restart) c.sup.signal(key('dnsmasq'), 'SIGHUP');
  } else {
    await c.sup.stop(key('dnsmasq'));
  }
  if (meta) {
    await c.sup.ensure(key('metadata'), {
      argv: [process.execPath, PROXY_SCRIPT, '--socket', c.o.metadataSocket, '--network', networkId, '--listen', `${METADATA_IP}:80`],
      netns: ns,
      readyText: 'ready',
    });
  } else {
    await c.sup.stop(key('metadata'));
  }
}

/** Stops the network's dnsmasq and metadata proxy; with `removeNs`, also removes its service namespace and dnsmasq files. */
export async function stopService(c: DriverContext, networkId: string, removeNs: boolean): Promise<void> {
  await c.sup.stop(`dnsmasq:${networkId}`);
  await c.sup.stop(`metadata:${networkId}`);
  if (!removeNs) return;
  const ns = c.serviceNs(networkId);
  if (existsSync(netnsPath(ns))) await c.run([{ argv: ['ip', 'netns', 'del', ns] }]);
  c.o.inventory.forget('netns', ns);
  rmSync(join(c.runDir, 'dhcp', networkId), { recursive: true, force: true });
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function writeIfChanged(path: string, text: string): boolean {
  try {
    if (readFileSync(path, 'utf8') === text) return false;
  } catch {
    // absent
  }
  writeFileSync(path, text, { mode: 0o644 });
  return true;
}
