import { existsSync } from 'node:fs';
import { ipBatch, netnsPath, runAll, sysctl, type Cmd, type Runner } from './exec.js';
import type { Inventory } from './inventory.js';

/** The uplink's device inside the underlay (enslaved to the external network's bridge). */
export const UPLINK_DEV = 'uplink';
/** Metric of the root namespace's route over the uplink. */
export const UPLINK_METRIC = 100;
/** Metric of the `unreachable` guard route: higher, so it only wins when the uplink is gone. */
export const GUARD_METRIC = 4096;

export interface UnderlayOptions {
  /** The cloud prefix; also the underlay namespace's name (see names.ts). */
  prefix: string;
  /** No link at all to the root namespace (tests, CI). */
  isolated: boolean;
  /** Not isolated: the external range and the host's own address in it (e.g. 172.24.4.1). */
  uplink?: { cidr: string; hostAddress: string };
}

/** What already exists, so a plan for an adopted underlay only adds what is missing. */
export interface UnderlayFacts {
  netns: boolean;
  uplink: boolean;
}

/**
 * The commands that build the underlay (DESIGN.md §4), in order. Isolated: the namespace only,
 * with forwarding off and bridge netfilter on (security groups use it). Otherwise also one
 * veth to the root namespace that carries only the external range: the host side gets the
 * host's address without a prefix route, then one route for the range over the veth and an
 * `unreachable` route for the same range at a higher metric, so traffic for the range dies
 * rather than following the default route when the veth is gone. Nothing else is ever added
 * to the root namespace: no forwarding, no NAT.
 */
export function planUnderlay(o: UnderlayOptions, facts: UnderlayFacts = { netns: false, uplink: false }): Cmd[] {
  const ns = o.prefix;
  const cmds: Cmd[] = [];
  if (!facts.netns) cmds.push({ argv: ['ip', 'netns', 'add', ns] });
  cmds.push(ipBatch(ns, ['link set lo up']));
  cmds.push(sysctl(ns, 'net.ipv4.ip_forward', '0'));
  cmds.push(sysctl(ns, 'net.ipv6.conf.all.forwarding', '0'));
  // No IPv6 link-local chatter from the underlay's own bridges and legs onto tenant networks.
  cmds.push(sysctl(ns, 'net.ipv6.conf.default.disable_ipv6', '1'));
  cmds.push({ ...sysctl(ns, 'net.bridge.bridge-nf-call-iptables', '1'), mayFail: true });
  cmds.push({ ...sysctl(ns, 'net.bridge.bridge-nf-call-ip6tables', '1'), mayFail: true });
  if (o.isolated || facts.uplink) return cmds;
  const up = o.uplink;
  if (!up) throw new Error('a non-isolated underlay needs the external range and the host address in it');
  const len = up.cidr.split('/')[1];
  cmds.push({ argv: ['ip', 'link', 'add', ns, 'type', 'veth', 'peer', 'name', UPLINK_DEV, 'netns', ns] });
  cmds.push({ argv: ['ip', 'addr', 'add', `${up.hostAddress}/${len}`, 'dev', ns, 'noprefixroute'] });
  cmds.push({ argv: ['ip', 'link', 'set', ns, 'up'] });
  cmds.push({ argv: ['ip', 'route', 'add', up.cidr, 'dev', ns, 'metric', String(UPLINK_METRIC)] });
  cmds.push({ argv: ['ip', 'route', 'replace', 'unreachable', up.cidr, 'metric', String(GUARD_METRIC)] });
  cmds.push(ipBatch(ns, [`link set ${UPLINK_DEV} up`]));
  return cmds;
}

/**
 * The commands that remove the underlay's link to the root namespace (the guard route goes
 * last, so the range is never routed by default meanwhile) and then the namespace itself,
 * which takes every bridge and veth inside it along.
 */
export function planUnderlayTeardown(o: UnderlayOptions): Cmd[] {
  const cmds: Cmd[] = [];
  if (!o.isolated && o.uplink) {
    cmds.push({ argv: ['ip', 'link', 'del', o.prefix], mayFail: true });
    cmds.push({ argv: ['ip', 'route', 'del', 'unreachable', o.uplink.cidr, 'metric', String(GUARD_METRIC)], mayFail: true });
  }
  cmds.push({ argv: ['ip', 'netns', 'del', o.prefix], mayFail: true });
  return cmds;
}

/** The underlay namespace of one cloud: created or adopted at start, recorded in the inventory. */
export class Underlay {
  constructor(
    readonly options: UnderlayOptions,
    private readonly runner: Runner,
    private readonly inventory: Inventory,
  ) {}

  get name(): string {
    return this.options.prefix;
  }

  get isolated(): boolean {
    return this.options.isolated;
  }

  /** The uplink device inside the underlay, or null when isolated. */
  get uplinkDev(): string | null {
    return this.options.isolated ? null : UPLINK_DEV;
  }

  exists(): boolean {
    return existsSync(netnsPath(this.name));
  }

  /** Creates or adopts the underlay; idempotent. */
  async ensure(): Promise<void> {
    const facts = { netns: this.exists(), uplink: !this.options.isolated && existsSync(`/sys/class/net/${this.name}`) };
    this.inventory.record({ kind: 'netns', key: this.name, note: 'underlay' });
    if (!this.options.isolated && this.options.uplink) {
      this.inventory.record({ kind: 'link', key: this.name, note: 'uplink veth (root namespace side)' });
      this.inventory.record({ kind: 'route', key: `unreachable ${this.options.uplink.cidr} metric ${GUARD_METRIC}`, note: 'guard route' });
    }
    await runAll(this.runner, planUnderlay(this.options, facts));
  }
}
