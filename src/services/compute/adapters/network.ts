import { StratusError } from '../../../core/errors.js';
import { UUID_RE } from '../../../core/ids.js';
import type { Networking } from '../../network/logic/index.js';
import type { Caller } from '../logic/models.js';
import type { AddressEntry, NetworkInfo, NetworkPorts, PortInfo, SecurityGroupRef, SubnetInfo } from '../logic/ports.js';
import { NeutronProxy } from './network-proxy.js';

type Net = NonNullable<Awaited<ReturnType<Networking['networks']['find']>>>;
type Port = NonNullable<Awaited<ReturnType<Networking['ports']['find']>>>;

/** The network logic acting for compute, the trusted service. */
const SERVICE = { projectId: null, admin: true };

function netInfo(n: Net): NetworkInfo {
  return { id: n.id, name: n.name, projectId: n.projectId, shared: n.shared, external: n.external };
}

const notFound = (what: string, id: string, code: string) => new StratusError('NotFound', `${what} ${id} could not be found.`, code);

/**
 * Compute's network port over the networking logic (Neutron): ports for servers are ordinary
 * Neutron ports with `device_owner` `compute:<zone>` and `device_id` the server id, so the
 * network API shows them as a user of OpenStack expects.
 */
export class NeutronPorts implements NetworkPorts {
  readonly available = true;
  /** Nova 2.1's network proxy APIs (os-security-groups, os-floating-ips, os-networks…). */
  readonly proxy: NeutronProxy;

  constructor(private readonly n: Networking) {
    this.proxy = new NeutronProxy(n);
  }

  /** A port as compute sees it; `nets` and `versions` are caches shared by a batch of calls. */
  private async info(p: Port, nets?: Map<string, Net>, versions = new Map<string, 4 | 6>()): Promise<PortInfo> {
    const net = nets?.get(p.networkId) ?? (await this.n.networks.find(p.networkId));
    const subnets = versions;
    for (const f of p.fixedIps) {
      if (!subnets.has(f.subnetId)) subnets.set(f.subnetId, (await this.n.r.subnets.get(f.subnetId))?.ipVersion ?? (f.ipAddress.includes(':') ? 6 : 4));
    }
    return {
      id: p.id,
      networkId: p.networkId,
      networkName: net?.name || p.networkId,
      macAddress: p.macAddress,
      fixedIps: p.fixedIps.map((f) => ({ ip: f.ipAddress, subnetId: f.subnetId, version: subnets.get(f.subnetId) ?? 4 })),
      deviceId: p.deviceId,
      deviceOwner: p.deviceOwner,
      securityGroupIds: [...p.securityGroups],
      mtu: net?.mtu ?? 1500,
    };
  }

  private visible(c: Caller, n: Net): boolean {
    return c.admin || n.projectId === c.projectId || n.shared || n.external;
  }

  async network(caller: Caller, networkId: string): Promise<NetworkInfo> {
    const n = UUID_RE.test(networkId) ? await this.n.networks.find(networkId) : undefined;
    if (!n || !this.visible(caller, n)) throw notFound('Network', networkId, 'NetworkNotFound');
    return netInfo(n);
  }

  async usableNetworks(caller: Caller): Promise<NetworkInfo[]> {
    const all = await this.n.networks.list();
    return all.filter((n) => !n.external && (n.projectId === caller.projectId || n.shared)).map(netInfo);
  }

  async port(caller: Caller, portId: string): Promise<PortInfo> {
    const p = await this.n.ports.find(portId);
    if (!p || (!caller.admin && p.projectId !== caller.projectId)) throw notFound('Port', portId, 'PortNotFound');
    if (p.deviceId) throw new StratusError('Conflict', `Port ${portId} is still in use.`, 'PortInUse');
    return this.info(p);
  }

  async securityGroups(caller: Caller, namesOrIds: string[]): Promise<SecurityGroupRef[]> {
    const out: SecurityGroupRef[] = [];
    for (const ref of [...new Set(namesOrIds)]) {
      const byId = UUID_RE.test(ref) ? await this.n.r.sgs.get(ref) : undefined;
      if (byId && (caller.admin || byId.projectId === caller.projectId)) {
        out.push({ id: byId.id, name: byId.name });
        continue;
      }
      const named = (await this.n.r.sgs.list({ projectId: caller.projectId })).filter((g) => g.name === ref);
      if (named.length > 1) throw new StratusError('Conflict', `Multiple security groups found matching '${ref}'. Use an ID to be more specific.`, 'NoUniqueMatch');
      const g = named[0] ?? (ref === 'default' ? await this.n.sgs.ensureDefault(caller.projectId) : undefined);
      if (!g) throw new StratusError('BadRequest', `Security group ${ref} not found for project ${caller.projectId}.`, 'SecurityGroupNotFoundForProject');
      out.push({ id: g.id, name: g.name });
    }
    return out;
  }

  async createPort(caller: Caller, spec: { networkId: string; serverId: string; fixedIp?: string; securityGroupIds: string[]; host: string; zone: string }): Promise<PortInfo> {
    const net = await this.n.networks.get(spec.networkId);
    const p = await this.n.ports.create({ projectId: caller.projectId, admin: caller.admin }, caller.projectId, net, {
      deviceId: spec.serverId,
      deviceOwner: `compute:${spec.zone}`,
      hostId: spec.host,
      ...(net.portSecurity && spec.securityGroupIds.length ? { securityGroups: spec.securityGroupIds } : {}),
      ...(spec.fixedIp ? { fixedIps: [{ ipAddress: spec.fixedIp }] } : {}),
    });
    return this.info(p, new Map([[net.id, net]]));
  }

  async bindPort(portId: string, serverId: string, host: string, zone: string): Promise<PortInfo> {
    const p = await this.n.ports.update(SERVICE, portId, { deviceId: serverId, deviceOwner: `compute:${zone}`, hostId: host });
    return this.info(p);
  }

  async portsOf(serverId: string): Promise<PortInfo[]> {
    const ports = (await this.n.ports.list({ deviceId: serverId })).filter((p) => p.deviceOwner.startsWith('compute:'));
    return Promise.all(ports.map((p) => this.info(p)));
  }

  async setSecurityGroups(portId: string, groupIds: string[]): Promise<void> {
    await this.n.ports.update(SERVICE, portId, { securityGroups: groupIds });
  }

  async unbindPort(portId: string): Promise<void> {
    if (!(await this.n.ports.find(portId))) return;
    await this.n.ports.update(SERVICE, portId, { deviceId: '', deviceOwner: '', hostId: '' });
  }

  async deletePort(portId: string): Promise<void> {
    const p = await this.n.ports.find(portId);
    if (p) await this.n.ports.remove(p);
  }

  async addresses(serverIds: string[]): Promise<Map<string, Record<string, AddressEntry[]>>> {
    const wanted = new Set(serverIds);
    // Read-only and for many servers at once (a list of 1,000): the port records come shared
    // and frozen from the store (no parse or copy per port per request); nothing here writes.
    // NOTE: straight from the store because the networking Repo has no shared read yet.
    const ports: readonly Port[] =
      serverIds.length === 1
        ? await this.n.ports.list({ deviceId: serverIds[0]! })
        : (await this.n.ctx.ops().find<Port>(this.n.r.ports.kind, { shared: true })).map((r) => r.data).filter((p) => wanted.has(p.deviceId));
    const out = new Map<string, Record<string, AddressEntry[]>>(serverIds.map((id) => [id, {}]));
    if (!ports.length) return out;
    // One read of each collection, then everything is in memory (a list of 1,000 servers).
    const [nets, subnets, fips] = await Promise.all([this.n.networks.list(), this.n.r.subnets.list(), this.n.r.fips.list()]);
    const netName = new Map(nets.map((n) => [n.id, n.name || n.id]));
    const version = new Map(subnets.map((sn) => [sn.id, sn.ipVersion]));
    const fipsByPort = new Map<string, string[]>();
    for (const f of fips) if (f.portId) fipsByPort.set(f.portId, [...(fipsByPort.get(f.portId) ?? []), f.floatingIpAddress]);
    for (const p of [...ports].sort((a, b) => a.createdAt - b.createdAt)) {
      const byNet = out.get(p.deviceId)!;
      const list = (byNet[netName.get(p.networkId) ?? p.networkId] ??= []);
      const mac = p.macAddress;
      for (const f of p.fixedIps) list.push({ addr: f.ipAddress, version: version.get(f.subnetId) ?? (f.ipAddress.includes(':') ? 6 : 4), type: 'fixed', mac });
      for (const addr of fipsByPort.get(p.id) ?? []) list.push({ addr, version: 4, type: 'floating', mac });
    }
    return out;
  }

  async subnets(subnetIds: string[]): Promise<SubnetInfo[]> {
    const out: SubnetInfo[] = [];
    for (const id of subnetIds) {
      const s = await this.n.r.subnets.get(id);
      if (s) out.push({ id: s.id, cidr: s.cidr, gatewayIp: s.gatewayIp, dnsNameservers: [...s.dnsNameservers], ipVersion: s.ipVersion, enableDhcp: s.enableDhcp });
    }
    return out;
  }
}
