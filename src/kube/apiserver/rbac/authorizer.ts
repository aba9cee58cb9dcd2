import type { KubeApi, Watch } from '../../api.js';
import { findResource } from '../../resources.js';
import type { KubeObject, UserInfo } from '../../types.js';
import { PolicyIndex, RBAC_GROUP, type PolicyKind } from './policy.js';
import type { Attributes, PolicyRule } from './rules.js';

/**
 * The authorizer: a union, in order, of
 * 1. the privileged group `system:masters` (always allowed, as kube-apiserver's superuser group);
 * 2. the node group `system:nodes`, allowed everything: a simplification of the Node
 *    authorizer, which upstream limits a kubelet to its own node, pods, secrets and leases;
 * 3. RBAC over the Roles, ClusterRoles and bindings held in memory by a list+watch of the four
 *    kinds (`start` resolves once all four are listed). Every change drops the resolved-rule
 *    cache at once (the watch delivers in the microtask after the write).
 * Decisions are allow or no-opinion (RBAC never denies explicitly).
 */

export interface Decision {
  allowed: boolean;
  /** `RBAC: allowed by …`, or the resolution errors of a refusal ('' when none). */
  reason: string;
}

export const MASTERS = 'system:masters';
export const NODES = 'system:nodes';

const KINDS: PolicyKind[] = ['clusterroles', 'roles', 'clusterrolebindings', 'rolebindings'];
/** The rules of cluster-admin: every verb on every resource and every non-resource URL. */
export const EVERYTHING: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'], resourceNames: [], nonResourceURLs: [] },
  { verbs: ['*'], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: ['*'] },
];

export class RbacAuthorizer {
  readonly index = new PolicyIndex();
  private readonly watches: Watch[] = [];
  private stopped = false;

  constructor(
    private readonly api: KubeApi,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Lists and watches the four RBAC kinds; resolves when the index holds them all. */
  async start(): Promise<void> {
    await Promise.all(KINDS.map((k) => this.follow(k)));
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watches.splice(0)) w.stop();
  }

  private async follow(kind: PolicyKind): Promise<void> {
    const res = findResource(RBAC_GROUP, 'v1', kind)!;
    const list = await this.api.list(res, undefined);
    const seen = new Set<string>();
    for (const o of list.items) {
      this.index.put(kind, o);
      seen.add(PolicyIndex.key(o));
    }
    for (const o of [...this.index.all(kind)]) if (!seen.has(PolicyIndex.key(o))) this.index.remove(kind, o);
    const w = await this.api.watch(res, undefined, { resourceVersion: list.metadata.resourceVersion }, (ev) => {
      if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.index.put(kind, ev.object as KubeObject);
      else if (ev.type === 'DELETED') this.index.remove(kind, ev.object as KubeObject);
    });
    this.watches.push(w);
    void w.done.then(() => {
      const i = this.watches.indexOf(w);
      if (i >= 0) this.watches.splice(i, 1);
      if (this.stopped) return;
      // The watch ended under us (history expired, server closing): list and follow again.
      this.follow(kind).catch((e: Error) => this.log(`rbac: re-watching ${kind} failed: ${e.message}`));
    });
  }

  /** The decision for one request. */
  authorize(a: Attributes): Decision {
    const groups = a.user.groups;
    if (groups.includes(MASTERS) || groups.includes(NODES)) return { allowed: true, reason: '' };
    return this.index.decide(a);
  }

  /** The rules `user` holds in `namespace` (SelfSubjectRulesReview). */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const resolved = this.index.rulesFor(user, namespace);
    const rules = resolved.rules.map((h) => h.rule);
    if (user.groups.includes(MASTERS) || user.groups.includes(NODES)) rules.unshift(...EVERYTHING);
    return { rules, errors: resolved.errors };
  }

  /** Every rule a user holds in a namespace, privileged groups included (escalation checks). */
  heldRules(user: UserInfo, namespace: string): PolicyRule[] {
    return this.rulesFor(user, namespace).rules;
  }
}
