import { StratusError } from '../../../core/errors.js';
import { UUID_RE } from '../../../core/ids.js';
import type { Networking } from '../../network/logic/index.js';
import type { Caller } from '../logic/models.js';
import type { NetworkProxy, NewProxyRule, ProxyFloatingIp, ProxyGroup, ProxyNetwork, ProxyRule } from '../logic/proxy-ports.js';

type Group = NonNullable<Awaited<ReturnType<Networking['r']['sgs']['get']>>>;
type Rule = Awaited<ReturnType<Networking['sgs']['rulesOf']>>[number];
type Fip = Awaited<ReturnType<Networking['fips']['list']>>[number];
type Net = Awaited<ReturnType<Networking['networks']['list']>>[number];

const err = (kind: 'NotFound' | 'BadRequest' | 'Conflict' | 'Forbidden', message: string, code: string) => new StratusError(kind, message, code);
const actor = (c: Caller) => ({ projectId: c.projectId, admin: c.admin });
const owns = (c: Caller, projectId: string) => c.admin || c.projectId === projectId;

/** Nova's checks before it asks Neutron: a security group id is a UUID (else 400). */
function groupId(id: string): string {
  if (!UUID_RE.test(id)) throw err('BadRequest', 'Security group id should be uuid', 'Invalid');
  return id;
}

/** Neutron's 409s (in use, default group, duplicates) reach Nova's callers as 400s; quota as 403. */
function asNova(e: unknown): never {
  if (e instanceof StratusError && e.kind === 'Conflict') {
    if (e.code === 'OverQuota') throw err('Forbidden', `Quota exceeded, too many security groups or rules. ${e.message}`, 'SecurityGroupLimitExceeded');
    throw err('BadRequest', e.message, e.code ?? 'Invalid');
  }
  throw e;
}

/**
 * The proxies over the networking logic. Nova speaks to Neutron as the user, so every read and
 * write here is limited to what the caller's project may see (admins see everything).
 */
export class NeutronProxy implements NetworkProxy {
  constructor(private readonly n: Networking) {}

  // --- security groups ---------------------------------------------------------------------

  private async view(g: Group, names?: Map<string, Group>): Promise<ProxyGroup> {
    const rules: ProxyRule[] = [];
    for (const r of await this.n.sgs.rulesOf(g.id)) {
      if (r.direction !== 'ingress') continue;
      const remote = r.remoteGroupId ? (names?.get(r.remoteGroupId) ?? (await this.n.r.sgs.get(r.remoteGroupId))) : undefined;
      // A rule whose remote group vanished meanwhile is left out, as Nova does.
      if (r.remoteGroupId && !remote) continue;
      rules.push(ruleView(r, remote));
    }
    return { id: g.id, name: g.name, description: g.description, projectId: g.projectId, rules };
  }

  private async group(c: Caller, id: string): Promise<Group> {
    const g = await this.n.r.sgs.get(groupId(id));
    if (!g || !owns(c, g.projectId)) throw err('NotFound', `Security group ${id} not found.`, 'SecurityGroupNotFound');
    return g;
  }

  async listGroups(c: Caller, allProjects: boolean): Promise<ProxyGroup[]> {
    await this.n.sgs.ensureDefault(c.projectId);
    const all = await this.n.r.sgs.list();
    const byId = new Map(all.map((g) => [g.id, g]));
    const mine = all.filter((g) => (allProjects && c.admin) || g.projectId === c.projectId);
    return Promise.all(mine.sort((a, b) => a.createdAt - b.createdAt).map((g) => this.view(g, byId)));
  }

  async getGroup(c: Caller, id: string): Promise<ProxyGroup> {
    return this.view(await this.group(c, id));
  }

  async createGroup(c: Caller, name: string, description: string): Promise<ProxyGroup> {
    const g = await this.n.sgs.create(c.projectId, { name, description }).catch(asNova);
    return this.view(g);
  }

  async updateGroup(c: Caller, id: string, name: string | undefined, description: string | undefined): Promise<ProxyGroup> {
    const g = await this.group(c, id);
    const next = await this.n.sgs.update(g.id, { ...(name !== undefined ? { name } : {}), ...(description !== undefined ? { description } : {}) }).catch(asNova);
    return this.view(next);
  }

  async deleteGroup(c: Caller, id: string): Promise<void> {
    const g = await this.group(c, id);
    await this.n.sgs.delete(actor(c), g.id).catch(asNova);
  }

  async groupsOfServer(c: Caller, serverId: string): Promise<ProxyGroup[]> {
    const ids = new Set<string>();
    for (const p of await this.n.ports.list({ deviceId: serverId })) if (p.deviceOwner.startsWith('compute:')) p.securityGroups.forEach((g) => ids.add(g));
    const out: ProxyGroup[] = [];
    for (const id of ids) {
      const g = await this.n.r.sgs.get(id);
      if (g && owns(c, g.projectId)) out.push(await this.view(g));
    }
    return out;
  }

  async createRule(c: Caller, r: NewProxyRule): Promise<ProxyRule> {
    const parent = await this.group(c, r.groupId);
    let remote: Group | undefined;
    if (r.remoteGroupId !== null) remote = await this.group(c, r.remoteGroupId);
    // ICMP -1 is "any type/code" in Nova, no port range in Neutron.
    const port = (v: number | null) => (v === null || (r.protocol === 'icmp' && v === -1) ? null : v);
    const input = {
      direction: 'ingress' as const,
      ethertype: r.cidr?.includes(':') ? ('IPv6' as const) : ('IPv4' as const),
      protocol: r.protocol,
      portRangeMin: port(r.fromPort),
      portRangeMax: port(r.fromPort) === null ? null : port(r.toPort),
      remoteIpPrefix: remote ? null : r.cidr,
      remoteGroupId: remote ? remote.id : null,
    };
    const created = await this.n.sgs.createRule(actor(c), { ...input, securityGroupId: parent.id }).catch((e: unknown) => {
      if (e instanceof StratusError && e.code === 'SecurityGroupRuleExists') throw err('BadRequest', `This rule already exists in group ${parent.id}`, 'Invalid');
      return asNova(e);
    });
    // NOTE: the network service stores the prefix normalized (10.2.3.0/24 for 10.2.3.124/24);
    // Nova answers the create with the CIDR as the user wrote it, as tempest checks.
    return { ...ruleView(created, remote), ...(input.remoteIpPrefix !== null ? { remoteIpPrefix: input.remoteIpPrefix } : {}) };
  }

  async deleteRule(c: Caller, id: string): Promise<void> {
    const r = UUID_RE.test(id) ? await this.n.r.rules.get(id) : undefined;
    if (!r || !owns(c, r.projectId)) throw err('NotFound', `Security group rule ${id} not found.`, 'SecurityGroupRuleNotFound');
    await this.n.sgs.deleteRule(r.id).catch(asNova);
  }

  // --- floating IPs --------------------------------------------------------------------------

  private async fipView(f: Fip, nets?: Map<string, Net>): Promise<ProxyFloatingIp> {
    const net = nets?.get(f.floatingNetworkId) ?? (await this.n.r.networks.get(f.floatingNetworkId));
    const port = f.portId ? await this.n.r.ports.get(f.portId) : undefined;
    return {
      id: f.id,
      ip: f.floatingIpAddress,
      pool: net?.name || f.floatingNetworkId,
      fixedIp: f.fixedIpAddress,
      serverId: port && port.deviceOwner.startsWith('compute:') && port.deviceId ? port.deviceId : null,
    };
  }

  private async fip(c: Caller, id: string): Promise<Fip> {
    const f = UUID_RE.test(id) ? await this.n.r.fips.get(id) : undefined;
    if (!f || !owns(c, f.projectId)) throw err('NotFound', `Floating IP not found for ID ${id}`, 'FloatingIpNotFound');
    return f;
  }

  private async fipByAddress(c: Caller, address: string): Promise<Fip> {
    const f = (await this.n.r.fips.list()).find((x) => x.floatingIpAddress === address && owns(c, x.projectId));
    if (!f) throw err('NotFound', `Floating IP not found for address ${address}.`, 'FloatingIpNotFoundForAddress');
    return f;
  }

  async listFloatingIps(c: Caller): Promise<ProxyFloatingIp[]> {
    const nets = new Map((await this.n.networks.list()).map((n) => [n.id, n]));
    const mine = (await this.n.r.fips.list()).filter((f) => f.projectId === c.projectId).sort((a, b) => a.createdAt - b.createdAt);
    return Promise.all(mine.map((f) => this.fipView(f, nets)));
  }

  async getFloatingIp(c: Caller, id: string): Promise<ProxyFloatingIp> {
    return this.fipView(await this.fip(c, id));
  }

  async allocateFloatingIp(c: Caller, pool: string | undefined): Promise<ProxyFloatingIp> {
    const external = (await this.n.networks.list()).filter((n) => n.external);
    // NOTE: Nova's default pool is a setting (default_floating_pool); this cloud's default is
    // its external network when there is exactly one.
    const net = pool === undefined ? (external.length === 1 ? external[0] : undefined) : (external.find((n) => n.id === pool) ?? external.find((n) => n.name === pool));
    if (!net) throw err('NotFound', pool === undefined ? 'Floating IP pool not found: name one with "pool" (see os-floating-ip-pools).' : 'Floating IP pool not found.', 'FloatingIpPoolNotFound');
    const f = await this.n.fips.create(actor(c), c.projectId, { floatingNetworkId: net.id }).catch((e: unknown) => {
      if (e instanceof StratusError && e.code === 'OverQuota') throw err('Forbidden', 'Maximum number of floating IPs exceeded', 'FloatingIpLimitExceeded');
      if (e instanceof StratusError && e.code === 'IpAddressGenerationFailure') throw err('NotFound', `No more floating IPs in pool ${pool ?? net.name}.`, 'NoMoreFloatingIps');
      throw e;
    });
    return this.fipView(f, new Map([[net.id, net]]));
  }

  async releaseFloatingIp(c: Caller, id: string): Promise<void> {
    const f = await this.fip(c, id);
    await this.n.fips.delete(f.id);
  }

  async floatingIpPools(_c: Caller): Promise<string[]> {
    return (await this.n.networks.list()).filter((n) => n.external).map((n) => n.name || n.id);
  }

  async associate(c: Caller, address: string, serverId: string, fixedAddress: string | undefined): Promise<void> {
    const f = await this.fipByAddress(c, address);
    const ports = (await this.n.ports.list({ deviceId: serverId })).filter((p) => p.deviceOwner.startsWith('compute:') && p.fixedIps.length);
    if (!ports.length) throw err('BadRequest', 'No nw_info cache associated with instance', 'Invalid');
    let port = ports[0]!;
    if (fixedAddress !== undefined) {
      const holder = ports.find((p) => p.fixedIps.some((x) => x.ipAddress === fixedAddress));
      if (!holder) throw err('BadRequest', 'Specified fixed address not assigned to instance', 'Invalid');
      port = holder;
    } else {
      const v4 = ports.find((p) => p.fixedIps.some((x) => !x.ipAddress.includes(':')));
      if (!v4) throw err('BadRequest', 'Unable to associate floating IP to fixed IP for instance. No fixed IPv4 address.', 'FloatingIpAssociateFailed');
      port = v4;
    }
    const fixed = fixedAddress ?? port.fixedIps.find((x) => !x.ipAddress.includes(':'))!.ipAddress;
    await this.n.fips.update(actor(c), f.id, { portId: port.id, fixedIpAddress: fixed }).catch((e: unknown) => {
      if (e instanceof StratusError && e.status < 500) throw err('BadRequest', e.message, 'FloatingIpAssociateFailed');
      throw e;
    });
  }

  async disassociate(c: Caller, address: string, serverId: string): Promise<void> {
    const f = await this.fipByAddress(c, address);
    const port = f.portId ? await this.n.r.ports.get(f.portId) : undefined;
    if (!port || port.deviceId !== serverId) throw err('Conflict', `Floating IP ${address} is not associated with instance ${serverId}.`, 'FloatingIpNotAssociated');
    await this.n.fips.update(actor(c), f.id, { portId: null });
  }

  // --- networks ----------------------------------------------------------------------------

  private async netView(n: Net): Promise<ProxyNetwork> {
    const subnets = (await this.n.r.subnets.list({ networkId: n.id })).sort((a, b) => a.createdAt - b.createdAt);
    const v4 = subnets.find((s) => s.ipVersion === 4);
    const v6 = subnets.find((s) => s.ipVersion === 6);
    return {
      id: n.id,
      label: n.name,
      projectId: n.projectId,
      v4: v4 ? { cidr: v4.cidr, gateway: v4.gatewayIp, dns: [...v4.dnsNameservers] } : null,
      v6: v6 ? { cidr: v6.cidr, gateway: v6.gatewayIp } : null,
      mtu: n.mtu,
      dhcp: subnets.some((s) => s.enableDhcp),
    };
  }

  private sees(c: Caller, n: Net): boolean {
    return owns(c, n.projectId) || n.shared || n.external;
  }

  async listNetworks(c: Caller): Promise<ProxyNetwork[]> {
    const nets = (await this.n.networks.list()).filter((n) => this.sees(c, n)).sort((a, b) => a.createdAt - b.createdAt);
    return Promise.all(nets.map((n) => this.netView(n)));
  }

  async getNetwork(c: Caller, id: string): Promise<ProxyNetwork> {
    const n = UUID_RE.test(id) ? await this.n.r.networks.get(id) : undefined;
    if (!n || !this.sees(c, n)) throw err('NotFound', `Network ${id} could not be found.`, 'NetworkNotFound');
    return this.netView(n);
  }
}

function ruleView(r: Rule, remote: Group | undefined): ProxyRule {
  return {
    id: r.id,
    groupId: r.securityGroupId,
    protocol: r.protocol,
    portMin: r.portRangeMin,
    portMax: r.portRangeMax,
    remoteIpPrefix: r.remoteIpPrefix,
    remoteGroup: remote ? { id: remote.id, name: remote.name, projectId: remote.projectId } : null,
  };
}
