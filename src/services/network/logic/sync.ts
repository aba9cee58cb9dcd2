import type { DhcpHost, NetworkDriver, RouterLeg, SubnetSpec } from '../../../drivers/network/driver.js';
import { protocolNumber } from './rules-check.js';
import type { NetContext } from './context.js';
import type { Reconciler } from './reconciler.js';
import type { Repos } from './repos.js';
import { isNetworkOwned, OWNER, type Port, type PortStatus, type Subnet } from './models.js';

/**
 * The reconciler's handlers: each reads the stored intent of one object, hands the driver its
 * complete desired state (or deletes it), and records the resulting `status` the way Neutron's
 * agents report it. A handler that throws is retried by the reconciler.
 */
export class Sync {
  /** Ports the driver has plugged, so unbound ports cost no driver call. */
  private readonly plugged = new Set<string>();
  reconciler!: Reconciler;

  constructor(
    private readonly ctx: NetContext,
    private readonly r: Repos,
    private readonly driver: NetworkDriver,
  ) {}

  adopt(portIds: string[]): void {
    for (const id of portIds) this.plugged.add(id);
  }

  readonly handlers = {
    net: (id: string) => this.network(id),
    port: (id: string) => this.port(id),
    router: (id: string) => this.router(id),
    fip: (id: string) => this.fip(id),
    sg: (id: string) => this.securityGroup(id),
    dhcp: (id: string) => this.dhcp(id),
  };

  private subnetSpec(s: Subnet): SubnetSpec {
    return {
      id: s.id,
      cidr: s.cidr,
      ipVersion: s.ipVersion,
      gatewayIp: s.gatewayIp,
      enableDhcp: s.enableDhcp,
      dnsNameservers: s.dnsNameservers,
      hostRoutes: s.hostRoutes,
      ipv6AddressMode: s.ipv6AddressMode,
      ipv6RaMode: s.ipv6RaMode,
    };
  }

  private async network(id: string): Promise<void> {
    const n = await this.r.networks.get(id);
    if (!n) return this.driver.deleteNetwork(id);
    const subnets = await this.r.subnets.list({ networkId: id });
    await this.driver.ensureNetwork({
      id,
      projectId: n.projectId,
      mtu: n.mtu,
      adminStateUp: n.adminStateUp,
      external: n.external,
      networkType: n.networkType,
      physicalNetwork: n.physicalNetwork,
      segmentationId: n.segmentationId,
      subnets: subnets.map((s) => this.subnetSpec(s)),
    });
    const v4 = subnets.filter((s) => s.ipVersion === 4).map((s) => s.cidr);
    if (v4.length && !n.external) await this.driver.ensureMetadataProxy({ networkId: id, cidrs: v4 });
    else await this.driver.deleteMetadataProxy(id);
  }

  private async legOf(p: Port): Promise<RouterLeg> {
    const cidrs = new Map((await this.r.subnets.list({ networkId: p.networkId })).map((s) => [s.id, s.cidr]));
    return {
      portId: p.id,
      networkId: p.networkId,
      macAddress: p.macAddress,
      fixedIps: p.fixedIps.map((f) => ({ ...f, cidr: cidrs.get(f.subnetId) ?? '' })),
    };
  }

  private async port(id: string): Promise<void> {
    const p = await this.r.ports.get(id);
    const bound = p && p.hostId !== '' && !isNetworkOwned(p.deviceOwner) && p.vnicType === 'normal';
    if (!p || !bound) {
      if (this.plugged.delete(id)) await this.driver.unplugPort(id);
      if (p && !isNetworkOwned(p.deviceOwner)) await this.setPortStatus(id, 'DOWN');
      return;
    }
    const n = await this.r.networks.get(p.networkId);
    if (!n) return;
    await this.reconciler.wait('net', n.id);
    const leg = await this.legOf(p);
    try {
      await this.driver.plugPort({
        ...leg,
        id: p.id,
        mtu: n.mtu,
        adminStateUp: p.adminStateUp,
        portSecurity: p.portSecurity,
        securityGroupIds: p.securityGroups,
        allowedAddressPairs: p.allowedAddressPairs,
        deviceOwner: p.deviceOwner,
        deviceId: p.deviceId,
      });
    } catch (e) {
      await this.setPortStatus(id, 'ERROR');
      throw e;
    }
    this.plugged.add(id);
    await this.setPortStatus(id, p.adminStateUp ? 'ACTIVE' : 'DOWN');
  }

  private async router(id: string): Promise<void> {
    const rt = await this.r.routers.get(id);
    const ports = await this.r.ports.list({ deviceId: id });
    if (!rt || rt.l3Unscheduled) {
      await this.driver.deleteRouter(id);
      return;
    }
    const ifaces = ports.filter((p) => p.deviceOwner === OWNER.routerInterface);
    const gwPort = ports.find((p) => p.deviceOwner === OWNER.routerGateway);
    for (const p of [...ifaces, ...(gwPort ? [gwPort] : [])]) await this.reconciler.wait('net', p.networkId);
    let gateway = null;
    if (rt.gateway && gwPort) {
      const gwSubnets = await this.r.subnets.list({ networkId: gwPort.networkId });
      const nexthops = gwSubnets.map((s) => s.gatewayIp).filter((g): g is string => g !== null);
      gateway = { ...(await this.legOf(gwPort)), enableSnat: rt.gateway.enableSnat, nexthops };
    }
    try {
      await this.driver.ensureRouter({
        id,
        adminStateUp: rt.adminStateUp,
        interfaces: await Promise.all(ifaces.map((p) => this.legOf(p))),
        gateway,
        routes: rt.routes,
      });
    } catch (e) {
      await this.setRouterStatus(id, 'ERROR');
      throw e;
    }
    await this.setRouterStatus(id, 'ACTIVE');
    for (const p of [...ifaces, ...(gwPort ? [gwPort] : [])]) await this.setPortStatus(p.id, rt.adminStateUp && p.adminStateUp ? 'ACTIVE' : 'DOWN');
  }

  private async fip(id: string): Promise<void> {
    const f = await this.r.fips.get(id);
    if (!f || !f.portId || !f.routerId || !f.fixedIpAddress) {
      await this.driver.unmapFloatingIp(id);
      if (f) await this.setFipStatus(id, 'DOWN');
      return;
    }
    await this.reconciler.wait('router', f.routerId);
    try {
      await this.driver.mapFloatingIp({
        id,
        routerId: f.routerId,
        floatingIp: f.floatingIpAddress,
        fixedIp: f.fixedIpAddress,
        portId: f.portId,
        externalNetworkId: f.floatingNetworkId,
      });
    } catch (e) {
      await this.setFipStatus(id, 'ERROR');
      throw e;
    }
    await this.setFipStatus(id, 'ACTIVE');
  }

  private async securityGroup(id: string): Promise<void> {
    const g = await this.r.sgs.get(id);
    if (!g) return this.driver.deleteSecurityGroup(id);
    const rules = await this.r.rules.list({ securityGroupId: id });
    const members = (await this.r.ports.list()).filter((p) => p.securityGroups.includes(id));
    const memberIps = members.flatMap((p) => [...p.fixedIps.map((f) => f.ipAddress), ...p.allowedAddressPairs.map((a) => a.ipAddress)]);
    await this.driver.syncSecurityGroup({
      id,
      stateful: g.stateful,
      memberIps: [...new Set(memberIps)],
      rules: rules.map((r) => ({
        id: r.id,
        direction: r.direction,
        ethertype: r.ethertype,
        protocol: r.protocol === null ? null : protocolNumber(r.protocol),
        portRangeMin: r.portRangeMin,
        portRangeMax: r.portRangeMax,
        remoteIpPrefix: r.remoteIpPrefix,
        remoteGroupId: r.remoteGroupId,
      })),
    });
  }

  private async dhcp(networkId: string): Promise<void> {
    const n = await this.r.networks.get(networkId);
    if (!n) return this.driver.deleteDhcp(networkId);
    await this.reconciler.wait('net', networkId);
    const subnets = (await this.r.subnets.list({ networkId })).filter((s) => s.enableDhcp);
    const ports = await this.r.ports.list({ networkId });
    const server = ports.find((p) => p.deviceOwner === OWNER.dhcp);
    if (!server || subnets.length === 0 || n.dhcpScheduled === false) return this.driver.deleteDhcp(networkId);
    await this.driver.syncDhcp({
      networkId,
      serverPort: await this.legOf(server),
      subnets: subnets.map((s) => this.subnetSpec(s)),
      hosts: hostsOf(ports, new Set(subnets.map((s) => s.id))),
      mtu: n.mtu,
      dnsDomain: n.dnsDomain || 'openstacklocal.',
    });
    await this.setPortStatus(server.id, 'ACTIVE');
  }

  private async setPortStatus(id: string, status: PortStatus): Promise<void> {
    await this.ctx.tx(async () => {
      const p = await this.r.ports.get(id);
      if (p && p.status !== status) await this.r.ports.update({ ...p, status });
    });
  }

  private async setRouterStatus(id: string, status: 'ACTIVE' | 'ERROR'): Promise<void> {
    await this.ctx.tx(async () => {
      const rt = await this.r.routers.get(id);
      if (rt && rt.status !== status) await this.r.routers.update({ ...rt, status });
    });
  }

  private async setFipStatus(id: string, status: 'ACTIVE' | 'DOWN' | 'ERROR'): Promise<void> {
    await this.ctx.tx(async () => {
      const f = await this.r.fips.get(id);
      if (f && f.status !== status) await this.r.fips.update({ ...f, status });
    });
  }
}

/** Neutron's DHCP host name for an address: the port's dns_name, else `host-10-0-0-5`. */
export function hostnameFor(p: Port, ip: string): string {
  return p.dnsName || `host-${ip.replace(/[.:]/g, '-')}`;
}

function hostsOf(ports: Port[], dhcpSubnets: Set<string>): DhcpHost[] {
  const out: DhcpHost[] = [];
  for (const p of ports) {
    if (p.deviceOwner === OWNER.dhcp) continue;
    for (const f of p.fixedIps) {
      if (!dhcpSubnets.has(f.subnetId)) continue;
      out.push({
        portId: p.id,
        macAddress: p.macAddress,
        ipAddress: f.ipAddress,
        hostname: hostnameFor(p, f.ipAddress),
        options: p.extraDhcpOpts.map((o) => ({ name: o.optName, value: o.optValue, ipVersion: o.ipVersion })),
      });
    }
  }
  return out;
}
