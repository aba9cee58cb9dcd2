import type { KubeObject, UserInfo } from '../../types.js';
import { ruleAllows, rulesOf, type Attributes, type PolicyRule } from './rules.js';

/**
 * The RBAC objects held in memory, and rule resolution over them: which rules apply to a user
 * in a namespace (every ClusterRoleBinding, plus the RoleBindings of that namespace, whose
 * subjects match the user), each with the binding it came from. Resolved rule sets are cached
 * per (user, groups, namespace) and the cache is dropped on any change, so an authorized
 * request costs one map lookup and a scan of the user's rules.
 */

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

/** One rule the user holds, and where it comes from (for the "allowed by" reason). */
export interface HeldRule {
  rule: PolicyRule;
  /** `ClusterRoleBinding "x" of ClusterRole "y" to Group "z"`. */
  source: string;
}

export interface ResolvedRules {
  rules: HeldRule[];
  /** Bindings whose role is missing: `clusterrole.rbac.authorization.k8s.io "x" not found`. */
  errors: string[];
}

export type PolicyKind = 'roles' | 'clusterroles' | 'rolebindings' | 'clusterrolebindings';

const SA_PREFIX = 'system:serviceaccount:';

function subjectsOf(binding: KubeObject): Subject[] {
  const list = Array.isArray(binding.subjects) ? binding.subjects : [];
  return list.filter((s): s is Subject => typeof s === 'object' && s !== null && typeof (s as Subject).kind === 'string' && typeof (s as Subject).name === 'string');
}

function roleRefOf(binding: KubeObject): { kind: string; name: string } {
  const r = (typeof binding.roleRef === 'object' && binding.roleRef !== null ? binding.roleRef : {}) as Record<string, unknown>;
  return { kind: typeof r.kind === 'string' ? r.kind : '', name: typeof r.name === 'string' ? r.name : '' };
}

/** Does a binding subject name this user? (ServiceAccount subjects default to the binding's namespace.) */
export function appliesTo(s: Subject, user: UserInfo, bindingNamespace: string): boolean {
  switch (s.kind) {
    case 'User':
      return user.username === s.name;
    case 'Group':
      return user.groups.includes(s.name);
    case 'ServiceAccount': {
      if (!user.username.startsWith(SA_PREFIX)) return false;
      const ns = s.namespace || bindingNamespace;
      return ns !== '' && user.username === `${SA_PREFIX}${ns}:${s.name}`;
    }
    default:
      return false;
  }
}

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `ServiceAccount ${JSON.stringify(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

export class PolicyIndex {
  private readonly objects: Record<PolicyKind, Map<string, KubeObject>> = { roles: new Map(), clusterroles: new Map(), rolebindings: new Map(), clusterrolebindings: new Map() };
  /** RoleBindings by namespace (a second view of `objects.rolebindings`). */
  private readonly bindingsByNs = new Map<string, Map<string, KubeObject>>();
  private readonly cache = new Map<string, ResolvedRules>();
  private gen = 0;

  /** Bumped on every change; callers caching derived data compare it. */
  get generation(): number {
    return this.gen;
  }

  static key(o: KubeObject): string {
    return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name ?? ''}` : (o.metadata.name ?? '');
  }

  put(kind: PolicyKind, o: KubeObject): void {
    this.objects[kind].set(PolicyIndex.key(o), o);
    if (kind === 'rolebindings') {
      const ns = o.metadata.namespace ?? '';
      let m = this.bindingsByNs.get(ns);
      if (!m) this.bindingsByNs.set(ns, (m = new Map()));
      m.set(o.metadata.name ?? '', o);
    }
    this.changed();
  }

  remove(kind: PolicyKind, o: KubeObject): void {
    this.objects[kind].delete(PolicyIndex.key(o));
    if (kind === 'rolebindings') this.bindingsByNs.get(o.metadata.namespace ?? '')?.delete(o.metadata.name ?? '');
    this.changed();
  }

  private changed(): void {
    this.gen++;
    this.cache.clear();
  }

  get(kind: PolicyKind, key: string): KubeObject | undefined {
    return this.objects[kind].get(key);
  }

  all(kind: PolicyKind): IterableIterator<KubeObject> {
    return this.objects[kind].values();
  }

  /** The rules of a binding's roleRef, or the "not found" error text. */
  roleRules(roleRef: { kind: string; name: string }, bindingNamespace: string): PolicyRule[] | string {
    if (roleRef.kind === 'ClusterRole') {
      const r = this.objects.clusterroles.get(roleRef.name);
      return r ? rulesOf(r) : `clusterrole.${RBAC_GROUP} ${JSON.stringify(roleRef.name)} not found`;
    }
    if (roleRef.kind === 'Role' && bindingNamespace) {
      const r = this.objects.roles.get(`${bindingNamespace}/${roleRef.name}`);
      return r ? rulesOf(r) : `role.${RBAC_GROUP} ${JSON.stringify(roleRef.name)} not found`;
    }
    return `unknown roleRef kind ${JSON.stringify(roleRef.kind)}`;
  }

  /** Every rule `user` holds in `namespace` ('' = cluster-wide rules only). Cached. */
  rulesFor(user: UserInfo, namespace: string): ResolvedRules {
    const key = `${user.username}\n${user.groups.join('\n')}\n\n${namespace}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const out: ResolvedRules = { rules: [], errors: [] };
    const add = (binding: KubeObject, kind: 'ClusterRoleBinding' | 'RoleBinding', bindingNs: string) => {
      const subject = subjectsOf(binding).find((s) => appliesTo(s, user, bindingNs));
      if (!subject) return;
      const ref = roleRefOf(binding);
      const rules = this.roleRules(ref, bindingNs);
      if (typeof rules === 'string') {
        out.errors.push(rules);
        return;
      }
      const name = bindingNs ? `${binding.metadata.name ?? ''}/${bindingNs}` : (binding.metadata.name ?? '');
      const source = `${kind} ${JSON.stringify(name)} of ${ref.kind} ${JSON.stringify(ref.name)} to ${describeSubject(subject, bindingNs)}`;
      for (const rule of rules) out.rules.push({ rule, source });
    };
    for (const b of this.objects.clusterrolebindings.values()) add(b, 'ClusterRoleBinding', '');
    if (namespace) for (const b of this.bindingsByNs.get(namespace)?.values() ?? []) add(b, 'RoleBinding', namespace);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, out);
    return out;
  }

  /** The RBAC decision: allowed with the granting binding, or not with the resolution errors. */
  decide(a: Attributes): { allowed: boolean; reason: string } {
    const resolved = this.rulesFor(a.user, a.namespace);
    for (const held of resolved.rules) if (ruleAllows(a, held.rule)) return { allowed: true, reason: `RBAC: allowed by ${held.source}` };
    const errs = resolved.errors;
    return { allowed: false, reason: errs.length === 0 ? '' : `RBAC: ${errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`}` };
  }
}
