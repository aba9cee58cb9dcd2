import type { UserInfo } from '../../types.js';

/**
 * RBAC policy rules and request attributes, and the pure checks over them: does a rule allow
 * a request (the authorizer), and do a caller's rules cover a set of rules (escalation
 * prevention). Semantics as rbac.authorization.k8s.io/v1 documents them: `*` matches every
 * verb, group, resource or non-resource URL; `*\/sub` matches subresource `sub` of any resource;
 * a non-resource URL ending in `*` matches by prefix; empty `resourceNames` means every name.
 */

/** A PolicyRule as stored, every list present (empty when absent on the wire). */
export interface PolicyRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

/** What a request asks to do (the authorizer's view of it). */
export interface Attributes {
  user: UserInfo;
  verb: string;
  /** False for non-resource URLs (`/healthz`, `/api`, `/version`…). */
  resourceRequest: boolean;
  /** Non-resource requests: the URL path. */
  path: string;
  apiGroup: string;
  apiVersion: string;
  /** '' at the cluster scope. */
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

const WILD = '*';

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** A PolicyRule from JSON (defensive: anything malformed becomes empty lists). */
export function toRule(v: unknown): PolicyRule {
  const o = typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  return { verbs: strings(o.verbs), apiGroups: strings(o.apiGroups), resources: strings(o.resources), resourceNames: strings(o.resourceNames), nonResourceURLs: strings(o.nonResourceURLs) };
}

/** The rules of a Role or ClusterRole object. */
export function rulesOf(role: object | undefined): PolicyRule[] {
  const rules = (role as { rules?: unknown } | undefined)?.rules;
  return Array.isArray(rules) ? rules.map(toRule) : [];
}

function nonResourceURLMatches(ruleURL: string, path: string): boolean {
  if (ruleURL === WILD || ruleURL === path) return true;
  return ruleURL.endsWith(WILD) && path.startsWith(ruleURL.slice(0, -1));
}

/** Does `rule` allow the request `a`? */
export function ruleAllows(a: Attributes, rule: PolicyRule): boolean {
  if (!rule.verbs.includes(WILD) && !rule.verbs.includes(a.verb)) return false;
  if (!a.resourceRequest) return rule.nonResourceURLs.some((u) => nonResourceURLMatches(u, a.path));
  if (!rule.apiGroups.includes(WILD) && !rule.apiGroups.includes(a.apiGroup)) return false;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resourceOk = rule.resources.some((r) => r === WILD || r === combined || (a.subresource !== '' && r === `*/${a.subresource}`));
  if (!resourceOk) return false;
  return rule.resourceNames.length === 0 || rule.resourceNames.includes(a.name);
}

// ---------------------------------------------------------------------------------------------
// Coverage (escalation prevention)

/** Splits rules into atomic ones: one verb × group × resource (× name), or one verb × URL. */
export function breakdown(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const g of rule.apiGroups) {
    for (const r of rule.resources) {
      for (const v of rule.verbs) {
        if (rule.resourceNames.length === 0) out.push({ verbs: [v], apiGroups: [g], resources: [r], resourceNames: [], nonResourceURLs: [] });
        else for (const n of rule.resourceNames) out.push({ verbs: [v], apiGroups: [g], resources: [r], resourceNames: [n], nonResourceURLs: [] });
      }
    }
  }
  for (const u of rule.nonResourceURLs) for (const v of rule.verbs) out.push({ verbs: [v], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: [u] });
  return out;
}

const hasAll = (set: string[], want: string[]) => want.every((w) => set.includes(w));

function resourcesCover(owner: string[], want: string[]): boolean {
  if (owner.includes(WILD)) return true;
  return want.every((w) => owner.includes(w) || (w.includes('/') && owner.includes(`*/${w.split('/').slice(1).join('/')}`)));
}

function urlsCover(owner: string[], want: string[]): boolean {
  return want.every((w) => owner.some((o) => o === w || o === WILD || (o.endsWith(WILD) && w.startsWith(o.slice(0, -1)))));
}

function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = owner.verbs.includes(WILD) || hasAll(owner.verbs, sub.verbs);
  const groups = owner.apiGroups.includes(WILD) || hasAll(owner.apiGroups, sub.apiGroups);
  const names = sub.resourceNames.length === 0 ? owner.resourceNames.length === 0 : owner.resourceNames.length === 0 || hasAll(owner.resourceNames, sub.resourceNames);
  return verbs && groups && resourcesCover(owner.resources, sub.resources) && names && urlsCover(owner.nonResourceURLs, sub.nonResourceURLs);
}

/** Whether `owner` rules cover every rule of `wanted`; the atomic rules that are missing. */
export function covers(owner: PolicyRule[], wanted: PolicyRule[]): { ok: boolean; missing: PolicyRule[] } {
  const missing: PolicyRule[] = [];
  for (const w of wanted) for (const atom of breakdown(w)) if (!owner.some((o) => ruleCovers(o, atom))) missing.push(atom);
  return { ok: missing.length === 0, missing };
}

/** Merges atomic resource rules that differ only by verb (as the escalation message lists them). */
export function compactRules(rules: PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const r of rules) {
    if (r.apiGroups.length === 1 && r.resources.length === 1 && r.resourceNames.length === 0 && r.nonResourceURLs.length === 0) {
      const key = `${r.apiGroups[0]}\0${r.resources[0]}`;
      const hit = simple.get(key);
      if (hit) {
        for (const v of r.verbs) if (!hit.verbs.includes(v)) hit.verbs.push(v);
        continue;
      }
      const copy = { ...r, verbs: [...r.verbs] };
      simple.set(key, copy);
      out.push(copy);
    } else out.push(r);
  }
  return out;
}

/** Go's `%q` of a string slice: `["a" "b"]`. */
export function quoteList(xs: string[]): string {
  return `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;
}

/** `{APIGroups:["apps"], Resources:["deployments"], Verbs:["get" "list"]}`. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups.length) parts.push(`APIGroups:${quoteList(r.apiGroups)}`);
  if (r.resources.length) parts.push(`Resources:${quoteList(r.resources)}`);
  if (r.nonResourceURLs.length) parts.push(`NonResourceURLs:${quoteList(r.nonResourceURLs)}`);
  if (r.resourceNames.length) parts.push(`ResourceNames:${quoteList(r.resourceNames)}`);
  if (r.verbs.length) parts.push(`Verbs:${quoteList(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

// ---------------------------------------------------------------------------------------------
// Messages

/**
 * The reason part of a 403, upstream's wording:
 * `User "u" cannot list resource "pods" in API group "" in the namespace "default"`,
 * `… at the cluster scope`, `User "u" cannot get path "/metrics"`.
 */
export function forbiddenReason(a: Attributes): string {
  const who = `User ${JSON.stringify(a.user.username)}`;
  if (!a.resourceRequest) return `${who} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const where = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
  return `${who} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)} ${where}`;
}
