import { randomUUID } from 'node:crypto';
import { E } from '../errors.js';
import { owns } from './access.js';
import type { Core } from './core.js';
import { parseIp } from './ip.js';
import { isNetworkOwned, OWNER, type Actor, type FloatingIp, type Port } from './models.js';
import { SYSTEM } from './ports.js';
import { standard } from './repos.js';

export interface FipInput {
  floatingNetworkId: string;
  floatingIpAddress?: string;
  subnetId?: string;
  portId?: string | null;
  fixedIpAddress?: string;
  description?: string;
  tags?: string[];
  dnsName?: string;
  dnsDomain?: string;
}

export interface FipPatch {
  /** undefined: unchanged; null: disassociate. */
  portId?: string | null;
  fixedIpAddress?: string;
  description?: string;
}

/**
 * Floating IPs: an address on an external network (held by a network-owned port), associated
 * with a fixed IPv4 address of a port that a router joins to that external network.
 */
export class FloatingIps {
  constructor(private readonly n: Core) {}

  get = (id: string) => this.n.r.fips.require(id);
  list = () => this.n.r.fips.list();

  async create(actor: Actor, projectId: string, input: FipInput): Promise<FloatingIp> {
    return this.n.ctx.tx(async () => {
      const net = await this.n.r.networks.get(input.floatingNetworkId);
      if (!net) throw E.networkNotFound(input.floatingNetworkId);
      if (!net.external) throw E.badRequest('floatingip', `Network ${net.id} is not a valid external network`);
      await this.n.quotas.check(projectId, 'floatingip');
      const id = randomUUID();
      const v4 = (await this.n.r.subnets.list({ networkId: net.id })).filter((s) => s.ipVersion === 4);
      if (input.subnetId !== undefined && !v4.some((s) => s.id === input.subnetId))
        throw E.badRequest('floatingip', `Subnet ${input.subnetId} is not an IPv4 subnet of network ${net.id}`);
      const fixedIps =
        input.floatingIpAddress !== undefined
          ? [{ ipAddress: input.floatingIpAddress, ...(input.subnetId ? { subnetId: input.subnetId } : {}) }]
          : [{ subnetId: input.subnetId ?? (await this.freeSubnet(v4, net.id)) }];
      const port = await this.n.ports.create(SYSTEM, '', net, { deviceOwner: OWNER.floatingip, deviceId: id, fixedIps, portSecurity: false });
      let fip: FloatingIp = {
        ...standard(this.n.ctx, projectId, { ...input, id }),
        floatingNetworkId: net.id,
        floatingIpAddress: port.fixedIps[0]!.ipAddress,
        floatingPortId: port.id,
        portId: null,
        fixedIpAddress: null,
        routerId: null,
        status: 'DOWN',
        dnsName: input.dnsName ?? '',
        dnsDomain: input.dnsDomain ?? '',
      };
      if (input.portId) fip = await this.associated(actor, fip, input.portId, input.fixedIpAddress);
      await this.n.r.fips.create(fip);
      this.n.schedule('fip', id);
      return fip;
    });
  }

  /** The first IPv4 subnet of the external network with a free address. */
  private async freeSubnet(v4: { id: string; allocationPools: { start: string; end: string }[] }[], netId: string): Promise<string> {
    for (const s of v4) {
      const size = s.allocationPools.reduce((t, p) => t + Number(parseIp(p.end)!.n - parseIp(p.start)!.n + 1n), 0);
      if ((await this.n.ipam.countUsed(s.id)) < size) return s.id;
    }
    throw E.ipExhausted(netId);
  }

  async update(actor: Actor, id: string, patch: FipPatch, ifRevision?: number): Promise<FloatingIp> {
    return this.n.ctx.tx(async () => {
      let fip = await this.get(id);
      if (ifRevision !== undefined && ifRevision !== fip.revision) throw E.revision(ifRevision, fip.revision);
      if (patch.description !== undefined) fip = { ...fip, description: patch.description };
      if (patch.portId === null) fip = { ...fip, portId: null, fixedIpAddress: null, routerId: null };
      else if (patch.portId !== undefined || patch.fixedIpAddress !== undefined) {
        const portId = patch.portId ?? fip.portId;
        if (!portId) throw E.badRequest('floatingip', 'fixed_ip_address cannot be specified without a port_id');
        fip = await this.associated(actor, fip, portId, patch.fixedIpAddress);
      }
      const saved = await this.n.r.fips.update(fip);
      this.n.schedule('fip', id);
      return saved;
    });
  }

  async delete(id: string, ifRevision?: number): Promise<void> {
    await this.n.ctx.tx(async () => {
      const fip = await this.get(id);
      if (ifRevision !== undefined && ifRevision !== fip.revision) throw E.revision(ifRevision, fip.revision);
      const port = await this.n.r.ports.get(fip.floatingPortId);
      await this.n.r.fips.delete(id);
      if (port) await this.n.ports.remove(port);
      this.n.schedule('fip', id);
    });
  }

  /**
   * The floating IP associated with a fixed address of `portId`: the address must be IPv4 and
   * on the port, and some router must join its subnet to the floating IP's external network.
   */
  private async associated(actor: Actor, fip: FloatingIp, portId: string, fixedIp: string | undefined): Promise<FloatingIp> {
    const port = await this.n.r.ports.get(portId);
    if (!port || !owns(actor, port.projectId)) throw E.portNotFound(portId);
    if (port.projectId !== fip.projectId && !actor.admin)
      throw E.badRequest('floatingip', `Cannot create floating IP and bind it to Port ${portId}, since that port is owned by a different tenant`);
    if (isNetworkOwned(port.deviceOwner)) throw E.badRequest('floatingip', `Port ${portId} has owner ${port.deviceOwner} and therefore cannot be assigned a floating IP`);
    const fixed = await this.pickFixed(port, fixedIp);
    const routerId = await this.routerFor(fip.floatingNetworkId, fixed.subnetId, port.id);
    const clash = (await this.n.r.fips.list({ portId: port.id })).find((f) => f.id !== fip.id && f.fixedIpAddress === fixed.ipAddress && f.floatingNetworkId === fip.floatingNetworkId);
    if (clash) throw E.fipPortAlreadyAssociated(fip.floatingIpAddress, fip.id, port.id, fixed.ipAddress, fip.floatingNetworkId);
    return { ...fip, portId: port.id, fixedIpAddress: fixed.ipAddress, routerId };
  }

  private async pickFixed(port: Port, wanted: string | undefined) {
    const v4 = port.fixedIps.filter((f) => parseIp(f.ipAddress)?.v === 4);
    if (wanted !== undefined) {
      const f = port.fixedIps.find((x) => x.ipAddress === wanted);
      if (!f || parseIp(wanted)?.v !== 4) throw E.badRequest('floatingip', `Port ${port.id} does not have fixed ip ${wanted}`);
      return f;
    }
    if (v4.length === 0) throw E.badRequest('floatingip', `Cannot add floating IP to port ${port.id} that has no global IPv4 addresses`);
    if (v4.length > 1)
      throw E.badRequest('floatingip', `Port ${port.id} has multiple fixed IPv4 addresses. Must provide a specific IPv4 address when assigning a floating IP`);
    return v4[0]!;
  }

  /** A router with a gateway on `extNetId` and an interface on `subnetId`. */
  private async routerFor(extNetId: string, subnetId: string, portId: string): Promise<string> {
    const ifaces = (await this.n.r.ports.list({ deviceOwner: OWNER.routerInterface })).filter((p) => p.fixedIps.some((f) => f.subnetId === subnetId));
    for (const p of ifaces) {
      const rt = await this.n.r.routers.get(p.deviceId);
      if (rt?.gateway?.networkId === extNetId) return rt.id;
    }
    throw E.gatewayUnreachable(extNetId, subnetId, portId);
  }

  /** A deleted port takes its floating IPs' associations with it. */
  async disassociatePort(portId: string): Promise<void> {
    for (const f of await this.n.r.fips.list({ portId })) {
      await this.n.r.fips.update({ ...f, portId: null, fixedIpAddress: null, routerId: null });
      this.n.schedule('fip', f.id);
    }
  }

  /** After a port's addresses change, associations to addresses it lost are dropped. */
  async dropStale(port: Port): Promise<void> {
    for (const f of await this.n.r.fips.list({ portId: port.id })) {
      if (!port.fixedIps.some((x) => x.ipAddress === f.fixedIpAddress)) {
        await this.n.r.fips.update({ ...f, portId: null, fixedIpAddress: null, routerId: null });
        this.n.schedule('fip', f.id);
      }
    }
  }
}
