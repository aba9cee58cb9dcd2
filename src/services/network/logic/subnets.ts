import { E } from '../errors.js';
import type { Core } from './core.js';
import { isAutoAddress } from './ipam.js';
import { formatCidr, overlaps, parseCidr, parseIp, type Cidr } from './ip.js';
import { OWNER, type HostRoute, type Network, type Pool, type Subnet } from './models.js';
import { defined, standard } from './repos.js';
import {
  checkCidr,
  checkGateway,
  checkGatewayOutsidePools,
  checkHostRoutes,
  checkIpv6Modes,
  checkNameservers,
  checkPools,
  defaultGateway,
} from './subnet-checks.js';

export interface SubnetInput {
  name?: string;
  description?: string;
  tags?: string[];
  networkId: string;
  ipVersion: 4 | 6;
  cidr?: string;
  prefixlen?: number;
  subnetpoolId?: string | null;
  useDefaultSubnetpool?: boolean;
  /** undefined: the default (first host); null: no gateway. */
  gatewayIp?: string | null;
  allocationPools?: Pool[];
  dnsNameservers?: string[];
  hostRoutes?: HostRoute[];
  enableDhcp?: boolean;
  ipv6RaMode?: string | null;
  ipv6AddressMode?: string | null;
  serviceTypes?: string[];
}

export type SubnetPatch = Partial<Pick<SubnetInput, 'name' | 'description' | 'gatewayIp' | 'allocationPools' | 'dnsNameservers' | 'hostRoutes' | 'enableDhcp' | 'serviceTypes'>>;

/** Subnets: CIDR checks, overlap within a network, gateway and pools, subnet pool allocation. */
export class Subnets {
  constructor(private readonly n: Core) {}

  get = (id: string) => this.n.r.subnets.require(id);
  find = (id: string) => this.n.r.subnets.get(id);
  list = () => this.n.r.subnets.list();
  ofNetwork = (networkId: string) => this.n.r.subnets.list({ networkId });

  /** Subnet ids per network, for rendering networks. */
  async idsByNetwork(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const s of await this.list()) out.set(s.networkId, [...(out.get(s.networkId) ?? []), s.id]);
    return out;
  }

  async create(projectId: string, net: Network, input: SubnetInput): Promise<Subnet> {
    return this.n.ctx.tx(async () => {
      await this.n.quotas.check(projectId, 'subnet');
      const { cidr, poolId } = await this.resolveCidr(input);
      const siblings = await this.ofNetwork(net.id);
      for (const s of siblings) {
        if (overlaps(parseCidr(s.cidr)!, cidr))
          throw E.invalidInput(`Requested subnet with cidr: ${formatCidr(cidr)} for network: ${net.id} overlaps with another subnet`);
      }
      const ra = input.ipv6RaMode ?? null;
      const addr = input.ipv6AddressMode ?? null;
      checkIpv6Modes(cidr, ra, addr);
      const gatewayIp = input.gatewayIp === undefined ? defaultGateway(cidr) : checkGateway(cidr, input.gatewayIp);
      const allocationPools = checkPools(cidr, input.allocationPools, gatewayIp);
      if (input.allocationPools) checkGatewayOutsidePools(gatewayIp, allocationPools);
      const subnet: Subnet = {
        ...standard(this.n.ctx, projectId, input),
        networkId: net.id,
        ipVersion: input.ipVersion,
        cidr: formatCidr(cidr),
        gatewayIp,
        allocationPools,
        dnsNameservers: checkNameservers(input.dnsNameservers ?? [], input.ipVersion),
        hostRoutes: checkHostRoutes(input.hostRoutes ?? [], input.ipVersion),
        enableDhcp: input.enableDhcp ?? true,
        ipv6RaMode: ra,
        ipv6AddressMode: addr,
        subnetpoolId: poolId,
        serviceTypes: input.serviceTypes ?? [],
      };
      await this.n.r.subnets.create(subnet);
      if (isAutoAddress(subnet)) await this.n.ports.addAutoAddresses(subnet);
      await this.changed(subnet);
      return subnet;
    });
  }

  private async resolveCidr(input: SubnetInput): Promise<{ cidr: Cidr; poolId: string | null }> {
    let poolId = input.subnetpoolId ?? null;
    if (poolId === null && input.useDefaultSubnetpool) {
      const def = await this.n.pools.defaultFor(input.ipVersion);
      if (!def) throw E.badRequest('subnet', `No default subnetpool found for IPv${input.ipVersion}`);
      poolId = def.id;
    }
    if (poolId === null) {
      if (input.cidr === undefined) throw E.badRequest('subnet', 'a subnetpool must be specified in the absence of a cidr');
      return { cidr: checkCidr(input.cidr, input.ipVersion), poolId };
    }
    const pool = await this.n.r.pools.require(poolId);
    if (pool.ipVersion !== input.ipVersion) throw E.badRequest('subnet', `Cannot allocate IPv${input.ipVersion} subnet from IPv${pool.ipVersion} subnet pool`);
    const cidr = input.cidr !== undefined ? checkCidr(input.cidr, input.ipVersion) : undefined;
    return { cidr: await this.n.pools.allocate(pool, cidr, input.prefixlen), poolId };
  }

  async update(id: string, patch: SubnetPatch, ifRevision?: number): Promise<Subnet> {
    return this.n.ctx.tx(async () => {
      const cur = await this.get(id);
      const cidr = parseCidr(cur.cidr)!;
      const next: Subnet = { ...cur, ...defined(patch) };
      if (patch.gatewayIp !== undefined) {
        next.gatewayIp = checkGateway(cidr, patch.gatewayIp);
        if (cur.gatewayIp !== null && next.gatewayIp !== cur.gatewayIp) {
          const holder = await this.n.ipam.holder(id, cur.gatewayIp);
          const port = holder && (await this.n.r.ports.get(holder));
          if (port && port.deviceOwner === OWNER.routerInterface) throw E.gatewayInUse(cur.gatewayIp, port.id);
        }
      }
      if (patch.allocationPools !== undefined) next.allocationPools = checkPools(cidr, patch.allocationPools, next.gatewayIp);
      if (patch.gatewayIp !== undefined || patch.allocationPools !== undefined) checkGatewayOutsidePools(next.gatewayIp, next.allocationPools);
      if (patch.dnsNameservers !== undefined) next.dnsNameservers = checkNameservers(patch.dnsNameservers, cur.ipVersion);
      if (patch.hostRoutes !== undefined) next.hostRoutes = checkHostRoutes(patch.hostRoutes, cur.ipVersion);
      const saved = await this.n.r.subnets.update(next, ifRevision);
      await this.changed(saved);
      return saved;
    });
  }

  async delete(id: string, ifRevision?: number): Promise<void> {
    await this.n.ctx.tx(async () => {
      const s = await this.get(id);
      if (ifRevision !== undefined && ifRevision !== s.revision) throw E.revision(ifRevision, s.revision);
      const ports = await this.n.r.ports.list({ networkId: s.networkId });
      for (const p of ports) {
        if (!p.fixedIps.some((f) => f.subnetId === id) || p.deviceOwner === OWNER.dhcp) continue;
        if (!isAutoAddress(s) || p.deviceOwner === OWNER.routerInterface) throw E.subnetInUse(id);
      }
      await this.remove(s);
    });
  }

  /** Removes a subnet and every address on it (the caller checked nothing else needs them). */
  async remove(s: Subnet, refreshDhcp = true): Promise<void> {
    await this.n.ctx.tx(async () => {
      for (const p of await this.n.r.ports.list({ networkId: s.networkId })) {
        const left = p.fixedIps.filter((f) => f.subnetId !== s.id);
        if (left.length === p.fixedIps.length) continue;
        await this.n.ipam.release(p.fixedIps.filter((f) => f.subnetId === s.id));
        await this.n.r.ports.update({ ...p, fixedIps: left });
        this.n.schedule('port', p.id);
      }
      await this.n.r.subnets.delete(s.id);
      await this.changed(s, true, refreshDhcp);
    });
  }

  private async changed(s: Subnet, deleted = false, refreshDhcp = true): Promise<void> {
    if (refreshDhcp) await this.n.ports.refreshDhcpPort(s.networkId);
    this.n.schedule('net', s.networkId);
    this.n.schedule('dhcp', s.networkId);
    if (deleted) return;
    for (const p of await this.n.r.ports.list({ networkId: s.networkId })) {
      if (p.deviceOwner === OWNER.routerInterface && p.fixedIps.some((f) => f.subnetId === s.id)) this.n.schedule('router', p.deviceId);
    }
  }

  /** The subnet on `networkId` that contains `ip`, if any. */
  async containing(networkId: string, ip: string): Promise<Subnet | undefined> {
    const addr = parseIp(ip);
    if (!addr) return undefined;
    return (await this.ofNetwork(networkId)).find((s) => {
      const c = parseCidr(s.cidr)!;
      return c.v === addr.v && addr.n >= c.first && addr.n <= c.last;
    });
  }
}
