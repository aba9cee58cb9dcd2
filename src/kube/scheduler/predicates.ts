import type { KubeObject } from '../types.js';

/**
 * Node predicates shared by the scheduler and the DaemonSet controller: taints against
 * tolerations, nodeSelector, required node affinity, and the Ready condition.
 */

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

type Json = Record<string, unknown>;

export function nodeTaints(node: KubeObject): Taint[] {
  const t = ((node.spec as Json | undefined) ?? {}).taints;
  return Array.isArray(t) ? (t as Taint[]) : [];
}

export function podTolerations(pod: KubeObject | Json): Toleration[] {
  const spec = ('metadata' in pod ? (pod as KubeObject).spec : (pod as Json).spec) as Json | undefined;
  const t = spec?.tolerations;
  return Array.isArray(t) ? (t as Toleration[]) : [];
}

/** A toleration matches a taint when effects agree (empty = all) and key/value match per operator. */
export function tolerates(tol: Toleration, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.operator === 'Exists') return !tol.key || tol.key === taint.key;
  if (!tol.key || tol.key !== taint.key) return false;
  return (tol.value ?? '') === (taint.value ?? '');
}

/** The first NoSchedule/NoExecute taint nothing in `tolerations` tolerates. */
export function untoleratedTaint(taints: Taint[], tolerations: Toleration[], effects = ['NoSchedule', 'NoExecute']): Taint | undefined {
  return taints.find((t) => effects.includes(t.effect) && !tolerations.some((tol) => tolerates(tol, t)));
}

export function isNodeReady(node: KubeObject): boolean {
  const conds = ((node.status as Json | undefined)?.conditions as { type: string; status: string }[] | undefined) ?? [];
  return conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1) return false;
      const a = Number(value);
      const b = Number(values[0]);
      if (!Number.isInteger(a) || !Number.isInteger(b)) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** A term matches when all its expressions (labels) and fields (`metadata.name`) match; an empty term matches nothing. */
export function termMatches(term: NodeSelectorTerm, node: KubeObject): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  return (
    exprs.every((r) => requirementMatches(r, labels[r.key])) &&
    fields.every((r) => requirementMatches(r, r.key === 'metadata.name' ? node.metadata.name : undefined))
  );
}

/** `spec.nodeSelector` and required node affinity (terms OR-ed) of a pod spec. */
export function matchesNodeSelection(podSpec: Json, node: KubeObject): boolean {
  const selector = (podSpec.nodeSelector as Record<string, string> | undefined) ?? {};
  const labels = node.metadata.labels ?? {};
  if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) return false;
  const required = ((((podSpec.affinity as Json | undefined)?.nodeAffinity as Json | undefined)?.requiredDuringSchedulingIgnoredDuringExecution as Json | undefined)?.nodeSelectorTerms ?? undefined) as
    | NodeSelectorTerm[]
    | undefined;
  if (!required) return true;
  return required.some((t) => termMatches(t, node));
}

/** How the scheduler prints a taint in "node(s) had untolerated taint {key: value}". */
export function formatTaint(t: Taint): string {
  return `{${t.key}: ${t.value ?? ''}}`;
}
