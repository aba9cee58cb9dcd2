import type { KubeObject } from '../types.js';
import { canonical, num, spec, status, type Json } from './objects.js';

/** Pure arithmetic of Deployment rollouts (upstream `deployment/util`), kept apart for unit tests. */

export const REVISION = 'deployment.kubernetes.io/revision';
export const DESIRED = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const HASH_LABEL = 'pod-template-hash';

/**
 * An IntOrString against `total`: integers as is, "N%" scaled and rounded up or down.
 * Malformed values count as 0 (validation is the registry's job).
 */
export function intOrPercent(v: unknown, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return Math.max(0, Math.trunc(v));
  if (typeof v === 'string') {
    const m = /^(\d+)%$/.exec(v.trim());
    if (m) {
      const x = (Number(m[1]) * total) / 100;
      return roundUp ? Math.ceil(x) : Math.floor(x);
    }
    if (/^\d+$/.test(v.trim())) return Number(v.trim());
  }
  return 0;
}

export function replicasOf(d: KubeObject): number {
  return num(spec(d).replicas, 1);
}

export function isRollingUpdate(d: KubeObject): boolean {
  const strategy = (spec(d).strategy as Json | undefined) ?? {};
  return strategy.type !== 'Recreate';
}

/** maxSurge (rounded up) and maxUnavailable (rounded down); both 0 → maxUnavailable 1. */
export function surgeAndUnavailable(d: KubeObject): { maxSurge: number; maxUnavailable: number } {
  if (!isRollingUpdate(d)) return { maxSurge: 0, maxUnavailable: 0 };
  const ru = (((spec(d).strategy as Json | undefined) ?? {}).rollingUpdate as Json | undefined) ?? {};
  const replicas = replicasOf(d);
  const maxSurge = intOrPercent(ru.maxSurge ?? '25%', replicas, true);
  let maxUnavailable = intOrPercent(ru.maxUnavailable ?? '25%', replicas, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}

export function rsReplicas(rs: KubeObject): number {
  return num(spec(rs).replicas, 1);
}

export function rsAvailable(rs: KubeObject): number {
  return num(status(rs).availableReplicas, 0);
}

export function revisionOf(obj: KubeObject): number {
  const n = Number(obj.metadata.annotations?.[REVISION] ?? '0');
  return Number.isFinite(n) ? n : 0;
}

/** The pod template without `pod-template-hash`: what "the same template" means for a Deployment. */
export function templateWithoutHash(template: unknown): Json {
  const t = structuredClone((template as Json | undefined) ?? {});
  const meta = (t.metadata as Json | undefined) ?? {};
  const labels = { ...((meta.labels as Record<string, string> | undefined) ?? {}) };
  delete labels[HASH_LABEL];
  t.metadata = { ...meta, labels };
  if (Object.keys(labels).length === 0) delete (t.metadata as Json).labels;
  if (Object.keys(t.metadata as Json).length === 0) delete t.metadata;
  return t;
}

export function sameTemplate(a: unknown, b: unknown): boolean {
  return canonical(templateWithoutHash(a)) === canonical(templateWithoutHash(b));
}

/**
 * Replicas the new ReplicaSet should have in a rolling update: grow while the sum of all
 * ReplicaSets' replicas stays within replicas + maxSurge, never past `replicas`.
 */
export function newRSReplicas(d: KubeObject, all: KubeObject[], newRS: KubeObject | undefined): number {
  const replicas = replicasOf(d);
  const current = newRS ? rsReplicas(newRS) : 0;
  if (!isRollingUpdate(d)) return replicas;
  if (current >= replicas) return replicas;
  const { maxSurge } = surgeAndUnavailable(d);
  const total = all.reduce((s, rs) => s + rsReplicas(rs), 0);
  const room = replicas + maxSurge - total;
  if (room <= 0) return current;
  return current + Math.min(room, replicas - current);
}

/**
 * How far old ReplicaSets may shrink now: keep `replicas - maxUnavailable` available, counting
 * the new ReplicaSet's pods that are not available yet as a loss.
 */
export function oldScaleDownBudget(d: KubeObject, all: KubeObject[], newRS: KubeObject | undefined): number {
  const replicas = replicasOf(d);
  const { maxUnavailable } = surgeAndUnavailable(d);
  const minAvailable = replicas - maxUnavailable;
  const total = all.reduce((s, rs) => s + rsReplicas(rs), 0);
  const newUnavailable = newRS ? Math.max(0, rsReplicas(newRS) - rsAvailable(newRS)) : 0;
  return total - minAvailable - newUnavailable;
}

/** Old ReplicaSets' target sizes after spending `budget` on unavailable pods first, then available ones. */
export function planOldScaleDown(d: KubeObject, olds: KubeObject[], all: KubeObject[], budget: number): Map<KubeObject, number> {
  const plan = new Map<KubeObject, number>();
  const size = (rs: KubeObject) => plan.get(rs) ?? rsReplicas(rs);
  const oldestFirst = [...olds].sort(byCreation);
  // 1. Unhealthy replicas: they cost no availability.
  let left = budget;
  for (const rs of oldestFirst) {
    if (left <= 0) break;
    const unhealthy = Math.max(0, rsReplicas(rs) - rsAvailable(rs));
    const cut = Math.min(unhealthy, left);
    if (cut > 0) {
      plan.set(rs, rsReplicas(rs) - cut);
      left -= cut;
    }
  }
  // 2. Available replicas, as long as the total available stays ≥ replicas - maxUnavailable.
  const { maxUnavailable } = surgeAndUnavailable(d);
  const minAvailable = replicasOf(d) - maxUnavailable;
  const available = all.reduce((s, rs) => s + Math.min(rsAvailable(rs), size(rs)), 0);
  let removable = available - minAvailable;
  for (const rs of oldestFirst) {
    if (removable <= 0) break;
    const cut = Math.min(size(rs), removable);
    if (cut > 0) {
      plan.set(rs, size(rs) - cut);
      removable -= cut;
    }
  }
  return plan;
}

export function byCreation(a: KubeObject, b: KubeObject): number {
  const ca = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const cb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ca !== cb) return ca - cb;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
}

/**
 * Proportional scaling when `replicas` changes while several ReplicaSets are active: the
 * allowed total (replicas + maxSurge) minus the current total is spread over the active
 * ReplicaSets in proportion to their size, the remainder going to the largest (newest on ties).
 */
export function proportionalSizes(d: KubeObject, active: KubeObject[], newRS: KubeObject | undefined): Map<KubeObject, number> {
  const out = new Map<KubeObject, number>();
  const { maxSurge } = surgeAndUnavailable(d);
  const allowed = replicasOf(d) + maxSurge;
  const total = active.reduce((s, rs) => s + rsReplicas(rs), 0);
  const delta = allowed - total;
  if (delta === 0 || total === 0) return out;
  const order = [...active].sort((a, b) => {
    const diff = rsReplicas(b) - rsReplicas(a);
    if (diff) return diff;
    if (a === newRS) return -1;
    if (b === newRS) return 1;
    return -byCreation(a, b);
  });
  let spent = 0;
  for (const rs of order) {
    const share = delta > 0 ? Math.floor((rsReplicas(rs) * delta) / total) : Math.ceil((rsReplicas(rs) * delta) / total);
    const bounded = Math.max(share, -rsReplicas(rs));
    out.set(rs, rsReplicas(rs) + bounded);
    spent += bounded;
  }
  let rest = delta - spent;
  for (const rs of order) {
    if (rest === 0) break;
    const cur = out.get(rs)!;
    const step = rest > 0 ? rest : Math.max(rest, -cur);
    out.set(rs, cur + step);
    rest -= step;
  }
  return out;
}
