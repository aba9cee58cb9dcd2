import { existsSync } from 'node:fs';
import { ipJson, netnsPath, runAll, type Runner } from '../../dataplane/exec.js';
import type { Inventory } from '../../dataplane/inventory.js';
import { CLUSTER_DNS_IP, planPodNetns, podHostDev, podNetnsName, type NodePlan } from './plan.js';

/**
 * What a pod runtime needs from the pod network of its node (the CNI's role). The runtime
 * allocates the pod's address from the node's pod CIDR itself (`agent/ipam.ts`) and asks for
 * a namespace plugged with it; containers of the pod then join that namespace.
 *
 * Contract:
 * - `createPodNetns` is idempotent: a namespace that exists with `eth0` holding `ip` is
 *   returned as is (adoption after an agent restart); one in any other state is rebuilt.
 * - `deletePodNetns` of an absent pod resolves.
 * - Failures reject with an Error whose message names the failing command.
 */
export interface PodNetwork {
  /** The node's network namespace path (cni0 bridge, overlay, kube-proxy rules live there). */
  readonly nodeNetns: string;
  /** Creates the pod's netns (`/run/netns/<prefix>-p-<uid8>`): lo up, eth0 on the node's bridge with `ip`/prefix, default route via the bridge, MTU 1450. Idempotent. Returns the netns path. */
  createPodNetns(uid: string, ip: string): Promise<string>;
  deletePodNetns(uid: string): Promise<void>;
  /** resolv.conf contents for pods with dnsPolicy ClusterFirst. */
  readonly dns: { nameservers: string[]; searches(namespace: string): string[]; options: string[] };
}

/** The cluster DNS settings every pod gets (kubelet defaults: search path and ndots:5). */
export function clusterDnsConfig(domain = 'cluster.local', nameserver = CLUSTER_DNS_IP): PodNetwork['dns'] {
  return {
    nameservers: [nameserver],
    searches: (namespace) => [`${namespace}.svc.${domain}`, `svc.${domain}`, domain],
    options: ['ndots:5'],
  };
}

/** The pod network of one node of a cluster on the Linux data plane (`node-network.ts`). */
export class LinuxPodNetwork implements PodNetwork {
  readonly nodeNetns: string;
  readonly dns: PodNetwork['dns'];

  constructor(
    private readonly underlay: string,
    readonly node: NodePlan,
    private readonly runner: Runner,
    private readonly inventory: Inventory,
    dns: PodNetwork['dns'] = clusterDnsConfig(),
  ) {
    this.nodeNetns = netnsPath(node.netns);
    this.dns = dns;
  }

  /** The namespace name of pod `uid` (not the path). */
  netnsName(uid: string): string {
    return podNetnsName(this.underlay, uid);
  }

  async createPodNetns(uid: string, ip: string): Promise<string> {
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) throw new Error(`pod address ${JSON.stringify(ip)} is not an IPv4 address`);
    const ns = this.netnsName(uid);
    const path = netnsPath(ns);
    if (existsSync(path)) {
      const addrs = await ipJson<{ ifname: string; addr_info?: { local: string }[] }>(this.runner, ns, ['addr', 'show', 'dev', 'eth0']);
      const plugged = addrs.some((a) => a.addr_info?.some((i) => i.local === ip));
      const hostSide = await ipJson(this.runner, this.node.netns, ['link', 'show', 'dev', podHostDev(uid)]);
      if (plugged && hostSide.length) return path;
      await this.runner.run({ argv: ['ip', 'netns', 'del', ns], mayFail: true });
    }
    this.inventory.record({ kind: 'netns', key: ns, note: `pod ${uid} on ${this.node.name}` });
    // A stale node-side veth (pod namespace removed by hand) would block the name.
    await this.runner.run({ argv: ['ip', '-n', this.node.netns, 'link', 'del', podHostDev(uid)], mayFail: true });
    try {
      await this.runner.run({ argv: ['ip', 'netns', 'add', ns] });
      await runAll(this.runner, planPodNetns(this.node, ns, uid, ip));
    } catch (e) {
      await this.runner.run({ argv: ['ip', 'netns', 'del', ns], mayFail: true });
      this.inventory.forget('netns', ns);
      throw e;
    }
    return path;
  }

  async deletePodNetns(uid: string): Promise<void> {
    const ns = this.netnsName(uid);
    // Deleting the namespace takes the veth pair along (the node side too).
    if (existsSync(netnsPath(ns))) await this.runner.run({ argv: ['ip', 'netns', 'del', ns] });
    this.inventory.forget('netns', ns);
  }
}
