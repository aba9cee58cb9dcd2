import { KubeError, type InvalidCause } from '../../errors.js';
import type { ResourceType } from '../../resources.js';
import { labelSelectorFromObject } from '../../selectors.js';
import type { KubeObject } from '../../types.js';
import { RBAC_GROUP } from './policy.js';

/**
 * Defaults and validation of Roles, ClusterRoles, RoleBindings and ClusterRoleBindings, with
 * upstream's field paths and wording; 422 Invalid named `Role.rbac.authorization.k8s.io "x"`.
 * Defaults (applied to `o` in place): a User or Group subject's `apiGroup` is
 * rbac.authorization.k8s.io, a ServiceAccount's is ''.
 * Rules: every rule needs verbs; resource rules need apiGroups and resources; a Role cannot
 * name non-resource URLs; a rule cannot mix both. Bindings: `roleRef` (apiGroup
 * rbac.authorization.k8s.io, kind Role|ClusterRole — ClusterRole only for a
 * ClusterRoleBinding — and a name) is immutable; subjects are User, Group or ServiceAccount
 * with a name; a ServiceAccount subject of a ClusterRoleBinding needs a namespace (in a
 * RoleBinding it defaults to the binding's).
 * `prior` holds the causes found so far (metadata); the function throws when there are any.
 */
export function validateRbac(res: ResourceType, o: KubeObject, old: KubeObject | undefined, prior: InvalidCause[]): void {
  const causes = [...prior];
  const add = (field: string, message: string, reason: InvalidCause['reason'] = 'FieldValueInvalid') => causes.push({ field, message, reason });
  if (res.kind === 'Role' || res.kind === 'ClusterRole') rules(res, o, add);
  else binding(res, o, old, add);
  if (causes.length === 0) return;
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  const name = o.metadata.name ?? '';
  throw new KubeError(422, 'Invalid', `${res.kind}.${RBAC_GROUP} ${JSON.stringify(name)} is invalid: ${parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`}`, {
    name,
    group: RBAC_GROUP,
    kind: res.kind,
    causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })),
  });
}

type Add = (field: string, message: string, reason?: InvalidCause['reason']) => void;

const show = (v: unknown) => JSON.stringify(v) ?? 'null';

function stringList(v: unknown, field: string, add: Add): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    add(field, `Invalid value: ${show(v)}: must be a list of strings`);
    return [];
  }
  return v as string[];
}

function rules(res: ResourceType, o: KubeObject, add: Add): void {
  if (o.rules !== undefined && o.rules !== null && !Array.isArray(o.rules)) {
    add('rules', `Invalid value: ${show(o.rules)}: must be a list of PolicyRules`);
    return;
  }
  (Array.isArray(o.rules) ? o.rules : []).forEach((r: unknown, i) => {
    const p = `rules[${i}]`;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return add(p, `Invalid value: ${show(r)}: must be an object`);
    const rule = r as Record<string, unknown>;
    const verbs = stringList(rule.verbs, `${p}.verbs`, add);
    const groups = stringList(rule.apiGroups, `${p}.apiGroups`, add);
    const resources = stringList(rule.resources, `${p}.resources`, add);
    stringList(rule.resourceNames, `${p}.resourceNames`, add);
    const urls = stringList(rule.nonResourceURLs, `${p}.nonResourceURLs`, add);
    if (verbs.length === 0) add(`${p}.verbs`, 'Required value: verbs must contain at least one value', 'FieldValueRequired');
    if (urls.length > 0) {
      if (res.namespaced) add(`${p}.nonResourceURLs`, `Invalid value: ${show(urls)}: namespaced rules cannot apply to non-resource URLs`);
      else if (groups.length > 0 || resources.length > 0) add(`${p}.nonResourceURLs`, `Invalid value: ${show(urls)}: rules cannot apply to both regular resources and non-resource URLs`);
      return;
    }
    if (groups.length === 0) add(`${p}.apiGroups`, 'Required value: resource rules must supply at least one api group', 'FieldValueRequired');
    if (resources.length === 0) add(`${p}.resources`, 'Required value: resource rules must supply at least one resource', 'FieldValueRequired');
  });
  const agg = o.aggregationRule;
  if (agg === undefined || agg === null) return;
  if (res.kind !== 'ClusterRole' || typeof agg !== 'object' || Array.isArray(agg)) {
    add('aggregationRule', `Invalid value: ${show(agg)}: must be an object with clusterRoleSelectors`);
    return;
  }
  const sels = (agg as { clusterRoleSelectors?: unknown }).clusterRoleSelectors;
  if (!Array.isArray(sels) || sels.length === 0) {
    add('aggregationRule.clusterRoleSelectors', 'Required value', 'FieldValueRequired');
    return;
  }
  sels.forEach((s, i) => {
    try {
      if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new Error('must be a label selector');
      labelSelectorFromObject(s as never);
    } catch (e) {
      add(`aggregationRule.clusterRoleSelectors[${i}]`, `Invalid value: ${show(s)}: ${(e as Error).message}`);
    }
  });
}

function pathSegmentError(name: string): string | undefined {
  if (name === '.' || name === '..') return `may not be '${name}'`;
  if (name.includes('/') || name.includes('%')) return `may not contain '/' or '%'`;
  return undefined;
}

function binding(res: ResourceType, o: KubeObject, old: KubeObject | undefined, add: Add): void {
  const ref = o.roleRef;
  if (typeof ref !== 'object' || ref === null || Array.isArray(ref)) {
    add('roleRef', ref === undefined || ref === null ? 'Required value' : `Invalid value: ${show(ref)}: must be an object`, ref === undefined || ref === null ? 'FieldValueRequired' : 'FieldValueInvalid');
  } else {
    const r = ref as Record<string, unknown>;
    const kinds = res.kind === 'RoleBinding' ? ['Role', 'ClusterRole'] : ['ClusterRole'];
    if (r.apiGroup !== RBAC_GROUP) add('roleRef.apiGroup', `Unsupported value: ${show(r.apiGroup ?? '')}: supported values: "${RBAC_GROUP}"`, 'FieldValueNotSupported');
    if (!kinds.includes(String(r.kind))) add('roleRef.kind', `Unsupported value: ${show(r.kind ?? '')}: supported values: ${kinds.map((k) => `"${k}"`).join(', ')}`, 'FieldValueNotSupported');
    if (typeof r.name !== 'string' || r.name === '') add('roleRef.name', 'Required value', 'FieldValueRequired');
    else {
      const err = pathSegmentError(r.name);
      if (err) add('roleRef.name', `Invalid value: ${show(r.name)}: ${err}`);
    }
  }
  if (old && JSON.stringify(normalRef(old.roleRef)) !== JSON.stringify(normalRef(o.roleRef))) {
    add('roleRef', `Invalid value: ${show(o.roleRef)}: cannot change roleRef`);
  }
  const subjects = o.subjects;
  if (subjects !== undefined && subjects !== null && !Array.isArray(subjects)) {
    add('subjects', `Invalid value: ${show(subjects)}: must be a list of subjects`);
    return;
  }
  (Array.isArray(subjects) ? subjects : []).forEach((s: unknown, i) => {
    const p = `subjects[${i}]`;
    if (typeof s !== 'object' || s === null || Array.isArray(s)) return add(p, `Invalid value: ${show(s)}: must be an object`);
    const sub = s as Record<string, unknown>;
    if (typeof sub.name !== 'string' || sub.name === '') add(`${p}.name`, 'Required value', 'FieldValueRequired');
    switch (sub.kind) {
      case 'ServiceAccount':
        if (sub.apiGroup === undefined) sub.apiGroup = '';
        if (sub.apiGroup !== '') add(`${p}.apiGroup`, `Unsupported value: ${show(sub.apiGroup)}: supported values: ""`, 'FieldValueNotSupported');
        if (typeof sub.name === 'string' && sub.name !== '' && /[/%:]/.test(sub.name)) add(`${p}.name`, `Invalid value: ${show(sub.name)}: a service account name is a DNS-1123 subdomain`);
        if ((typeof sub.namespace !== 'string' || sub.namespace === '') && res.kind === 'ClusterRoleBinding') add(`${p}.namespace`, 'Required value', 'FieldValueRequired');
        break;
      case 'User':
      case 'Group':
        if (sub.apiGroup === undefined || sub.apiGroup === '') sub.apiGroup = RBAC_GROUP;
        if (sub.apiGroup !== RBAC_GROUP) add(`${p}.apiGroup`, `Unsupported value: ${show(sub.apiGroup)}: supported values: "${RBAC_GROUP}"`, 'FieldValueNotSupported');
        break;
      default:
        add(`${p}.kind`, `Unsupported value: ${show(sub.kind ?? '')}: supported values: "ServiceAccount", "User", "Group"`, 'FieldValueNotSupported');
    }
  });
}

function normalRef(ref: unknown): unknown {
  if (typeof ref !== 'object' || ref === null) return ref ?? null;
  const r = ref as Record<string, unknown>;
  return { apiGroup: r.apiGroup ?? '', kind: r.kind ?? '', name: r.name ?? '' };
}
