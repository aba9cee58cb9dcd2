import { E } from '../errors.js';
import type { Core } from './core.js';
import { contains, normalizeIp, parseCidr, parseIp, formatCidr } from './ip.js';
import type { IpRequest } from './ipam.js';
import { OWNER, type HostRoute, type Port, type Router } from './models.js';
import { SYSTEM } from './ports.js';
import { defined, standard } from './repos.js';

export interface GatewayInput {
  networkId: string;
  enableSnat?: boolean;
  externalFixedIps?: IpRequest[];
}

export interface RouterInput {
  name?: string;
  description?: string;
  tags?: string[];
  adminStateUp?: boolean;
  /** undefined: unchanged; null: remove the gateway. */
  gateway?: GatewayInput | null;
  routes?: HostRoute[];
  distributed?: boolean;
  ha?: boolean;
  azHints?: string[];
}

export const MAX_ROUTES = 30;

/** Routers: the external gateway (a port on an external network, SNAT) and extra routes. */
export class Routers {
  constructor(private readonly n: Core) {}

  get = (id: string) => this.n.r.routers.require(id);
  find = (id: string) => this.n.r.routers.get(id);
  list = () => this.n.r.routers.list();

  /** The router's ports: its interfaces and its gateway port. */
  async portsOf(routerId: string): Promise<Port[]> {
    return (await this.n.r.ports.list({ deviceId: routerId })).filter((p) => p.deviceOwner === OWNER.routerInterface || p.deviceOwner === OWNER.routerGateway);
  }

  async create(projectId: string, input: RouterInput): Promise<Router> {
    return this.n.ctx.tx(async () => {
      await this.n.quotas.check(projectId, 'router');
      let rt: Router = {
        ...standard(this.n.ctx, projectId, input),
        adminStateUp: input.adminStateUp ?? true,
        status: 'ACTIVE',
        gateway: null,
        routes: [],
        distributed: input.distributed ?? false,
        ha: input.ha ?? false,
        azHints: input.azHints ?? [],
        l3Unscheduled: false,
      };
      await this.n.r.routers.create(rt);
      if (input.gateway) rt = await this.setGateway(rt, input.gateway);
      this.n.schedule('router', rt.id);
      return rt;
    });
  }

  async update(id: string, patch: RouterInput, ifRevision?: number): Promise<Router> {
    return this.n.ctx.tx(async () => {
      let rt = await this.get(id);
      if (ifRevision !== undefined && ifRevision !== rt.revision) throw E.revision(ifRevision, rt.revision);
      if (patch.gateway !== undefined) rt = await this.setGateway(rt, patch.gateway);
      const next: Router = { ...rt, ...defined({ ...patch, gateway: undefined }), gateway: rt.gateway };
      if (patch.routes !== undefined) next.routes = await this.checkRoutes(rt, patch.routes);
      const saved = await this.n.r.routers.update(next);
      this.n.schedule('router', id);
      return saved;
    });
  }

  async delete(id: string, ifRevision?: number): Promise<void> {
    await this.n.ctx.tx(async () => {
      const rt = await this.get(id);
      if (ifRevision !== undefined && ifRevision !== rt.revision) throw E.revision(ifRevision, rt.revision);
      const ports = await this.portsOf(id);
      if (ports.some((p) => p.deviceOwner === OWNER.routerInterface)) throw E.routerInUse(id);
      if (await this.n.r.fips.count({ routerId: id })) throw E.routerInUse(id, 'still has floating IPs');
      for (const p of ports) await this.n.ports.remove(p);
      await this.n.r.routers.delete(id);
      this.n.schedule('router', id);
    });
  }

  /**
   * Sets, changes or clears the gateway. The gateway port belongs to no project; it takes one
   * address per IP family from the external network unless `externalFixedIps` says otherwise.
   */
  private async setGateway(rt: Router, gw: GatewayInput | null): Promise<Router> {
    const old = rt.gateway;
    const oldPort = old?.portId ? await this.n.r.ports.get(old.portId) : undefined;
    if (gw === null || (old && gw.networkId !== old.networkId)) {
      if (old && (await this.n.r.fips.count({ routerId: rt.id }))) throw E.gatewayInUseByFip(rt.id, old.networkId);
      if (oldPort) await this.n.ports.remove(oldPort);
      rt = await this.n.r.routers.update({ ...rt, gateway: null });
      if (gw === null) return rt;
    }
    const net = await this.n.r.networks.get(gw.networkId);
    if (!net) throw E.networkNotFound(gw.networkId);
    if (!net.external) throw E.badRequest('router', `Network ${gw.networkId} is not an external network`);
    const enableSnat = gw.enableSnat ?? rt.gateway?.enableSnat ?? true;
    let portId = rt.gateway?.portId ?? null;
    const current = portId ? await this.n.r.ports.get(portId) : undefined;
    if (current && gw.externalFixedIps) await this.n.ports.update(SYSTEM, current.id, { fixedIps: gw.externalFixedIps });
    if (!current) {
      if ((await this.n.r.subnets.count({ networkId: net.id })) === 0) throw E.badRequest('router', `No IPs available for external network ${net.id}`);
      const port = await this.n.ports.create(SYSTEM, '', net, {
        deviceOwner: OWNER.routerGateway,
        deviceId: rt.id,
        fixedIps: gw.externalFixedIps && gw.externalFixedIps.length ? gw.externalFixedIps : undefined,
        hostId: this.n.ctx.config.host,
        portSecurity: false,
      });
      portId = port.id;
    }
    return this.n.r.routers.update({ ...rt, gateway: { networkId: net.id, enableSnat, portId } });
  }

  /** Extra routes: each next hop must sit on a subnet the router is attached to. */
  private async checkRoutes(rt: Router, routes: HostRoute[]): Promise<HostRoute[]> {
    if (routes.length > MAX_ROUTES) throw E.routesExhausted(rt.id, MAX_ROUTES);
    const ports = await this.portsOf(rt.id);
    const own = new Set(ports.flatMap((p) => p.fixedIps.map((f) => f.ipAddress)));
    const cidrs = [];
    for (const p of ports) for (const f of p.fixedIps) cidrs.push(parseCidr((await this.n.r.subnets.get(f.subnetId))?.cidr ?? '')!);
    const out: HostRoute[] = [];
    for (const r of routes) {
      const dest = parseCidr(r.destination);
      const hop = parseIp(r.nexthop);
      const show = JSON.stringify([r]);
      if (!dest || !r.destination.includes('/')) throw E.invalidRoutes(show, `${r.destination} is not a valid CIDR`);
      if (!hop) throw E.invalidRoutes(show, `${r.nexthop} is not a valid IP address`);
      if (dest.v !== hop.v) throw E.invalidRoutes(show, 'the destination and the nexthop are of different IP versions');
      const nexthop = normalizeIp(r.nexthop)!;
      if (own.has(nexthop)) throw E.invalidRoutes(show, 'the nexthop is used by router');
      if (!cidrs.some((c) => c && contains(c, hop))) throw E.invalidRoutes(show, 'the nexthop is not connected with router');
      const route = { destination: formatCidr(dest), nexthop };
      if (!out.some((o) => o.destination === route.destination && o.nexthop === route.nexthop)) out.push(route);
    }
    return out;
  }
}
