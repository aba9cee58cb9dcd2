import type { DeleteOptions, GetOptions, KubeApi, ListOptions, PatchOptions, PatchType, WatchOptions, WriteOptions } from '../../api.js';
import { KubeError } from '../../errors.js';
import { findResource, type ResourceType } from '../../resources.js';
import type { KubeList, KubeObject, UserInfo, WatchEvent } from '../../types.js';
import { EVERYTHING, MASTERS, type RbacAuthorizer } from './authorizer.js';
import { RBAC_GROUP } from './policy.js';
import { review } from './reviews.js';
import { compactRules, compactString, covers, quoteList, rulesOf, type Attributes, type PolicyRule } from './rules.js';

/**
 * The API the HTTP handlers see when RBAC is on: the registry, plus
 * - the review kinds (authorization.k8s.io, authentication.k8s.io selfsubjectreviews) answered
 *   on create and never stored; any other verb on them is 405;
 * - escalation prevention on writes of Roles, ClusterRoles and bindings made for a user (as
 *   upstream): a role may only grant rules its writer holds (in the role's namespace, or
 *   cluster-wide for a ClusterRole) unless the writer may `escalate` it; a binding may only
 *   reference a role whose rules its writer holds (in the binding's namespace) unless the writer
 *   may `bind` it. An aggregationRule needs cluster-admin (or `escalate`). Patches are dry-run
 *   first to check the object they would produce. `system:masters` skips the checks.
 * Writes without a user (controllers, bootstrap) are not checked.
 */
export function guardApi(inner: KubeApi, rbac: RbacAuthorizer): KubeApi {
  const isReview = (r: ResourceType) => r.group === 'authorization.k8s.io' || (r.group === 'authentication.k8s.io' && r.resource === 'selfsubjectreviews');
  const isPolicy = (r: ResourceType) => r.group === RBAC_GROUP;
  const noVerb = (r: ResourceType): never => {
    throw KubeError.methodNotAllowed(`${r.resource}.${r.group} supports create (POST) only: the answer comes back in the created object's status and nothing is stored`);
  };

  async function checkWrite(res: ResourceType, namespace: string | undefined, o: KubeObject, user: UserInfo | undefined, old?: KubeObject): Promise<void> {
    if (!user || user.groups.includes(MASTERS)) return;
    const ns = res.namespaced ? (namespace ?? '') : '';
    const name = o.metadata.name ?? '';
    const may = (verb: string, resource: string, n: string) => {
      const a: Attributes = { user, verb, resourceRequest: true, path: '', apiGroup: RBAC_GROUP, apiVersion: 'v1', namespace: ns, resource, subresource: '', name: n };
      return rbac.authorize(a).allowed;
    };
    const refuse = (wanted: PolicyRule[], extra = '') => {
      const { ok, missing } = covers(rbac.heldRules(user, ns), wanted);
      if (ok) return;
      const lines = [...new Set(compactRules(missing).map(compactString))].sort();
      throw KubeError.forbidden(res, name, `user ${JSON.stringify(user.username)} (groups=${quoteList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}${extra}`);
    };
    if (res.resource === 'roles' || res.resource === 'clusterroles') {
      if (may('escalate', res.resource, name)) return;
      const aggregated = (x: KubeObject | undefined) => x?.aggregationRule !== undefined && x.aggregationRule !== null;
      if (res.resource === 'clusterroles' && (aggregated(o) || aggregated(old))) {
        if (!covers(rbac.heldRules(user, ''), EVERYTHING).ok) throw KubeError.forbidden(res, name, 'must have cluster-admin privileges to use the aggregationRule');
        return;
      }
      refuse(rulesOf(o));
      return;
    }
    const ref = (typeof o.roleRef === 'object' && o.roleRef !== null ? o.roleRef : {}) as Record<string, unknown>;
    const kind = ref.kind === 'Role' ? 'roles' : 'clusterroles';
    const roleName = typeof ref.name === 'string' ? ref.name : '';
    if (may('bind', kind, roleName)) return;
    const rules = rbac.index.roleRules({ kind: String(ref.kind ?? ''), name: roleName }, ns);
    if (typeof rules === 'string') throw KubeError.notFound(findResource(RBAC_GROUP, 'v1', kind)!, roleName);
    refuse(rules);
  }

  const api: KubeApi = {
    revision: () => inner.revision(),
    async get(res: ResourceType, ns: string | undefined, name: string, opts?: GetOptions) {
      if (isReview(res)) noVerb(res);
      return inner.get(res, ns, name, opts);
    },
    async list(res: ResourceType, ns: string | undefined, opts?: ListOptions): Promise<KubeList> {
      if (isReview(res)) noVerb(res);
      return inner.list(res, ns, opts);
    },
    async watch(res: ResourceType, ns: string | undefined, opts: WatchOptions, onEvent: (e: WatchEvent) => void) {
      if (isReview(res)) noVerb(res);
      return inner.watch(res, ns, opts, onEvent);
    },
    async create(res: ResourceType, ns: string | undefined, body: KubeObject, opts: WriteOptions = {}) {
      if (isReview(res)) {
        if (opts.subresource) noVerb(res);
        return review(rbac, res, ns, body, opts.user ?? { username: 'system:apiserver', groups: [MASTERS] });
      }
      if (isPolicy(res)) await checkWrite(res, ns, body, opts.user);
      return inner.create(res, ns, body, opts);
    },
    async update(res: ResourceType, ns: string | undefined, name: string, body: KubeObject, opts: WriteOptions = {}) {
      if (isReview(res)) noVerb(res);
      if (isPolicy(res) && opts.user) {
        const old = await inner.get(res, ns, name).catch(() => undefined);
        await checkWrite(res, ns, { ...body, metadata: { ...body.metadata, name } }, opts.user, old);
      }
      return inner.update(res, ns, name, body, opts);
    },
    async patch(res: ResourceType, ns: string | undefined, name: string, type: PatchType, patch: unknown, opts: PatchOptions = {}) {
      if (isReview(res)) noVerb(res);
      if (isPolicy(res) && opts.user && !opts.user.groups.includes(MASTERS)) {
        const old = await inner.get(res, ns, name).catch(() => undefined);
        const preview = await inner.patch(res, ns, name, type, patch, { ...opts, dryRun: true });
        await checkWrite(res, ns, preview, opts.user, old);
      }
      return inner.patch(res, ns, name, type, patch, opts);
    },
    async delete(res: ResourceType, ns: string | undefined, name: string, opts?: DeleteOptions) {
      if (isReview(res)) noVerb(res);
      return inner.delete(res, ns, name, opts);
    },
    async deleteCollection(res: ResourceType, ns: string | undefined, opts?: DeleteOptions & ListOptions) {
      if (isReview(res)) noVerb(res);
      return inner.deleteCollection(res, ns, opts);
    },
  };
  const readOnly = inner.listReadOnly?.bind(inner);
  if (readOnly) {
    api.listReadOnly = async (res, ns, opts) => {
      if (isReview(res)) noVerb(res);
      return readOnly(res, ns, opts);
    };
  }
  return api;
}
