import { E } from '../errors.js';
import { owns } from './access.js';
import type { Core } from './core.js';
import { contains, overlaps, parseCidr, parseIp } from './ip.js';
import { OWNER, type Actor, type Port, type Router, type Subnet } from './models.js';

export interface InterfaceInfo {
  routerId: string;
  projectId: string;
  portId: string;
  subnetId: string;
  subnetIds: string[];
  networkId: string;
}

/**
 * add_router_interface / remove_router_interface, by subnet (a new port holding the subnet's
 * gateway address) or by an existing port. A router never joins two subnets that overlap.
 */
export class RouterInterfaces {
  constructor(private readonly n: Core) {}

  async add(actor: Actor, routerId: string, by: { subnetId?: string; portId?: string }): Promise<InterfaceInfo> {
    if (by.subnetId && by.portId) throw E.badRequest('router', 'Cannot specify both subnet-id and port-id');
    if (!by.subnetId && !by.portId) throw E.badRequest('router', 'Either subnet_id or port_id must be specified');
    return this.n.ctx.tx(async () => {
      const rt = await this.n.routers.get(routerId);
      const port = by.portId ? await this.attachPort(actor, rt, by.portId) : await this.attachSubnet(actor, rt, by.subnetId!);
      await this.n.r.routers.update(rt);
      this.n.schedule('router', rt.id);
      return info(rt, port);
    });
  }

  private async visibleSubnet(actor: Actor, id: string): Promise<Subnet> {
    const s = await this.n.r.subnets.get(id);
    const net = s && (await this.n.r.networks.get(s.networkId));
    if (!s || !net || !(owns(actor, s.projectId) || owns(actor, net.projectId) || net.shared)) throw E.subnetNotFound(id);
    return s;
  }

  private async attachSubnet(actor: Actor, rt: Router, subnetId: string): Promise<Port> {
    const s = await this.visibleSubnet(actor, subnetId);
    if (!s.gatewayIp) throw E.badRequest('router', `Subnet for router interface must have a gateway IP`);
    const ifaces = await this.interfacesOf(rt.id);
    if (ifaces.some((p) => p.fixedIps.some((f) => f.subnetId === s.id))) throw E.badRequest('router', `Router already has a port on subnet ${s.id}`);
    await this.checkOverlap(ifaces, [s]);
    const net = await this.n.networks.get(s.networkId);
    const holder = await this.n.ipam.holder(s.id, s.gatewayIp);
    if (holder) throw E.ipInUse(s.networkId, s.gatewayIp);
    return this.n.ports.create(actor, rt.projectId, net, {
      deviceOwner: OWNER.routerInterface,
      deviceId: rt.id,
      fixedIps: [{ subnetId: s.id, ipAddress: s.gatewayIp }],
      hostId: this.n.ctx.config.host,
      portSecurity: false,
      securityGroups: [],
    });
  }

  private async attachPort(actor: Actor, rt: Router, portId: string): Promise<Port> {
    const p = await this.n.r.ports.get(portId);
    if (!p || !owns(actor, p.projectId)) throw E.portNotFound(portId);
    if (p.deviceId !== '' || p.deviceOwner !== '') throw E.portInUse(p.id, p.networkId, p.deviceId);
    if (p.fixedIps.length === 0) throw E.badRequest('router', 'Router port must have at least one fixed IP');
    const subnets = await Promise.all(p.fixedIps.map((f) => this.n.subnets.get(f.subnetId)));
    if (subnets.filter((s) => s.ipVersion === 4).length > 1) throw E.badRequest('router', `Cannot have multiple IPv4 subnets on router port`);
    const ifaces = await this.interfacesOf(rt.id);
    for (const s of subnets)
      if (ifaces.some((i) => i.fixedIps.some((f) => f.subnetId === s.id))) throw E.badRequest('router', `Router already has a port on subnet ${s.id}`);
    await this.checkOverlap(ifaces, subnets);
    const updated = await this.n.r.ports.update({ ...p, deviceId: rt.id, deviceOwner: OWNER.routerInterface, hostId: this.n.ctx.config.host, status: 'DOWN' });
    this.n.schedule('port', p.id);
    return updated;
  }

  private async checkOverlap(ifaces: Port[], adding: Subnet[]): Promise<void> {
    for (const p of ifaces) {
      for (const f of p.fixedIps) {
        const other = await this.n.r.subnets.get(f.subnetId);
        if (!other) continue;
        for (const s of adding) {
          if (overlaps(parseCidr(other.cidr)!, parseCidr(s.cidr)!))
            throw E.badRequest('router', `Cidr ${s.cidr} of subnet ${s.id} overlaps with cidr ${other.cidr} of subnet ${other.id}`);
        }
      }
    }
  }

  async interfacesOf(routerId: string): Promise<Port[]> {
    return this.n.r.ports.list({ deviceId: routerId, deviceOwner: OWNER.routerInterface });
  }

  async remove(actor: Actor, routerId: string, by: { subnetId?: string; portId?: string }): Promise<InterfaceInfo> {
    if (!by.subnetId && !by.portId) throw E.badRequest('router', 'Either subnet_id or port_id must be specified');
    return this.n.ctx.tx(async () => {
      const rt = await this.n.routers.get(routerId);
      const ifaces = await this.interfacesOf(rt.id);
      let port: Port | undefined;
      if (by.portId) {
        port = ifaces.find((p) => p.id === by.portId);
        if (!port) throw E.routerInterfaceNotFound(rt.id, by.portId);
        if (by.subnetId && !port.fixedIps.some((f) => f.subnetId === by.subnetId)) throw E.bad('SubnetMismatchForPort', `Subnet on port ${port.id} does not match the requested subnet ${by.subnetId}.`);
      } else {
        await this.visibleSubnet(actor, by.subnetId!);
        port = ifaces.find((p) => p.fixedIps.some((f) => f.subnetId === by.subnetId));
        if (!port) throw E.routerInterfaceNotFoundForSubnet(rt.id, by.subnetId!);
      }
      const subnetIds = by.subnetId && !by.portId ? [by.subnetId] : port.fixedIps.map((f) => f.subnetId);
      await this.checkUnused(rt, subnetIds);
      const result = info(rt, port);
      if (by.subnetId && !by.portId && port.fixedIps.length > 1) {
        const left = port.fixedIps.filter((f) => f.subnetId !== by.subnetId);
        await this.n.ipam.release(port.fixedIps.filter((f) => f.subnetId === by.subnetId));
        await this.n.r.ports.update({ ...port, fixedIps: left });
      } else {
        await this.n.ports.remove(port);
      }
      await this.n.r.routers.update(rt);
      this.n.schedule('router', rt.id);
      return { ...result, subnetId: subnetIds[0]!, subnetIds };
    });
  }

  /** Floating IPs and extra routes that depend on a subnet keep its interface in place. */
  private async checkUnused(rt: Router, subnetIds: string[]): Promise<void> {
    for (const sid of subnetIds) {
      const s = await this.n.r.subnets.get(sid);
      if (!s) continue;
      const c = parseCidr(s.cidr)!;
      for (const f of await this.n.r.fips.list({ routerId: rt.id })) {
        const ip = parseIp(f.fixedIpAddress ?? '');
        if (ip && contains(c, ip)) throw E.routerInterfaceInUseByFip(sid, rt.id);
      }
      for (const r of rt.routes) {
        const hop = parseIp(r.nexthop);
        if (hop && contains(c, hop)) throw E.routerInterfaceInUseByRoute(sid, rt.id);
      }
    }
  }
}

function info(rt: Router, p: Port): InterfaceInfo {
  const subnetIds = p.fixedIps.map((f) => f.subnetId);
  return { routerId: rt.id, projectId: rt.projectId, portId: p.id, subnetId: subnetIds[0] ?? '', subnetIds, networkId: p.networkId };
}
