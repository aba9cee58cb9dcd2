import type { Clock } from '../../../core/clock.js';
import type { EventBus } from '../../../core/events.js';
import type { Logger } from '../../../core/log.js';
import type { NetworkCapabilities, NetworkDriver } from '../../../drivers/network/driver.js';
import type { Store } from '../../../store/index.js';
import { Agents } from './agents.js';
import { AutoTopology } from './auto-topology.js';
import { NetContext, type NetworkConfig } from './context.js';
import type { Core } from './core.js';
import { FloatingIps } from './floatingips.js';
import { cidrSize, parseCidr } from './ip.js';
import { Ipam, poolRanges } from './ipam.js';
import { Metering } from './metering.js';
import type { Network } from './models.js';
import { Networks } from './networks.js';
import { Ports } from './ports.js';
import { Quotas } from './quotas.js';
import { Reconciler, type SyncKind } from './reconciler.js';
import { Repos } from './repos.js';
import { RouterInterfaces } from './router-interfaces.js';
import { Routers } from './routers.js';
import { SecurityGroups } from './secgroups.js';
import { SubnetPools } from './subnetpools.js';
import { Subnets } from './subnets.js';
import { Sync } from './sync.js';

export type { NetworkConfig } from './context.js';
export type { Actor } from './models.js';

export interface IpAvailability {
  network: Network;
  totalIps: number;
  usedIps: number;
  subnets: { id: string; name: string; cidr: string; ipVersion: 4 | 6; totalIps: number; usedIps: number }[];
}

/**
 * The networking logic (Neutron's plugin): every resource module, IPAM, quotas, and the
 * reconciler that drives committed intent into the network driver. Routes call this; nothing
 * else touches the networking records. Other services (compute, later) use the same methods.
 */
export class Networking implements Core {
  readonly ctx: NetContext;
  readonly r: Repos;
  readonly ipam: Ipam;
  readonly quotas: Quotas;
  readonly caps: NetworkCapabilities;
  readonly networks: Networks;
  readonly subnets: Subnets;
  readonly pools: SubnetPools;
  readonly ports: Ports;
  readonly routers: Routers;
  readonly interfaces: RouterInterfaces;
  readonly fips: FloatingIps;
  readonly sgs: SecurityGroups;
  readonly agents: Agents;
  readonly metering: Metering;
  readonly autoTopology: AutoTopology;
  private readonly sync: Sync;
  private readonly reconciler: Reconciler;

  constructor(
    deps: { store: Store; events: EventBus; clock: Clock; log: Logger; config: NetworkConfig },
    /** The data plane; exposed so tests can inspect the fake or tell it to fail. */
    readonly driver: NetworkDriver,
  ) {
    this.ctx = new NetContext(deps.store, deps.events, deps.clock, deps.log, deps.config);
    this.caps = driver.capabilities;
    this.r = new Repos(this.ctx);
    this.ipam = new Ipam(this.r.allocs);
    this.quotas = new Quotas(this.ctx, this.r);
    this.networks = new Networks(this);
    this.subnets = new Subnets(this);
    this.pools = new SubnetPools(this);
    this.ports = new Ports(this);
    this.routers = new Routers(this);
    this.interfaces = new RouterInterfaces(this);
    this.fips = new FloatingIps(this);
    this.sgs = new SecurityGroups(this);
    this.agents = new Agents(this);
    this.metering = new Metering(this);
    this.autoTopology = new AutoTopology(this);
    this.sync = new Sync(this.ctx, this.r, driver);
    this.reconciler = new Reconciler(this.sync.handlers, deps.log.child('sync'));
    this.sync.reconciler = this.reconciler;
  }

  schedule(kind: SyncKind, id: string): void {
    this.ctx.afterCommit(() => this.reconciler.schedule(kind, id));
  }

  /**
   * Starts the driver, registers the agents, and reconciles: every stored object is synced
   * again and whatever the data plane holds that the store does not know is removed.
   */
  async init(): Promise<void> {
    await this.driver.start();
    await this.agents.register(this.caps.name);
    const inv = await this.driver.inventory();
    this.sync.adopt(inv.ports);
    const want = (kind: SyncKind, ids: string[]) => ids.forEach((id) => this.reconciler.schedule(kind, id));
    const nets = (await this.r.networks.list()).map((n) => n.id);
    want('net', [...new Set([...nets, ...inv.networks])]);
    want('dhcp', [...new Set([...nets, ...inv.dhcp])]);
    want('sg', [...new Set([...(await this.r.sgs.list()).map((g) => g.id), ...inv.securityGroups])]);
    want('port', [...new Set([...(await this.r.ports.list()).filter((p) => p.hostId !== '').map((p) => p.id), ...inv.ports])]);
    want('router', [...new Set([...(await this.r.routers.list()).map((r) => r.id), ...inv.routers])]);
    want('fip', [...new Set([...(await this.r.fips.list()).map((f) => f.id), ...inv.floatingIps])]);
  }

  /** Resolves when every scheduled driver call has run (tests, shutdown). */
  settle(): Promise<void> {
    return this.reconciler.idle();
  }

  health(): { status: 'up' | 'degraded'; detail?: string } {
    const failing = this.reconciler.failing;
    const driver = this.caps.dataPlane ? this.caps.name : `${this.caps.name} (no data plane)`;
    return failing ? { status: 'degraded', detail: `${driver}; ${failing} objects failing to sync` } : { status: 'up', detail: driver };
  }

  async close(): Promise<void> {
    await this.reconciler.close();
    await this.driver.close();
  }

  /** network-ip-availabilities: pool sizes and used addresses per subnet. */
  async ipAvailability(): Promise<IpAvailability[]> {
    const subnets = await this.r.subnets.list();
    const out: IpAvailability[] = [];
    for (const network of await this.r.networks.list()) {
      const subs = [];
      for (const s of subnets.filter((x) => x.networkId === network.id)) {
        const total = poolRanges(s).reduce((t, r) => t + (r.last - r.first + 1n), 0n);
        const cap = cidrSize(parseCidr(s.cidr)!);
        subs.push({ id: s.id, name: s.name, cidr: s.cidr, ipVersion: s.ipVersion, totalIps: Number(total < cap ? total : cap), usedIps: await this.ipam.countUsed(s.id) });
      }
      out.push({ network, subnets: subs, totalIps: subs.reduce((t, s) => t + s.totalIps, 0), usedIps: subs.reduce((t, s) => t + s.usedIps, 0) });
    }
    return out;
  }
}
