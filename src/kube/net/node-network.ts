import { existsSync } from 'node:fs';
import { netnsPath, runAll, type Runner } from '../../dataplane/exec.js';
import type { Inventory } from '../../dataplane/inventory.js';
import { nodePlan, planNode, planPeers, planUnderlayBridge, NODE_BRIDGE, type NodePlan } from './plan.js';

/**
 * The node network of one cluster: the node bridge in the underlay and one namespace per node
 * with its bridge, overlay and masquerade (see `plan.ts`). Every namespace is recorded in the
 * inventory before it is created (its links and nft tables die with it), so `stratus kube down` (and the next `kube up`) removes it
 * even after a `kill -9`.
 *
 * `ensure()` is idempotent: a node namespace that already exists is rebuilt from nothing
 * (namespace deleted and created again, which takes its links along), because its state after
 * a crash is unknown; pods of an adopted node keep their own namespaces and are re-plugged by
 * `PodNetwork.createPodNetns`.
 */
export class NodeNetwork {
  readonly nodes: NodePlan[];

  constructor(
    readonly underlay: string,
    nodeNames: string[],
    private readonly runner: Runner,
    private readonly inventory: Inventory,
  ) {
    this.nodes = nodeNames.map((name, i) => nodePlan(underlay, i + 1, name));
  }

  node(name: string): NodePlan {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name} in this cluster's node network`);
    return n;
  }

  async ensure(): Promise<void> {
    await runAll(this.runner, planUnderlayBridge(this.underlay, await this.linkExists(this.underlay, NODE_BRIDGE)));
    await Promise.all(this.nodes.map((n) => this.ensureNode(n)));
  }

  private async ensureNode(n: NodePlan): Promise<void> {
    this.inventory.record({ kind: 'netns', key: n.netns, note: `kube node ${n.name}` });
    if (existsSync(netnsPath(n.netns))) {
      await this.runner.run({ argv: ['ip', 'netns', 'del', n.netns], mayFail: true });
    }
    // The underlay end of a previous run's veth dies with the node namespace, but be sure.
    await this.runner.run({ argv: ['ip', '-n', this.underlay, 'link', 'del', n.uplinkDev], mayFail: true });
    await runAll(this.runner, planNode(this.underlay, n, this.nodes));
  }

  /** Re-programs one node's peers (after a node joined). */
  async refreshPeers(): Promise<void> {
    for (const n of this.nodes) await runAll(this.runner, planPeers(n, this.nodes));
  }

  /** Removes the node namespaces and the node bridge (the underlay itself is the caller's). */
  async teardown(): Promise<void> {
    for (const n of this.nodes) {
      await this.runner.run({ argv: ['ip', 'netns', 'del', n.netns], mayFail: true });
      this.inventory.forget('netns', n.netns);
    }
    await this.runner.run({ argv: ['ip', '-n', this.underlay, 'link', 'del', NODE_BRIDGE], mayFail: true });
  }

  private async linkExists(ns: string, dev: string): Promise<boolean> {
    const r = await this.runner.run({ argv: ['ip', '-n', ns, 'link', 'show', 'dev', dev], mayFail: true });
    return r.code === 0;
  }
}
