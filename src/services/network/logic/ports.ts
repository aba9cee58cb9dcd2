import { createHash } from 'node:crypto';
import { E } from '../errors.js';
import type { Core } from './core.js';
import type { IpRequest, PortFacts } from './ipam.js';
import { isNetworkOwned, OWNER, type Actor, type DhcpOpt, type FixedIp, type Network, type Port, type PortStatus, type Subnet } from './models.js';
import { checkGroups, checkPairs, checkPortSecurity, MAX_FIXED_IPS, pickMac } from './port-checks.js';
import { defined, standard } from './repos.js';

export interface PortInput {
  name?: string;
  description?: string;
  tags?: string[];
  adminStateUp?: boolean;
  macAddress?: string;
  fixedIps?: IpRequest[];
  deviceId?: string;
  deviceOwner?: string;
  securityGroups?: string[];
  allowedAddressPairs?: { ipAddress: string; macAddress?: string }[];
  portSecurity?: boolean;
  hostId?: string;
  vnicType?: string;
  profile?: Record<string, unknown>;
  extraDhcpOpts?: DhcpOpt[];
  dnsName?: string;
}

/** The logic acting on its own behalf (router, DHCP and floating IP ports). */
export const SYSTEM: Actor = { projectId: null, admin: true };

export function isBound(p: Port): boolean {
  return p.hostId !== '' && !isNetworkOwned(p.deviceOwner);
}

/** Ports: MACs, fixed IPs through IPAM, security groups, allowed pairs, bindings, DHCP ports. */
export class Ports {
  constructor(private readonly n: Core) {}

  get = (id: string) => this.n.r.ports.require(id);
  find = (id: string) => this.n.r.ports.get(id);
  list = (where?: Record<string, string>) => this.n.r.ports.list(where);

  private facts(p: { id: string; networkId: string; macAddress: string; deviceOwner: string }): PortFacts {
    return { portId: p.id, networkId: p.networkId, macAddress: p.macAddress, deviceOwner: p.deviceOwner };
  }

  private async subnetMap(networkId: string): Promise<Map<string, Subnet>> {
    return new Map((await this.n.r.subnets.list({ networkId })).map((s) => [s.id, s]));
  }

  async create(actor: Actor, projectId: string, net: Network, input: PortInput, opts: { skipQuota?: boolean } = {}): Promise<Port> {
    return this.n.ctx.tx(async () => {
      if (!opts.skipQuota) await this.n.quotas.check(projectId, 'port');
      const owner = input.deviceOwner ?? '';
      const portSecurity = input.portSecurity ?? (isNetworkOwned(owner) ? false : net.portSecurity);
      let groups: string[] = [];
      if (input.securityGroups !== undefined) groups = await checkGroups(this.n, actor, projectId, input.securityGroups);
      else if (portSecurity && !isNetworkOwned(owner) && projectId !== '') groups = [(await this.n.sgs.ensureDefault(projectId)).id];
      const base = standard(this.n.ctx, projectId, input);
      const mac = await pickMac(this.n, net.id, input.macAddress);
      const pairs = checkPairs(input.allowedAddressPairs ?? [], mac);
      checkPortSecurity(portSecurity, groups, pairs, input.securityGroups !== undefined);
      if ((input.fixedIps?.length ?? 0) > MAX_FIXED_IPS) throw E.invalidInput(`Exceeded maximum amount of fixed ips per port.`);
      const facts = this.facts({ id: base.id, networkId: net.id, macAddress: mac, deviceOwner: owner });
      const fixedIps = input.fixedIps
        ? await this.n.ipam.reconcile(await this.subnetMap(net.id), facts, [], input.fixedIps)
        : await this.n.ipam.allocateDefault(await this.n.r.subnets.list({ networkId: net.id }), facts);
      const port: Port = {
        ...base,
        networkId: net.id,
        macAddress: mac,
        adminStateUp: input.adminStateUp ?? true,
        status: 'DOWN',
        deviceId: input.deviceId ?? '',
        deviceOwner: owner,
        fixedIps,
        securityGroups: groups,
        allowedAddressPairs: pairs,
        portSecurity,
        hostId: input.hostId ?? '',
        vnicType: input.vnicType ?? 'normal',
        profile: input.profile ?? {},
        extraDhcpOpts: input.extraDhcpOpts ?? [],
        dnsName: input.dnsName ?? '',
      };
      port.status = initialStatus(port);
      await this.n.r.ports.create(port);
      this.changed(port, []);
      return port;
    });
  }

  async update(actor: Actor, id: string, patch: PortInput, ifRevision?: number): Promise<Port> {
    return this.n.ctx.tx(async () => {
      const cur = await this.get(id);
      const next: Port = { ...cur, ...defined(patch), fixedIps: cur.fixedIps, securityGroups: cur.securityGroups, allowedAddressPairs: cur.allowedAddressPairs };
      if (patch.macAddress !== undefined && patch.macAddress !== cur.macAddress) {
        if (isBound(cur)) throw E.portBound(id, this.n.caps.vifType, cur.macAddress, patch.macAddress);
        next.macAddress = await pickMac(this.n, cur.networkId, patch.macAddress);
      }
      if (patch.securityGroups !== undefined) next.securityGroups = await checkGroups(this.n, actor, cur.projectId, patch.securityGroups);
      if (patch.allowedAddressPairs !== undefined) next.allowedAddressPairs = checkPairs(patch.allowedAddressPairs, next.macAddress);
      checkPortSecurity(next.portSecurity, next.securityGroups, next.allowedAddressPairs, patch.securityGroups !== undefined);
      if (patch.fixedIps !== undefined) {
        if (patch.fixedIps.length > MAX_FIXED_IPS) throw E.invalidInput(`Exceeded maximum amount of fixed ips per port.`);
        next.fixedIps = await this.n.ipam.reconcile(await this.subnetMap(cur.networkId), this.facts(next), cur.fixedIps, patch.fixedIps);
        await this.n.fips.dropStale(next);
      }
      if (isBound(next) && (!isBound(cur) || next.hostId !== cur.hostId)) next.status = 'BUILD';
      if (!isBound(next) && !isNetworkOwned(next.deviceOwner)) next.status = 'DOWN';
      const saved = await this.n.r.ports.update(next, ifRevision);
      this.changed(saved, cur.securityGroups);
      if (cur.deviceOwner === OWNER.routerInterface || cur.deviceOwner === OWNER.routerGateway) this.n.schedule('router', cur.deviceId);
      return saved;
    });
  }

  /** The port holding `ip` on a network (the metadata proxy's question: who is asking?). */
  async byAddress(networkId: string, ip: string): Promise<Port | undefined> {
    const s = await this.n.subnets.containing(networkId, ip);
    const holder = s && (await this.n.ipam.holder(s.id, ip));
    return holder ? this.find(holder) : undefined;
  }

  /** DELETE /ports/{id}: ports that belong to routers or floating IPs are refused. */
  async delete(id: string, ifRevision?: number): Promise<void> {
    await this.n.ctx.tx(async () => {
      const p = await this.get(id);
      if (ifRevision !== undefined && ifRevision !== p.revision) throw E.revision(ifRevision, p.revision);
      if ([OWNER.routerInterface, OWNER.routerGateway, OWNER.floatingip].includes(p.deviceOwner as never)) throw E.servicePortInUse(id, p.deviceOwner);
      await this.remove(p);
    });
  }

  /** Removes a port: its floating IPs are released from it, its addresses freed. */
  async remove(p: Port): Promise<void> {
    await this.n.ctx.tx(async () => {
      await this.n.fips.disassociatePort(p.id);
      await this.n.ipam.release(p.fixedIps);
      await this.n.r.ports.delete(p.id);
      this.changed(p, []);
    });
  }

  private changed(p: Port, oldGroups: string[]): void {
    this.n.schedule('port', p.id);
    this.n.schedule('dhcp', p.networkId);
    for (const g of new Set([...oldGroups, ...p.securityGroups])) this.n.schedule('sg', g);
  }

  /** Keeps the network's DHCP port holding one address on each DHCP-enabled subnet. */
  async refreshDhcpPort(networkId: string): Promise<void> {
    const net = await this.n.r.networks.get(networkId);
    if (!net) return;
    const subnets = (await this.n.r.subnets.list({ networkId })).filter((s) => s.enableDhcp);
    const port = (await this.n.r.ports.list({ networkId, deviceOwner: OWNER.dhcp }))[0];
    if (subnets.length === 0) {
      if (port) await this.remove(port);
      return;
    }
    const facts = this.facts(port ?? { id: '', networkId, macAddress: '', deviceOwner: OWNER.dhcp });
    if (!port) {
      // NOTE: the DHCP port belongs to the network's project but is not charged to its quota,
      // so that a project at its port limit can still add subnets.
      const created = await this.create(
        SYSTEM,
        net.projectId,
        net,
        { deviceOwner: OWNER.dhcp, deviceId: dhcpDeviceId(this.n.ctx.config.host, networkId), hostId: this.n.ctx.config.host, fixedIps: [] },
        { skipQuota: true },
      );
      const fixedIps = await this.dhcpIps(subnets, this.facts(created), []);
      await this.n.r.ports.update({ ...created, fixedIps });
      return;
    }
    const keep = port.fixedIps.filter((f) => subnets.some((s) => s.id === f.subnetId));
    await this.n.ipam.release(port.fixedIps.filter((f) => !keep.includes(f)));
    const fixedIps = await this.dhcpIps(subnets, facts, keep);
    if (fixedIps.length !== port.fixedIps.length || keep.length !== port.fixedIps.length) await this.n.r.ports.update({ ...port, fixedIps });
  }

  /** One address per DHCP subnet; a full subnet is skipped rather than failing the caller. */
  private async dhcpIps(subnets: Subnet[], facts: PortFacts, keep: FixedIp[]): Promise<FixedIp[]> {
    const out = [...keep];
    for (const s of subnets) {
      if (out.some((f) => f.subnetId === s.id)) continue;
      try {
        out.push(await this.n.ipam.allocateOn(s, facts));
      } catch {
        this.n.ctx.log.warn(`no address for the DHCP port on subnet ${s.id}`);
      }
    }
    return out;
  }

  /** A new SLAAC subnet gives every instance port on the network an EUI-64 address. */
  async addAutoAddresses(s: Subnet): Promise<void> {
    for (const p of await this.n.r.ports.list({ networkId: s.networkId })) {
      if (isNetworkOwned(p.deviceOwner)) continue;
      const ip = await this.n.ipam.allocateOn(s, this.facts(p));
      await this.n.r.ports.update({ ...p, fixedIps: [...p.fixedIps, ip] });
      this.changed(p, []);
    }
  }
}

function initialStatus(p: Port): PortStatus {
  if (p.deviceOwner === OWNER.floatingip) return 'N/A';
  return isBound(p) ? 'BUILD' : 'DOWN';
}

/** Neutron's DHCP port device id: `dhcp<uuid5 of the host>-<network id>`. */
export function dhcpDeviceId(host: string, networkId: string): string {
  const h = createHash('sha1').update(host).digest('hex');
  return `dhcp${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}-${networkId}`;
}
