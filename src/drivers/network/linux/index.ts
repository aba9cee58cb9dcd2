import { existsSync, mkdirSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  HostCommandError,
  Mutex,
  PROXY_SCRIPT,
  Supervisor,
  hostRunner,
  ipBatch,
  ipJson,
  iptablesRestore,
  listNamespaces,
  netnsPath,
  nftScript,
  nsName,
  ownsNamespace,
  runAll,
  sameProcess,
  sysctls,
  type Cmd,
  type Inventory,
  type Runner,
  type Underlay,
} from './host.js';
import {
  NetworkDriverError,
  type DhcpSpec,
  type FloatingIpSpec,
  type MetadataSpec,
  type NetworkCapabilities,
  type NetworkDriver,
  type NetworkInventory,
  type NetworkSpec,
  type PortSpec,
  type RouterLeg,
  type RouterSpec,
  type SecurityGroupSpec,
  peerName,
} from '../driver.js';
import { ALIAS, dev } from './names.js';
import { dnsmasqConfig, guardNft, isV6, METADATA_IP, prefixLen, routerNft, securityRules } from './rules.js';
import { StateFile, type DriverState } from './state.js';

export interface LinuxNetworkOptions {
  /** The cloud's data dir: the driver keeps its desired state under `<dataDir>/dataplane/`. */
  dataDir: string;
  /** The underlay namespace (created by `start`, shared with the compute driver). */
  underlay: Underlay;
  inventory: Inventory;
  /** The control plane's metadata unix socket, for the metadata proxies. */
  metadataSocket: string;
  /**
   * Period of the self-repair loop (`repair`), from `start` to `close`: default
   * `STRATUS_RESYNC_MS` from the environment, else 10 s; 0 turns it off.
   */
  resyncMs?: number;
  /** Where dnsmasq's files live: a world-readable directory (dnsmasq drops root), default /run/stratus/<prefix>. */
  runDir?: string;
  runner?: Runner;
  log?: (msg: string) => void;
  /** Timing of port plugs (debug level; off when absent). */
  debug?: (msg: string) => void;
}

interface LinkInfo {
  ifname: string;
  ifalias?: string;
  master?: string;
  operstate?: string;
  address?: string;
  mtu?: number;
  flags?: string[];
}
interface AddrInfo {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number; scope?: string }[];
}
interface RouteInfo {
  dst: string;
  gateway?: string;
  dev?: string;
}

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
  private readonly runner: Runner;
  private readonly stateFile: StateFile;
  private readonly runDir: string;
  private readonly log: (msg: string) => void;
  private readonly debug: (msg: string) => void;
  private readonly mutex = new Mutex();
  private state: DriverState;
  private sup: Supervisor;
  /** The self-repair loop: its period (0 = off), its timer, the run in progress. */
  private readonly resyncMs: number;
  private repairTimer: NodeJS.Timeout | null = null;
  private repairing: Promise<string[]> | null = null;
  private closed = false;

  constructor(private readonly o: LinuxNetworkOptions) {
    this.runner = o.runner ?? hostRunner;
    this.stateFile = new StateFile(join(o.dataDir, 'dataplane'));
    this.state = this.stateFile.load();
    this.runDir = o.runDir ?? `/run/stratus/${o.underlay.name}`;
    this.log = o.log ?? (() => {});
    this.debug = o.debug ?? (() => {});
    this.sup = new Supervisor(o.inventory, this.log, 'network');
    this.resyncMs = o.resyncMs ?? resyncFromEnv();
  }

  private get U(): string {
    return this.o.underlay.name;
  }
  private routerNs(id: string): string {
    return nsName(this.U, 'r', id);
  }
  private serviceNs(networkId: string): string {
    return nsName(this.U, 'd', networkId);
  }
  private save(): void {
    this.stateFile.save(this.state);
  }
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      try {
        return await fn();
      } catch (e) {
        if (e instanceof NetworkDriverError) throw e;
        throw new NetworkDriverError('failed', `linux network driver: ${(e as Error).message}`);
      }
    });
  }
  private run(cmds: Cmd[]): Promise<void> {
    return runAll(this.runner, cmds.filter((c) => !(c.input !== undefined && c.argv.includes('-batch') && c.input.trim() === '')));
  }

  async start(): Promise<void> {
    await this.locked(async () => {
      await this.o.underlay.ensure();
      await this.sup.stopAll();
      this.rendered.clear();
      this.sup = new Supervisor(this.o.inventory, this.log, 'network');
      // Helpers of a previous run die with it (pdeathsig); any that did not are stopped here
      // and started again by the re-sync that follows.
      for (const e of this.o.inventory.list('pid')) {
        if (e.owner !== 'network') continue;
        if (sameProcess(e)) process.kill(Number(e.key), 'SIGKILL');
        this.o.inventory.forget('pid', e.key);
      }
      mkdirSync(this.runDir, { recursive: true, mode: 0o755 });
      this.o.inventory.record({ kind: 'dir', key: this.runDir, note: 'dnsmasq files', owner: 'network' });
      await this.renderShared();
      this.closed = false;
      if (!this.repairTimer && !this.repairing) this.scheduleRepair();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.repairTimer) clearTimeout(this.repairTimer);
    this.repairTimer = null;
    await this.repairing;
    await this.mutex.run(() => this.sup.stopAll());
  }

  async inventory(): Promise<NetworkInventory> {
    const links = await ipJson<LinkInfo>(this.runner, this.U, ['link', 'show']);
    const tagged = (tag: string) => links.flatMap((l) => (l.ifalias?.startsWith(tag) ? [l.ifalias.slice(tag.length)] : []));
    const namespaces = new Set(listNamespaces(this.U));
    const routers = [...namespaces].flatMap((n) => (n.startsWith(`${this.U}-r-`) ? [n.slice(this.U.length + 3)] : []));
    const services = new Set([...namespaces].flatMap((n) => (n.startsWith(`${this.U}-d-`) ? [n.slice(this.U.length + 3)] : [])));
    return {
      networks: tagged(ALIAS.net),
      ports: tagged(ALIAS.port),
      routers,
      floatingIps: Object.values(this.state.fips).filter((f) => routers.includes(f.routerId)).map((f) => f.id),
      securityGroups: Object.keys(this.state.sgs),
      dhcp: Object.keys(this.state.dhcp).filter((id) => services.has(id)),
      metadata: Object.keys(this.state.metadata).filter((id) => services.has(id)),
    };
  }

  // ---- self-repair (the agents' periodic resync) ------------------------------------------

  /**
   * Compares the data plane with the desired state this driver was last given and rebuilds
   * what is missing: a bridge, a port's tap (with its peer, which the compute driver then moves
   * into the instance again), a tap taken off its bridge or set down, a router namespace or
   * leg, a DHCP/metadata namespace or leg. Costs one `ip -json link show` in the underlay, one
   * directory listing of /run/netns and one `ip -json link show` per router/service namespace.
   * Resolves what it repaired (empty when all was in place). Runs under the driver's mutex, so
   * it never races a service call; what the service deleted is gone from the desired state.
   */
  repair(): Promise<string[]> {
    return this.locked(async () => {
      const done: string[] = [];
      let links = await this.links(this.U);
      for (const n of Object.values(this.state.networks)) {
        const br = links.get(dev.bridge(n.id));
        const why = !br ? 'bridge missing' : n.adminStateUp && !isUp(br) ? 'bridge down' : null;
        if (!why) continue;
        const { zone: _zone, ...spec } = n;
        await this.buildNetwork(spec);
        done.push(`network ${n.id}: ${why}`);
      }
      if (done.length) links = await this.links(this.U);
      for (const p of Object.values(this.state.ports)) {
        const tap = links.get(dev.tap(p.id));
        const why = !tap ? 'tap missing' : tap.master !== dev.bridge(p.networkId) ? 'tap off its bridge' : p.adminStateUp && !isUp(tap) ? 'tap down' : null;
        if (!why || !this.state.networks[p.networkId]) continue;
        await this.buildPort(p);
        done.push(`port ${p.id}: ${why}`);
      }
      const namespaces = new Set(listNamespaces(this.U));
      for (const r of Object.values(this.state.routers)) {
        const legs = [...r.interfaces, ...(r.gateway ? [r.gateway] : [])];
        if (legs.some((l) => !this.state.networks[l.networkId])) continue;
        let why: string | null = null;
        if (!namespaces.has(this.routerNs(r.id))) why = 'namespace missing';
        else {
          const bad = legs.find((l) => links.get(dev.rq(l.portId))?.master !== dev.bridge(l.networkId));
          if (bad) why = `leg of port ${bad.portId} missing or off its bridge`;
          else {
            const inner = await this.links(this.routerNs(r.id));
            const gone = legs.find((l) => !inner.has(l === r.gateway ? dev.qg(l.portId) : dev.qr(l.portId)));
            if (gone) why = `inner leg of port ${gone.portId} missing`;
          }
        }
        if (!why) continue;
        if (why === 'namespace missing') await this.settleGone(legs.map((l) => dev.rq(l.portId)));
        await this.buildRouter(r);
        done.push(`router ${r.id}: ${why}`);
      }
      for (const id of new Set([...Object.keys(this.state.dhcp), ...Object.keys(this.state.metadata)])) {
        if (!this.state.networks[id]) continue;
        const ns = this.serviceNs(id);
        let why: string | null = null;
        if (!namespaces.has(ns)) why = 'namespace missing';
        else if (links.get(dev.dh(id))?.master !== dev.bridge(id)) why = 'leg missing or off its bridge';
        else if (!(await this.links(ns)).has(dev.svc)) why = 'inner leg missing';
        if (!why) continue;
        // Its helpers still run in the namespace that was removed: start them afresh.
        if (why === 'namespace missing') {
          await this.stopService(id, false);
          await this.settleGone([dev.dh(id)]);
        }
        await this.convergeService(id);
        done.push(`dhcp/metadata of network ${id}: ${why}`);
      }
      for (const d of done) this.log(`repaired ${d}`);
      return done;
    });
  }

  /** Runs `repair` every `resyncMs` from `start` until `close` (a repair that fails is logged and tried again next time). */
  private scheduleRepair(): void {
    if (this.resyncMs <= 0 || this.closed) return;
    this.repairTimer = setTimeout(() => {
      this.repairTimer = null;
      this.repairing = this.repair()
        .catch((e: Error) => {
          this.log(`periodic repair failed (trying again in ${this.resyncMs} ms): ${e.message}`);
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
    return this.locked(() => this.buildNetwork(spec));
  }

  private async buildNetwork(spec: NetworkSpec): Promise<void> {
    const prev = this.state.networks[spec.id];
    const zone = prev?.zone ?? 1 + Math.max(0, ...Object.values(this.state.networks).map((n) => n.zone));
    const br = dev.bridge(spec.id);
    const links = await this.links(this.U);
    const lines: string[] = [];
    if (!links.has(br)) lines.push(`link add ${br} type bridge`);
    lines.push(`link set ${br} mtu ${spec.mtu}`, `link set ${br} alias ${ALIAS.net}${spec.id}`, `link set ${br} ${spec.adminStateUp ? 'up' : 'down'}`);
    const uplink = this.o.underlay.uplinkDev;
    if (spec.external && uplink && links.has(uplink)) lines.push(`link set ${uplink} master ${br}`, `link set ${uplink} up`);
    // Isolated, the underlay itself plays the external network's upstream (devstack's br-ex):
    // it holds the external gateway address on the bridge, so `stratus netns exec -- ssh
    // <floating IP>` works, and it never forwards (ip_forward stays 0 in the underlay).
    const want = new Set(spec.external && !uplink ? spec.subnets.filter((s) => s.ipVersion === 4 && s.gatewayIp).map((s) => `${s.gatewayIp}/${prefixLen(s.cidr)}`) : []);
    const have = links.has(br) ? (await ipJson<AddrInfo>(this.runner, this.U, ['addr', 'show', 'dev', br])).flatMap((a) => a.addr_info.filter((x) => x.family === 'inet').map((x) => `${x.local}/${x.prefixlen}`)) : [];
    for (const x of have) if (!want.has(x)) lines.push(`addr del ${x} dev ${br}`);
    for (const x of want) if (!have.includes(x)) lines.push(`addr add ${x} dev ${br}`);
    await this.run([ipBatch(this.U, lines)]);
    this.state.networks[spec.id] = { ...structuredClone(spec), zone };
    this.save();
    if (!prev) await this.renderShared();
  }

  deleteNetwork(networkId: string): Promise<void> {
    return this.locked(async () => {
      await this.stopService(networkId, true);
      delete this.state.dhcp[networkId];
      delete this.state.metadata[networkId];
      const br = dev.bridge(networkId);
      if ((await this.links(this.U)).has(br)) await this.run([ipBatch(this.U, [`link del ${br}`])]);
      if (this.state.networks[networkId]) {
        delete this.state.networks[networkId];
        this.save();
        await this.renderShared();
      }
    });
  }

  private needNetwork(id: string): NetworkSpec & { zone: number } {
    const n = this.state.networks[id];
    if (!n) throw new NetworkDriverError('missing', `network ${id} has not been ensured on this host`);
    return n;
  }

  // ---- ports ----------------------------------------------------------------------------

  /**
   * Three steps, each under the mutex: the veth pair (its tap off any bridge), so the compute
   * driver can take the peer at once; the shared filter tables (one render covers every port
   * plugged meanwhile: a burst of boots costs one `iptables-restore`, not one per port); then
   * the tap on its bridge, up. The tap joins the bridge only after its filters are in place,
   * so the port never carries a packet its rules would refuse.
   */
  async plugPort(spec: PortSpec): Promise<void> {
    const t0 = performance.now();
    const attach = await this.locked(() => this.createPort(spec));
    const t1 = performance.now();
    await this.renderSharedSoon();
    const t2 = performance.now();
    await this.locked(async () => {
      // Unplugged or re-plugged with another spec meanwhile: that call owns the port now.
      if (this.state.ports[spec.id] !== attach.spec) return;
      await this.run([ipBatch(this.U, attach.lines)]);
      await this.forgetNeighbours(spec);
    });
    this.debug(`plugPort ${spec.id}: veth ${(t1 - t0).toFixed(0)} ms, filters ${(t2 - t1).toFixed(0)} ms, attach ${(performance.now() - t2).toFixed(0)} ms`);
  }

  private async buildPort(spec: PortSpec): Promise<void> {
    const attach = await this.createPort(spec);
    await this.renderShared();
    await this.run([ipBatch(this.U, attach.lines)]);
  }

  /** The veth pair (created off any bridge) and the port's desired state; resolves the `ip` lines that attach it. */
  private async createPort(spec: PortSpec): Promise<{ spec: PortSpec; lines: string[] }> {
    const n = this.needNetwork(spec.networkId);
    const tap = dev.tap(spec.id);
    const peer = peerName(spec.id);
    const links = await this.links(this.U);
    const first: string[] = [];
    if (!links.has(tap)) first.push(`link add ${tap} mtu ${spec.mtu} type veth peer name ${peer} address ${spec.macAddress} mtu ${spec.mtu}`);
    else {
      first.push(`link set ${tap} mtu ${spec.mtu}`);
      if (links.has(peer)) first.push(`link set ${peer} address ${spec.macAddress} mtu ${spec.mtu}`);
    }
    first.push(`link set ${tap} alias ${ALIAS.port}${spec.id}`);
    const own = structuredClone(spec);
    this.state.ports[spec.id] = own;
    this.save();
    this.sharedWanted++;
    await this.run([ipBatch(this.U, first)]);
    return { spec: own, lines: [`link set ${tap} master ${dev.bridge(n.id)}`, `link set ${tap} ${spec.adminStateUp ? 'up' : 'down'}`] };
  }

  /**
   * Drops what the routers on the port's network remember of its addresses' MACs: an address
   * freed by a deleted port and given to a new one would otherwise be sent to the old MAC until
   * the router's neighbour entry expires (15-45 s), and a floating IP's traffic never arrives.
   */
  private async forgetNeighbours(spec: PortSpec): Promise<void> {
    const ips = spec.fixedIps.filter((f) => !isV6(f.ipAddress)).map((f) => f.ipAddress);
    if (!ips.length) return;
    const cmds: Cmd[] = [];
    for (const r of Object.values(this.state.routers)) {
      if (!r.interfaces.some((l) => l.networkId === spec.networkId) || !existsSync(netnsPath(this.routerNs(r.id)))) continue;
      cmds.push({ argv: ['ip', '-n', this.routerNs(r.id), '-force', '-batch', '-'], input: ips.map((ip) => `neigh flush to ${ip}`).join('\n') + '\n', mayFail: true });
    }
    await Promise.all(cmds.map((c) => this.runner.run(c).catch(() => undefined)));
  }

  /**
   * Renders the shared tables from a desired state at least as new as the caller's (its change
   * counted in `sharedWanted` before this is called); callers queued behind one render share it.
   */
  private async renderSharedSoon(): Promise<void> {
    const want = this.sharedWanted;
    await this.locked(async () => {
      if (this.sharedDone >= want) return;
      const target = this.sharedWanted;
      await this.renderShared();
      this.sharedDone = target;
    });
  }
  /** Count of desired-state changes to the shared tables, and how many of them are rendered. */
  private sharedWanted = 0;
  private sharedDone = 0;

  unplugPort(portId: string): Promise<void> {
    return this.locked(async () => {
      const tap = dev.tap(portId);
      if ((await this.links(this.U)).has(tap)) await this.run([ipBatch(this.U, [`link del ${tap}`])]);
      if (this.state.ports[portId]) {
        delete this.state.ports[portId];
        this.save();
        await this.renderShared();
      }
    });
  }

  // ---- routers --------------------------------------------------------------------------

  ensureRouter(spec: RouterSpec): Promise<void> {
    return this.locked(() => this.buildRouter(spec));
  }

  private async buildRouter(spec: RouterSpec): Promise<void> {
    const legs = [...spec.interfaces.map((l) => ({ leg: l, inner: dev.qr(l.portId) })), ...(spec.gateway ? [{ leg: spec.gateway as RouterLeg, inner: dev.qg(spec.gateway.portId) }] : [])];
    for (const { leg } of legs) this.needNetwork(leg.networkId);
    const ns = this.routerNs(spec.id);
    if (!existsSync(netnsPath(ns))) {
      this.o.inventory.record({ kind: 'netns', key: ns, note: `router ${spec.id}`, owner: 'network' });
      await this.run([
        { argv: ['ip', 'netns', 'add', ns] },
        sysctls(ns, { 'net.ipv6.conf.default.disable_ipv6': '1', 'net.ipv6.conf.all.disable_ipv6': '1', 'net.ipv4.ip_forward': '1' }),
        ipBatch(ns, ['link set lo up']),
      ]);
    }
    const have = await this.links(ns);
    const want = new Set(legs.map((l) => l.inner));
    const drop = [...have.keys()].filter((n) => /^q[rg]-/.test(n) && !want.has(n));
    const add: string[] = [];
    const attach: string[] = [];
    // A leg whose inner end is gone may still have its outer end (a namespace being torn down).
    const outerLinks = legs.some((l) => !have.has(l.inner)) ? await this.links(this.U) : new Map<string, LinkInfo>();
    for (const { leg, inner } of legs) {
      const mtu = this.state.networks[leg.networkId]!.mtu;
      const outer = dev.rq(leg.portId);
      if (!have.has(inner)) {
        if (outerLinks.has(outer)) add.push(`link del ${outer}`);
        add.push(`link add ${outer} mtu ${mtu} type veth peer name ${inner} address ${leg.macAddress} mtu ${mtu} netns ${ns}`);
      }
      attach.push(`link set ${outer} master ${dev.bridge(leg.networkId)}`, `link set ${outer} up`);
    }
    await this.run([ipBatch(ns, drop.map((d) => `link del ${d}`)), ipBatch(this.U, [...add, ...attach])]);
    // Floating IPs need a gateway: the ones a gateway-less spec no longer supports go.
    if (!spec.gateway) for (const f of Object.values(this.state.fips)) if (f.routerId === spec.id) delete this.state.fips[f.id];
    this.state.routers[spec.id] = structuredClone(spec);
    this.save();
    await this.convergeRouter(spec.id);
  }

  /** Addresses, routes and the NAT/filter table of a router, from the desired state. */
  private async convergeRouter(id: string): Promise<void> {
    const spec = this.state.routers[id];
    if (!spec) return;
    const ns = this.routerNs(id);
    const fips = Object.values(this.state.fips).filter((f) => f.routerId === id);
    const want = new Map<string, Set<string>>();
    for (const l of spec.interfaces) want.set(dev.qr(l.portId), new Set(l.fixedIps.filter((f) => !isV6(f.ipAddress)).map((f) => `${f.ipAddress}/${prefixLen(f.cidr)}`)));
    if (spec.gateway) {
      const g = new Set(spec.gateway.fixedIps.filter((f) => !isV6(f.ipAddress)).map((f) => `${f.ipAddress}/${prefixLen(f.cidr)}`));
      for (const f of fips) g.add(`${f.floatingIp}/32`);
      want.set(dev.qg(spec.gateway.portId), g);
    }
    const lines: string[] = [];
    for (const a of await ipJson<AddrInfo>(this.runner, ns, ['addr', 'show'])) {
      const w = want.get(a.ifname);
      if (!w) continue;
      const have = new Set(a.addr_info.filter((x) => x.family === 'inet').map((x) => `${x.local}/${x.prefixlen}`));
      for (const x of have) if (!w.has(x)) lines.push(`addr del ${x} dev ${a.ifname}`);
      for (const x of w) if (!have.has(x)) lines.push(`addr add ${x} dev ${a.ifname}`);
      lines.push(`link set ${a.ifname} ${spec.adminStateUp ? 'up' : 'down'}`);
    }
    await this.run([ipBatch(ns, lines)]);
    // Routes: everything we add is `proto static`; what the spec no longer lists goes.
    const routes: { dst: string; via: string }[] = [];
    if (spec.gateway?.nexthops[0]) routes.push({ dst: 'default', via: spec.gateway.nexthops[0] });
    for (const r of spec.routes) if (!isV6(r.destination)) routes.push({ dst: r.destination, via: r.nexthop });
    const current = await ipJson<RouteInfo>(this.runner, ns, ['route', 'show', 'proto', 'static']);
    const rl: string[] = [];
    for (const c of current) if (!routes.some((r) => r.dst === c.dst && r.via === c.gateway)) rl.push(`route del ${c.dst}${c.gateway ? ` via ${c.gateway}` : ''} proto static`);
    for (const r of routes) rl.push(`route replace ${r.dst} via ${r.via} proto static`);
    await this.run([ipBatch(ns, rl), nftScript(ns, routerNft(spec, fips))]);
  }

  deleteRouter(routerId: string): Promise<void> {
    return this.locked(async () => {
      const ns = this.routerNs(routerId);
      if (existsSync(netnsPath(ns))) await this.run([{ argv: ['ip', 'netns', 'del', ns] }]);
      this.o.inventory.forget('netns', ns);
      for (const f of Object.values(this.state.fips)) if (f.routerId === routerId) delete this.state.fips[f.id];
      delete this.state.routers[routerId];
      this.save();
    });
  }

  mapFloatingIp(spec: FloatingIpSpec): Promise<void> {
    return this.locked(async () => {
      const r = this.state.routers[spec.routerId];
      if (!r?.gateway || !existsSync(netnsPath(this.routerNs(spec.routerId)))) {
        throw new NetworkDriverError('missing', `router ${spec.routerId} is not built here or has no external gateway`);
      }
      const prev = this.state.fips[spec.id];
      this.state.fips[spec.id] = structuredClone(spec);
      this.save();
      if (prev && prev.routerId !== spec.routerId) await this.convergeRouter(prev.routerId);
      await this.convergeRouter(spec.routerId);
    });
  }

  unmapFloatingIp(floatingIpId: string): Promise<void> {
    return this.locked(async () => {
      const prev = this.state.fips[floatingIpId];
      if (!prev) return;
      delete this.state.fips[floatingIpId];
      this.save();
      if (existsSync(netnsPath(this.routerNs(prev.routerId)))) await this.convergeRouter(prev.routerId);
    });
  }

  // ---- security groups ------------------------------------------------------------------

  syncSecurityGroup(spec: SecurityGroupSpec): Promise<void> {
    return this.locked(async () => {
      this.state.sgs[spec.id] = structuredClone(spec);
      this.save();
      await this.renderShared();
    });
  }

  deleteSecurityGroup(securityGroupId: string): Promise<void> {
    return this.locked(async () => {
      if (!this.state.sgs[securityGroupId]) return;
      delete this.state.sgs[securityGroupId];
      this.save();
      await this.renderShared();
    });
  }

  /** The underlay's guard (anti-spoofing) and security-group tables, re-rendered whole. */
  private async renderShared(): Promise<void> {
    const upTo = this.sharedWanted;
    const ports = Object.values(this.state.ports);
    const groups = new Map(Object.entries(this.state.sgs));
    const zones = new Map(Object.values(this.state.networks).map((n) => [n.id, n.zone] as [string, number]));
    const tables: [string, Cmd][] = [
      ['guard', nftScript(this.U, guardNft(ports))],
      ['ip4', iptablesRestore(this.U, 4, securityRules(ports, groups, zones, 4))],
      ['ip6', iptablesRestore(this.U, 6, securityRules(ports, groups, zones, 6))],
    ];
    // Independent tables: written in parallel, and only when their text changed.
    await Promise.all(
      tables.map(async ([name, cmd]) => {
        if (this.rendered.get(name) === cmd.input) return;
        this.rendered.delete(name);
        await this.runner.run(cmd);
        this.rendered.set(name, cmd.input!);
      }),
    );
    this.sharedDone = Math.max(this.sharedDone, upTo);
  }
  /** The text last written to each shared table (cleared at start, so a restart rewrites them). */
  private readonly rendered = new Map<string, string>();

  // ---- DHCP and metadata ----------------------------------------------------------------

  syncDhcp(spec: DhcpSpec): Promise<void> {
    return this.locked(async () => {
      this.needNetwork(spec.networkId);
      if (spec.subnets.length === 0 || !spec.subnets.some((s) => s.enableDhcp && s.ipVersion === 4)) {
        delete this.state.dhcp[spec.networkId];
        this.save();
        return this.convergeService(spec.networkId);
      }
      this.state.dhcp[spec.networkId] = structuredClone(spec);
      this.save();
      await this.convergeService(spec.networkId);
    });
  }

  deleteDhcp(networkId: string): Promise<void> {
    return this.locked(async () => {
      delete this.state.dhcp[networkId];
      this.save();
      await this.convergeService(networkId);
    });
  }

  ensureMetadataProxy(spec: MetadataSpec): Promise<void> {
    return this.locked(async () => {
      this.needNetwork(spec.networkId);
      this.state.metadata[spec.networkId] = structuredClone(spec);
      this.save();
      await this.convergeService(spec.networkId);
    });
  }

  deleteMetadataProxy(networkId: string): Promise<void> {
    return this.locked(async () => {
      delete this.state.metadata[networkId];
      this.save();
      await this.convergeService(networkId);
    });
  }

  /**
   * The network's service namespace: one leg on the bridge carrying the DHCP port's MAC and
   * addresses and 169.254.169.254/32, dnsmasq when DHCP is wanted, the metadata proxy when
   * metadata is wanted; removed when neither is.
   */
  private async convergeService(networkId: string): Promise<void> {
    const dhcp = this.state.dhcp[networkId];
    const meta = this.state.metadata[networkId];
    const n = this.state.networks[networkId];
    if ((!dhcp && !meta) || !n) return this.stopService(networkId, !n || (!dhcp && !meta));
    const ns = this.serviceNs(networkId);
    const outer = dev.dh(networkId);
    if (!existsSync(netnsPath(ns))) {
      this.o.inventory.record({ kind: 'netns', key: ns, note: `dhcp/metadata of network ${networkId}`, owner: 'network' });
      await this.run([
        { argv: ['ip', 'netns', 'add', ns] },
        sysctls(ns, { 'net.ipv6.conf.default.disable_ipv6': '1', 'net.ipv6.conf.all.disable_ipv6': '1' }),
        ipBatch(ns, ['link set lo up']),
      ]);
    }
    const inner = await this.links(ns);
    const lines: string[] = [];
    if (!inner.has(dev.svc) && (await this.links(this.U)).has(outer)) lines.push(`link del ${outer}`);
    if (!inner.has(dev.svc)) lines.push(`link add ${outer} mtu ${n.mtu} type veth peer name ${dev.svc} mtu ${n.mtu} netns ${ns}`);
    lines.push(`link set ${outer} master ${dev.bridge(networkId)}`, `link set ${outer} up`);
    await this.run([ipBatch(this.U, lines)]);
    const want = new Set<string>();
    for (const f of dhcp?.serverPort?.fixedIps ?? []) if (!isV6(f.ipAddress)) want.add(`${f.ipAddress}/${prefixLen(f.cidr)}`);
    if (meta) want.add(`${METADATA_IP}/32`);
    const have = new Set((await ipJson<AddrInfo>(this.runner, ns, ['addr', 'show', 'dev', dev.svc])).flatMap((a) => a.addr_info.filter((x) => x.family === 'inet').map((x) => `${x.local}/${x.prefixlen}`)));
    const al: string[] = [];
    if (dhcp?.serverPort && inner.get(dev.svc)?.address !== dhcp.serverPort.macAddress.toLowerCase()) al.push(`link set ${dev.svc} address ${dhcp.serverPort.macAddress}`);
    for (const x of have) if (!want.has(x)) al.push(`addr del ${x} dev ${dev.svc}`);
    for (const x of want) if (!have.has(x)) al.push(`addr add ${x} dev ${dev.svc}`);
    al.push(`link set ${dev.svc} up`);
    await this.run([ipBatch(ns, al)]);

    const key = (k: string) => `${k}:${networkId}`;
    if (dhcp && want.size > (meta ? 1 : 0)) {
      const dir = join(this.runDir, 'dhcp', networkId);
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      const cfg = dnsmasqConfig(dhcp, dir, dev.svc, Boolean(meta));
      const before = readText(join(dir, 'host'));
      const changedHosts = writeIfChanged(join(dir, 'host'), cfg.hosts);
      const changed = writeIfChanged(join(dir, 'opts'), cfg.opts) || changedHosts;
      const running = this.sup.has(key('dnsmasq'));
      // SIGHUP re-reads the files, but (dnsmasq 2.90) keeps the leases of entries that are gone,
      // so an address freed by a deleted port and given to a new one would be refused ("leased
      // to" the old MAC); and it crashes (SIGSEGV) on SIGHUP while a tagged entry (a port with
      // extra DHCP options) holds a lease. So: entries only added → SIGHUP (no boot waits for a
      // restart); an entry removed or changed, or any tagged entry → restart (leases are static
      // and read-only: nothing is lost; a client mid-exchange retries).
      const kept = new Set(cfg.hosts.split('\n'));
      const removed = before !== null && before.split('\n').some((l) => l !== '' && !kept.has(l));
      const restart = running && changed && (cfg.tagged || removed);
      if (restart) await this.sup.stop(key('dnsmasq'));
      await this.sup.ensure(key('dnsmasq'), { argv: cfg.args, netns: ns, readyText: 'started' });
      if (running && changed && !restart) this.sup.signal(key('dnsmasq'), 'SIGHUP');
    } else {
      await this.sup.stop(key('dnsmasq'));
    }
    if (meta) {
      await this.sup.ensure(key('metadata'), {
        argv: [process.execPath, PROXY_SCRIPT, '--socket', this.o.metadataSocket, '--network', networkId, '--listen', `${METADATA_IP}:80`],
        netns: ns,
        readyText: 'ready',
      });
    } else {
      await this.sup.stop(key('metadata'));
    }
  }

  private async stopService(networkId: string, removeNs: boolean): Promise<void> {
    await this.sup.stop(`dnsmasq:${networkId}`);
    await this.sup.stop(`metadata:${networkId}`);
    if (!removeNs) return;
    const ns = this.serviceNs(networkId);
    if (existsSync(netnsPath(ns))) await this.run([{ argv: ['ip', 'netns', 'del', ns] }]);
    this.o.inventory.forget('netns', ns);
    rmSync(join(this.runDir, 'dhcp', networkId), { recursive: true, force: true });
  }

  // ---- helpers --------------------------------------------------------------------------

  /**
   * After a namespace was removed behind our back, the kernel tears its devices (and so the
   * underlay ends of their veth pairs) down asynchronously: the stale ends may still be listed
   * for a moment and vanish mid-rebuild. Deletes them (ignoring "not found") and waits up to
   * 2 s until they are gone, so the rebuild starts from a settled underlay.
   */
  private async settleGone(devices: string[]): Promise<void> {
    const deadline = Date.now() + 2000;
    for (;;) {
      const links = await this.links(this.U);
      const left = devices.filter((d) => links.has(d));
      if (left.length === 0) return;
      for (const d of left) await this.run([ipBatch(this.U, [`link del ${d}`])]).catch(() => undefined);
      if (Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async links(ns: string): Promise<Map<string, LinkInfo>> {
    if (!ownsNamespace(this.U, ns) || !existsSync(netnsPath(ns))) return new Map();
    return new Map((await ipJson<LinkInfo>(this.runner, ns, ['link', 'show'])).map((l) => [l.ifname, l]));
  }
}

/** Administratively up (`ip link set … up`), whatever the carrier. */
function isUp(l: LinkInfo): boolean {
  return l.flags?.includes('UP') ?? false;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function writeIfChanged(path: string, text: string): boolean {
  try {
    if (readFileSync(path, 'utf8') === text) return false;
  } catch {
    // absent
  }
  writeFileSync(path, text, { mode: 0o644 });
  return true;
}

/**
 * The self-repair period from `STRATUS_RESYNC_MS` (milliseconds; 0 = off), else 10 s.
 * NOTE: read here rather than in the config because it is a test and tuning knob of the real
 * data plane only (the probe tests use 1 s); neither fake driver has anything to repair.
 */
export function resyncFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.STRATUS_RESYNC_MS;
  if (v === undefined || v.trim() === '') return 10_000;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : 10_000;
}

export { HostCommandError };
