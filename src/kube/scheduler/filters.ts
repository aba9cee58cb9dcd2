import { labelSelectorFromObject, matchesLabels } from '../selectors.js';
import type { KubeObject } from '../types.js';
import { formatTaint, isNodeReady, matchesNodeSelection, nodeTaints, podTolerations, untoleratedTaint } from './predicates.js';
import { podRequests, toResourceList, type ResourceList } from './quantity.js';

type Json = Record<string, unknown>;

/** What the filters see: nodes, and the pods on each (bound or assumed), with their requests. */
export interface Snapshot {
  nodes: KubeObject[];
  podsByNode: Map<string, { pod: KubeObject; requests: ResourceList }[]>;
  /** Namespace labels, for namespaceSelector in pod affinity terms. */
  namespaceLabels: Map<string, Record<string, string>>;
}

/**
 * Runs the filter plugins in upstream order on one node and returns the reasons it cannot take
 * the pod ([] = fits). Like upstream, the first failing plugin decides; NodeResourcesFit reports
 * every insufficient resource.
 */
export function filterNode(pod: KubeObject, node: KubeObject, snap: Snapshot): string[] {
  const podSpec = (pod.spec as Json | undefined) ?? {};
  const tolerations = podTolerations(pod);
  if (!isNodeReady(node) && !nodeTaints(node).some((t) => t.key === 'node.kubernetes.io/not-ready' || t.key === 'node.kubernetes.io/unreachable')) {
    return ['node(s) were not ready'];
  }
  const nodeSpec = (node.spec as Json | undefined) ?? {};
  if (nodeSpec.unschedulable && !tolerations.some((t) => (t.key === 'node.kubernetes.io/unschedulable' || (!t.key && t.operator === 'Exists')) && (!t.effect || t.effect === 'NoSchedule'))) {
    return ['node(s) were unschedulable'];
  }
  const taint = untoleratedTaint(nodeTaints(node), tolerations);
  if (taint) return [`node(s) had untolerated taint ${formatTaint(taint)}`];
  if (!matchesNodeSelection(podSpec, node)) return ["node(s) didn't match Pod's node affinity/selector"];
  if (!hostPortsFree(pod, snap.podsByNode.get(node.metadata.name!) ?? [])) return ["node(s) didn't have free ports for the requested pod ports"];
  const fit = insufficient(pod, node, snap);
  if (fit.length) return fit;
  const spread = spreadFails(pod, node, snap);
  if (spread) return [spread];
  const affinity = affinityFails(pod, node, snap);
  if (affinity) return [affinity];
  return [];
}

function insufficient(pod: KubeObject, node: KubeObject, snap: Snapshot): string[] {
  const status = (node.status as Json | undefined) ?? {};
  const alloc = toResourceList(status.allocatable ?? status.capacity);
  const want = podRequests(pod);
  const used: ResourceList = {};
  for (const { requests } of snap.podsByNode.get(node.metadata.name!) ?? []) for (const [k, v] of Object.entries(requests)) used[k] = (used[k] ?? 0) + v;
  const out: string[] = [];
  const podsCap = alloc.pods ?? 110;
  if ((used.pods ?? 0) + 1 > podsCap) out.push('Too many pods');
  for (const [k, v] of Object.entries(want)) {
    if (k === 'pods' || v <= 0) continue;
    const cap = alloc[k] ?? (k === 'cpu' || k === 'memory' || k === 'ephemeral-storage' ? undefined : 0);
    if (cap === undefined) continue; // A node that doesn't report cpu/memory isn't limited by them.
    if ((used[k] ?? 0) + v > cap) out.push(`Insufficient ${k}`);
  }
  return out;
}

function hostPortsFree(pod: KubeObject, onNode: { pod: KubeObject }[]): boolean {
  const ports = (p: KubeObject) =>
    (((p.spec as Json | undefined)?.containers as Json[] | undefined) ?? [])
      .flatMap((c) => (c.ports as Json[] | undefined) ?? [])
      .filter((cp) => typeof cp.hostPort === 'number' && cp.hostPort > 0)
      .map((cp) => `${cp.protocol ?? 'TCP'}/${cp.hostIP ?? '0.0.0.0'}/${cp.hostPort}`);
  const want = ports(pod);
  if (want.length === 0) return true;
  const used = new Set(onNode.flatMap((e) => ports(e.pod)));
  return !want.some((w) => {
    const [proto, ip, port] = w.split('/');
    return used.has(w) || (ip === '0.0.0.0' ? [...used].some((u) => u.startsWith(`${proto}/`) && u.endsWith(`/${port}`)) : used.has(`${proto}/0.0.0.0/${port}`));
  });
}

// --- topology spread -----------------------------------------------------------------------------

interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: string;
  labelSelector?: Json;
  minDomains?: number;
  nodeAffinityPolicy?: string;
  matchLabelKeys?: string[];
}

function spreadFails(pod: KubeObject, node: KubeObject, snap: Snapshot): string | undefined {
  const podSpec = (pod.spec as Json | undefined) ?? {};
  const constraints = ((podSpec.topologySpreadConstraints as SpreadConstraint[] | undefined) ?? []).filter((c) => c.whenUnsatisfiable === 'DoNotSchedule');
  if (constraints.length === 0) return undefined;
  const labels = node.metadata.labels ?? {};
  if (constraints.some((c) => labels[c.topologyKey] === undefined)) return "node(s) didn't match pod topology spread constraints (missing required label)";
  for (const c of constraints) {
    const sel = selectorWithKeys(c.labelSelector, c.matchLabelKeys, pod);
    if (!sel) continue;
    const eligible = snap.nodes.filter(
      (n) => constraints.every((k) => n.metadata.labels?.[k.topologyKey] !== undefined) && (c.nodeAffinityPolicy === 'Ignore' || matchesNodeSelection(podSpec, n)),
    );
    const counts = new Map<string, number>();
    for (const n of eligible) {
      const domain = n.metadata.labels![c.topologyKey]!;
      const here = (snap.podsByNode.get(n.metadata.name!) ?? []).filter(
        (e) => e.pod.metadata.namespace === pod.metadata.namespace && !e.pod.metadata.deletionTimestamp && matchesLabels(sel, e.pod.metadata.labels),
      ).length;
      counts.set(domain, (counts.get(domain) ?? 0) + here);
    }
    let min = counts.size ? Math.min(...counts.values()) : 0;
    if (typeof c.minDomains === 'number' && counts.size < c.minDomains) min = 0;
    const self = matchesLabels(sel, pod.metadata.labels) ? 1 : 0;
    const skew = (counts.get(labels[c.topologyKey]!) ?? 0) + self - min;
    if (skew > (c.maxSkew ?? 1)) return "node(s) didn't match pod topology spread constraints";
  }
  return undefined;
}

function selectorWithKeys(sel: Json | undefined, keys: string[] | undefined, pod: KubeObject): ReturnType<typeof labelSelectorFromObject> | undefined {
  if (!sel) return undefined;
  try {
    const s = labelSelectorFromObject(sel as Parameters<typeof labelSelectorFromObject>[0]);
    for (const k of keys ?? []) {
      const v = pod.metadata.labels?.[k];
      if (v !== undefined) s.requirements.push({ key: k, operator: 'Equals', values: [v] });
    }
    return s;
  } catch {
    return undefined;
  }
}

// --- inter-pod affinity ----------------------------------------------------------------------------

interface AffinityTerm {
  labelSelector?: Json;
  namespaces?: string[];
  namespaceSelector?: Json;
  topologyKey: string;
  matchLabelKeys?: string[];
}

function requiredTerms(pod: KubeObject, kind: 'podAffinity' | 'podAntiAffinity'): AffinityTerm[] {
  const aff = (((pod.spec as Json | undefined)?.affinity as Json | undefined)?.[kind] as Json | undefined) ?? {};
  return (aff.requiredDuringSchedulingIgnoredDuringExecution as AffinityTerm[] | undefined) ?? [];
}

/** Whether `target` is selected by `term` of a pod living in `ownerNs`. */
function termSelects(term: AffinityTerm, ownerNs: string | undefined, owner: KubeObject, target: KubeObject, snap: Snapshot): boolean {
  const ns = target.metadata.namespace ?? '';
  const namespaces = term.namespaces ?? [];
  let nsOk: boolean;
  if (term.namespaceSelector) {
    const nsSel = selectorWithKeys(term.namespaceSelector, undefined, owner);
    nsOk = namespaces.includes(ns) || (nsSel !== undefined && matchesLabels(nsSel, snap.namespaceLabels.get(ns)));
  } else {
    nsOk = namespaces.length ? namespaces.includes(ns) : ns === ownerNs;
  }
  if (!nsOk) return false;
  const sel = selectorWithKeys(term.labelSelector, term.matchLabelKeys, owner);
  return sel !== undefined && matchesLabels(sel, target.metadata.labels);
}

function affinityFails(pod: KubeObject, node: KubeObject, snap: Snapshot): string | undefined {
  const nodeByName = new Map(snap.nodes.map((n) => [n.metadata.name!, n]));
  const sameDomain = (other: string, key: string) => {
    const v = node.metadata.labels?.[key];
    return v !== undefined && nodeByName.get(other)?.metadata.labels?.[key] === v;
  };
  const placed = [...snap.podsByNode.entries()].flatMap(([n, list]) => list.map((e) => ({ node: n, pod: e.pod })));
  // Existing pods' anti-affinity against the incoming pod.
  for (const e of placed) {
    for (const term of requiredTerms(e.pod, 'podAntiAffinity')) {
      if (termSelects(term, e.pod.metadata.namespace, e.pod, pod, snap) && sameDomain(e.node, term.topologyKey)) return "node(s) didn't satisfy existing pods anti-affinity rules";
    }
  }
  const affinity = requiredTerms(pod, 'podAffinity');
  if (affinity.length) {
    const anyMatch = affinity.some((t) => placed.some((e) => termSelects(t, pod.metadata.namespace, pod, e.pod, snap)));
    const selfMatch = affinity.every((t) => termSelects(t, pod.metadata.namespace, pod, pod, snap));
    if (!(!anyMatch && selfMatch)) {
      for (const t of affinity) {
        if (!placed.some((e) => termSelects(t, pod.metadata.namespace, pod, e.pod, snap) && sameDomain(e.node, t.topologyKey))) return "node(s) didn't match pod affinity rules";
      }
    }
  }
  for (const t of requiredTerms(pod, 'podAntiAffinity')) {
    if (placed.some((e) => termSelects(t, pod.metadata.namespace, pod, e.pod, snap) && sameDomain(e.node, t.topologyKey))) return "node(s) didn't match pod anti-affinity rules";
  }
  return undefined;
}

/** "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu." as upstream writes it. */
export function unschedulableMessage(total: number, reasons: Map<string, number>): string {
  const parts = [...reasons.entries()].map(([r, n]) => `${n} ${r}`).sort();
  return `0/${total} nodes are available${parts.length ? `: ${parts.join(', ')}` : ''}.`;
}
