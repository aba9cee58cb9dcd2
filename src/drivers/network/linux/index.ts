import { mkdirSync } from 'node:fs';
import { HostCommandError, Supervisor, ipJson, listNamespaces, sameProcess } from './host.js';
import type {
  DhcpSpec,
  FloatingIpSpec,
  MetadataSpec,
  NetworkCapabilities,
  NetworkDriver,
  NetworkInventory,
  NetworkSpec,
  PortSpec,
  RouterSpec,
  SecurityGroupSpec,
} from '../driver.js';
import { DriverContext, type LinkInfo, type LinuxNetworkOptions } from './context.js';
import { ALIAS } from './names.js';
import { buildNetwork, deleteNetwork } from './networks.js';
import { plugPort, unplugPort } from './ports.js';
import { resyncFromEnv } from '../../../core/resync.js';
import { repair } from './repair.js';
import { buildRouter, deleteRouter, mapFloatingIp, unmapFloatingIp } from './routers.js';
import { convergeService } from './services.js';

export type { LinuxNetworkOptions };

/**
 * The real network driver (DESIGN.md §4): a Linux bridge per network inside the cloud's underlay
 * namespace, veth instance ports, one namespace per router (forwarding only there; SNAT and
 * floating IPs in one nftables transaction per change), stateful security groups through
 * iptables-nft `physdev` + conntrack on the bridges, stateless anti-spoofing in the underlay's
 * bridge family, and per network a service namespace running dnsmasq (static leases) and a
 * metadata proxy on 169.254.169.254 that reaches the control plane only over its unix socket.
 *
 * Every mutation runs under one mutex: the shared tables (guard, security groups) are
 * re-rendered whole from the desired state, and one writer at a time keeps them consistent.
 * The work itself lives next to this file, one module per concern: `context.ts` (state, host
 * access, shared tables), `networks.ts`, `ports.ts`, `routers.ts` (with floating IPs),
 * `services.ts` (DHCP and metadata), `repair.ts` (self-repair).
 */
// NOTE: one metadata proxy process (a small Node script) per network costs ~40 MB RSS each; a
// single process cannot listen inside many namespaces from Node. Fine for tens of networks.
export class LinuxNetworkDriver implements NetworkDriver {
  readonly capabilities: NetworkCapabilities = {
    name: 'linux',
    networkTypes: ['local', 'flat', 'vxlan'],
    physicalNetworks: ['public'],
    vifType: 'bridge',
    mtu: 1500,
    dataPlane: true,
  };
  private readonly c: DriverContext;
  /** The self-repair loop: its period (0 = off), its timer, the run in progress. */
  private readonly resyncMs: number;
  private repairTimer: NodeJS.Timeout | null = null;
  private repairing: Promise<string[]> | null = null;
  private closed = false;

  constructor(o: LinuxNetworkOptions) {
    this.c = new DriverContext(o);
    this.resyncMs = o.resyncMs ?? resyncFromEnv();
  }

  async start(): Promise<void> {
    const c = this.c;
    await c.locked(async () => {
      await c.o.underlay.ensure();
      await c.sup.stopAll();
      c.rendered.clear();
      c.programmed.clear();
      c.sup = new Supervisor(c.o.inventory, c.log, 'network');
      // Helpers of a previous run die with it (pdeathsig); any that did not are stopped here
      // and started again by the re-sync that follows.
      for (const e of c.o.inventory.list('pid')) {
        if (e.owner !== 'network') continue;
        if (sameProcess(e)) process.kill(Number(e.key), 'SIGKILL');
        c.o.inventory.forget('pid', e.key);
      }
      mkdirSync(c.runDir, { recursive: true, mode: 0o755 });
      c.o.inventory.record({ kind: 'dir', key: c.runDir, note: 'dnsmasq files', owner: 'network' });
      await c.renderShared();
      this.closed = false;
      if (!this.repairTimer && !this.repairing) this.scheduleRepair();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.repairTimer) clearTimeout(this.repairTimer);
    this.repairTimer = null;
    await this.repairing;
    await this.c.mutex.run(() => this.c.sup.stopAll());
  }

  async inventory(): Promise<NetworkInventory> {
    const { c } = this;
    const U = c.U;
    const links = await ipJson<LinkInfo>(c.runner, U, ['link', 'show']);
    const tagged = (tag: string) => links.flatMap((l) => (l.ifalias?.startsWith(tag) ? [l.ifalias.slice(tag.length)] : []));
    const namespaces = new Set(listNamespaces(U));
    const routers = [...namespaces].flatMap((n) => (n.startsWith(`${U}-r-`) ? [n.slice(U.length + 3)] : []));
    const services = new Set([...namespaces].flatMap((n) => (n.startsWith(`${U}-d-`) ? [n.slice(U.length + 3)] : [])));
    return {
      networks: tagged(ALIAS.net),
      ports: tagged(ALIAS.port),
      routers,
      floatingIps: Object.values(c.state.fips).filter((f) => routers.includes(f.routerId)).map((f) => f.id),
      securityGroups: Object.keys(c.state.sgs),
      dhcp: Object.keys(c.state.dhcp).filter((id) => services.has(id)),
      metadata: Object.keys(c.state.metadata).filter((id) => services.has(id)),
    };
  }

  // ---- self-repair (the agents' periodic resync) ------------------------------------------

  /**
   * Compares the data plane with the desired state this driver was last given and rebuilds
   * what is missing: a bridge, a port's tap (with its peer, which the compute driver then moves
   * into the instance again), a tap taken off its bridge or set down, a router namespace or
   * leg, a DHCP/metadata namespace or leg, and an nftables table flushed, deleted or edited
   * behind its back (a router's NAT table; the underlay's anti-spoofing and security-group
   * tables, `iptables -F` included), found by comparing a fingerprint (rule count per chain,
   * element count per set or map) with the one read back when it was last programmed. Costs one
   * `ip -json link show` and one `nft -j list ruleset` in the underlay, one directory listing of
   * /run/netns, and one `ip -json link show` per router/service namespace plus one
   * `nft -j list ruleset` per router.
   * Resolves what it repaired (empty when all was in place). Runs under the driver's mutex, so
   * it never races a service call; what the service deleted is gone from the desired state.
   */
  repair(): Promise<string[]> {
    return repair(this.c);
  }

  /** Runs `repair` every `resyncMs` from `start` until `close` (a repair that fails is logged and tried again next time). */
  private scheduleRepair(): void {
    if (this.resyncMs <= 0 || this.closed) return;
    this.repairTimer = setTimeout(() => {
      this.repairTimer = null;
      this.repairing = this.repair()
        .catch((e: Error) => {
          this.c.log(`periodic repair failed (trying again in ${this.resyncMs} ms): ${e.message}`);
          return [];
        })
        .finally(() => {
          this.repairing = null;
          this.scheduleRepair();
        });
    }, this.resyncMs);
    this.repairTimer.unref();
  }

  // ---- networks -------------------------------------------------------------------------

  ensureNetwork(spec: NetworkSpec): Promise<void> {
    return this.c.locked(() => buildNetwork(this.c, spec));
  }

  deleteNetwork(networkId: string): Promise<void> {
    return this.c.locked(() => deleteNetwork(this.c, networkId));
  }

  // ---- ports ----------------------------------------------------------------------------

  /** Plugs the port in short locked steps (see `plugPort` in ports.ts): its filters are in place before its tap joins the bridge. */
  plugPort(spec: PortSpec): Promise<void> {
    return plugPort(this.c, spec);
  }

  unplugPort(portId: string): Promise<void> {
    return this.c.locked(() => unplugPort(this.c, portId));
  }

  // ---- routers and floating IPs ---------------------------------------------------------

  ensureRouter(spec: RouterSpec): Promise<void> {
    return this.c.locked(() => buildRouter(this.c, spec));
  }

  deleteRouter(routerId: string): Promise<void> {
    return this.c.locked(() => deleteRouter(this.c, routerId));
  }

  mapFloatingIp(spec: FloatingIpSpec): Promise<void> {
    return this.c.locked(() => mapFloatingIp(this.c, spec));
  }

  unmapFloatingIp(floatingIpId: string): Promise<void> {
    return this.c.locked(() => unmapFloatingIp(this.c, floatingIpId));
  }

  // ---- security groups ------------------------------------------------------------------

  syncSecurityGroup(spec: SecurityGroupSpec): Promise<void> {
    const { c } = this;
    return c.locked(async () => {
      c.state.sgs[spec.id] = structuredClone(spec);
      c.save();
      await c.renderShared();
    });
  }

  deleteSecurityGroup(securityGroupId: string): Promise<void> {
    const { c } = this;
    return c.locked(async () => {
      if (!c.state.sgs[securityGroupId]) return;
      delete c.state.sgs[securityGroupId];
      c.save();
      await c.renderShared();
    });
  }

  // ---- DHCP and metadata ----------------------------------------------------------------

  syncDhcp(spec: DhcpSpec): Promise<void> {
    const { c } = this;
    return c.locked(async () => {
      c.needNetwork(spec.networkId);
      if (spec.subnets.length === 0 || !spec.subnets.some((s) => s.enableDhcp && s.ipVersion === 4)) {
        delete c.state.dhcp[spec.networkId];
        c.save();
        return convergeService(c, spec.networkId);
      }
      c.state.dhcp[spec.networkId] = structuredClone(spec);
      c.save();
      await convergeService(c, spec.networkId);
    });
  }

  deleteDhcp(networkId: string): Promise<void> {
    const { c } = this;
    return c.locked(async () => {
      delete c.state.dhcp[networkId];
      c.save();
      await convergeService(c, networkId);
    });
  }

  ensureMetadataProxy(spec: MetadataSpec): Promise<void> {
    const { c } = this;
    return c.locked(async () => {
      c.needNetwork(spec.networkId);
      c.state.metadata[spec.networkId] = structuredClone(spec);
      c.save();
      await convergeService(c, spec.networkId);
    });
  }

  deleteMetadataProxy(networkId: string): Promise<void> {
    const { c } = this;
    return c.locked(async () => {
      delete c.state.metadata[networkId];
      c.save();
      await convergeService(c, networkId);
    });
  }
}

export { HostCommandError, resyncFromEnv };
