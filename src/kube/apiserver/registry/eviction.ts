import { KubeError } from '../../errors.js';
import { labelSelectorFromObject, matchesLabels } from '../../selectors.js';
import { copy, type Entry } from '../../store/store.js';
import { kubeTime, type KubeObject } from '../../types.js';
import { isObject, type Json } from './util.js';

/** Evictions a budget may record before the disruption controller confirms them (upstream's limit). */
const MAX_DISRUPTED_PODS = 2000;
export const BUDGET_VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";

/**
 * The disruption-budget check of `POST pods/<name>/eviction` (upstream's eviction REST):
 *
 * - pods that are Pending, finished or already being deleted are evicted without a budget;
 * - no budget selects the pod → evict; more than one → 500 (unsupported, as upstream);
 * - a pod that is not Ready is evicted without using the budget when the policy is AlwaysAllow,
 *   or (IfHealthyBudget, the default) when the budget currently has its desired healthy pods;
 * - otherwise the budget must be observed at its generation and allow a disruption: then
 *   `disruptionsAllowed` is decremented and the pod recorded in `disruptedPods`, else 429
 *   TooManyRequests with a DisruptionBudget cause saying why.
 *
 * Returns the budget's new version to write before deleting the pod (undefined: nothing to
 * write). Pure: `budgets` are the namespace's PodDisruptionBudget entries.
 */
export function budgetForEviction(pod: Readonly<KubeObject>, budgets: Entry[], now: number): { key: string; next: KubeObject } | undefined {
  const st = isObject(pod.status) ? pod.status : {};
  if (pod.metadata.deletionTimestamp || st.phase === 'Pending' || st.phase === 'Succeeded' || st.phase === 'Failed') return undefined;
  const matching = budgets.filter((e) => selects(e.obj, pod));
  if (matching.length === 0) return undefined;
  if (matching.length > 1) throw KubeError.internal('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  const entry = matching[0]!;
  const pdb = entry.obj;
  const spec = isObject(pdb.spec) ? pdb.spec : {};
  const ps = isObject(pdb.status) ? pdb.status : {};
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  if (!ready(st)) {
    if (spec.unhealthyPodEvictionPolicy === 'AlwaysAllow') return undefined;
    if (num(ps.currentHealthy) >= num(ps.desiredHealthy) && num(ps.desiredHealthy) > 0) return undefined;
  }
  const name = pdb.metadata.name ?? '';
  if (num(ps.observedGeneration) < (pdb.metadata.generation ?? 1)) throw tooMany(`The disruption budget ${name} is still being processed by the server.`);
  const allowed = num(ps.disruptionsAllowed);
  if (allowed < 0) throw new KubeError(403, 'Forbidden', `poddisruptionbudgets.policy "${name}" is forbidden: pdb disruptions allowed is negative`, { name, group: 'policy', kind: 'poddisruptionbudgets' });
  const disrupted = isObject(ps.disruptedPods) ? (ps.disruptedPods as Record<string, string>) : {};
  if (Object.keys(disrupted).length > MAX_DISRUPTED_PODS) {
    throw new KubeError(403, 'Forbidden', `poddisruptionbudgets.policy "${name}" is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller`, { name, group: 'policy', kind: 'poddisruptionbudgets' });
  }
  if (allowed === 0) throw tooMany(`The disruption budget ${name} needs ${num(ps.desiredHealthy)} healthy pods and has ${num(ps.currentHealthy)} currently`);
  const next = copy(entry);
  const ns = next.status as Json;
  ns.disruptionsAllowed = allowed - 1;
  ns.disruptedPods = { ...disrupted, [pod.metadata.name ?? '']: kubeTime(now) };
  if (allowed - 1 === 0 && Array.isArray(ns.conditions)) {
    ns.conditions = (ns.conditions as Json[]).map((c) => (c.type === 'DisruptionAllowed' ? { ...c, status: 'False', reason: 'InsufficientPods', message: '', lastTransitionTime: c.status === 'False' ? c.lastTransitionTime : kubeTime(now) } : c));
  }
  return { key: entry.key, next };
}

function tooMany(cause: string): KubeError {
  return new KubeError(429, 'TooManyRequests', BUDGET_VIOLATION, { causes: [{ reason: 'DisruptionBudget', message: cause }] });
}

function ready(st: Json): boolean {
  return Array.isArray(st.conditions) && st.conditions.some((c) => isObject(c) && c.type === 'Ready' && c.status === 'True');
}

/** policy/v1: a null selector selects nothing, an empty one every pod of the namespace. */
function selects(pdb: Readonly<KubeObject>, pod: Readonly<KubeObject>): boolean {
  const sel = isObject(pdb.spec) ? pdb.spec.selector : undefined;
  if (!isObject(sel) || pdb.metadata.namespace !== pod.metadata.namespace) return false;
  try {
    return matchesLabels(labelSelectorFromObject(sel as never), pod.metadata.labels);
  } catch {
    return false;
  }
}
