import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  Mutex,
  Supervisor,
  hostRunner,
  ipBatch,
  ipJson,
  iptablesRestore,
  netnsPath,
  nftScript,
  nsName,
  ownsNamespace,
  runAll,
  type Cmd,
  type Inventory,
  type Runner,
  type Underlay,
} from './host.js';
import { NetworkDriverError, type NetworkSpec } from '../driver.js';
import { ROUTER_TABLES, SHARED_TABLES, liveFingerprint, type Fingerprint } from './fingerprint.js';
import { guardNft } from './rules.js';
import { securityRules } from './secgroups.js';
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

/** Key of the underlay's tables in `DriverContext.programmed`. */
export const SHARED = 'shared';

export interface LinkInfo {
  ifname: string;
  ifalias?: string;
  master?: string;
  operstate?: string;
  address?: string;
  mtu?: number;
  flags?: string[];
}
export interface AddrInfo {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number; scope?: string }[];
}
export interface RouteInfo {
  dst: string;
  gateway?: string;
  dev?: string;
}

/**
 * What the linux driver's modules share: its options, host access, desired state (on disk),
 * helper supervisor, the one mutex every mutation runs under, and the shared (guard and
 * security-group) tables rendered whole from the desired state.
 */
export class DriverContext {
  readonly runner: Runner;
  readonly stateFile: StateFile;
  readonly runDir: string;
  readonly log: (msg: string) => void;
  readonly debug: (msg: string) => void;
  readonly mutex = new Mutex();
  readonly state: DriverState;
  sup: Supervisor;

  constructor(readonly o: LinuxNetworkOptions) {
    this.runner = o.runner ?? hostRunner;
    this.stateFile = new StateFile(join(o.dataDir, 'dataplane'));
    this.state = this.stateFile.load();
    this.runDir = o.runDir ?? `/run/stratus/${o.underlay.name}`;
    this.log = o.log ?? (() => {});
    this.debug = o.debug ?? (() => {});
    this.sup = new Supervisor(o.inventory, this.log, 'network');
  }

  get U(): string {
    return this.o.underlay.name;
  }
  routerNs(id: string): string {
    return nsName(this.U, 'r', id);
  }
  serviceNs(networkId: string): string {
    return nsName(this.U, 'd', networkId);
  }
  save(): void {
    this.stateFile.save(this.state);
  }
  locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      try {
        return await fn();
      } catch (e) {
        if (e instanceof NetworkDriverError) throw e;
        throw new NetworkDriverError('failed', `linux network driver: ${(e as Error).message}`);
      }
    });
  }
  run(cmds: Cmd[]): Promise<void> {
    return runAll(this.runner, cmds.filter((c) => !(c.input !== undefined && c.argv.includes('-batch') && c.input.trim() === '')));
  }

  needNetwork(id: string): NetworkSpec & { zone: number } {
    const n = this.state.networks[id];
    if (!n) throw new NetworkDriverError('missing', `network ${id} has not been ensured on this host`);
    return n;
  }

  // ---- shared tables --------------------------------------------------------------------

  /** The underlay's guard (anti-spoofing) and security-group tables, re-rendered whole. */
  async renderShared(): Promise<void> {
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
    let wrote = false;
    await Promise.all(
      tables.map(async ([name, cmd]) => {
        if (this.rendered.get(name) === cmd.input) return;
        this.rendered.delete(name);
        await this.runner.run(cmd);
        this.rendered.set(name, cmd.input!);
        wrote = true;
      }),
    );
    if (wrote || !this.programmed.has(SHARED)) this.programmed.set(SHARED, await liveFingerprint(this.runner, this.U, SHARED_TABLES));
    this.sharedDone = Math.max(this.sharedDone, upTo);
  }
  /** The text last written to each shared table (cleared at start, so a restart rewrites them). */
  readonly rendered = new Map<string, string>();
  /**
   * The fingerprint of the nft tables as last programmed, read back right after writing them:
   * `shared` for the underlay's, `router:<id>` for a router's. The self-repair compares it with
   * the live one to find a table flushed or deleted behind the driver's back.
   */
  readonly programmed = new Map<string, Fingerprint>();

  /** Records the fingerprint of router `id`'s table, just programmed. */
  async recordRouterTables(id: string): Promise<void> {
    this.programmed.set(`router:${id}`, await liveFingerprint(this.runner, this.routerNs(id), ROUTER_TABLES));
  }

  /**
   * Renders the shared tables from a desired state at least as new as the caller's (its change
   * counted in `sharedWanted` before this is called); callers queued behind one render share it.
   */
  async renderSharedSoon(): Promise<void> {
    const want = this.sharedWanted;
    await this.locked(async () => {
      if (this.sharedDone >= want) return;
      const target = this.sharedWanted;
      await this.renderShared();
      this.sharedDone = target;
    });
  }
  /** Count of desired-state changes to the shared tables, and how many of them are rendered. */
  sharedWanted = 0;
  sharedDone = 0;

  // ---- helpers --------------------------------------------------------------------------

  /**
   * After a namespace was removed behind our back, the kernel tears its devices (and so the
   * underlay ends of their veth pairs) down asynchronously: the stale ends may still be listed
   * for a moment and vanish mid-rebuild. Deletes them (ignoring "not found") and waits up to
   * 2 s until they are gone, so the rebuild starts from a settled underlay.
   */
  async settleGone(devices: string[]): Promise<void> {
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

  async links(ns: string): Promise<Map<string, LinkInfo>> {
    if (!ownsNamespace(this.U, ns) || !existsSync(netnsPath(ns))) return new Map();
    return new Map((await ipJson<LinkInfo>(this.runner, ns, ['link', 'show'])).map((l) => [l.ifname, l]));
  }
}

/** Administratively up (`ip link set … up`), whatever the carrier. */
export function isUp(l: LinkInfo): boolean {
  return l.flags?.includes('UP') ?? false;
}
