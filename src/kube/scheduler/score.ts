import type { KubeObject } from '../types.js';
import type { Snapshot } from './filters.js';
import { termMatches } from './predicates.js';
import { podRequests, toResourceList, type ResourceList } from './quantity.js';

type Json = Record<string, unknown>;

/** Requests used for scoring only: pods asking nothing count as 100m CPU / 200Mi (upstream's non-zero defaults). */
function nonZero(r: ResourceList): ResourceList {
  return { ...r, cpu: r.cpu || 100, memory: r.memory || 200 * 2 ** 20 };
}

/**
 * Scores the nodes that passed the filters (higher is better): least allocated CPU/memory after
 * placing the pod (0-100), spread of pods with the same controller across nodes (0-100), and
 * preferred node affinity weights normalized to 0-100. Ties go to the node name, for stable runs.
 */
export function pickNode(pod: KubeObject, feasible: KubeObject[], snap: Snapshot): KubeObject {
  const want = nonZero(podRequests(pod));
  const owner = pod.metadata.ownerReferences?.find((r) => r.controller)?.uid;
  const siblings = new Map<string, number>();
  for (const n of feasible) {
    const list = snap.podsByNode.get(n.metadata.name!) ?? [];
    siblings.set(n.metadata.name!, owner ? list.filter((e) => e.pod.metadata.ownerReferences?.some((r) => r.uid === owner)).length : 0);
  }
  const maxSiblings = Math.max(0, ...siblings.values());
  const preferred = ((((pod.spec as Json | undefined)?.affinity as Json | undefined)?.nodeAffinity as Json | undefined)?.preferredDuringSchedulingIgnoredDuringExecution ?? []) as {
    weight: number;
    preference: Json;
  }[];
  const prefScores = new Map(feasible.map((n) => [n.metadata.name!, preferred.reduce((s, p) => s + (termMatches(p.preference, n) ? p.weight : 0), 0)]));
  const maxPref = Math.max(0, ...prefScores.values());
  let best: { node: KubeObject; score: number } | undefined;
  for (const node of [...feasible].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1))) {
    const status = (node.status as Json | undefined) ?? {};
    const alloc = toResourceList(status.allocatable ?? status.capacity);
    const used: ResourceList = {};
    for (const e of snap.podsByNode.get(node.metadata.name!) ?? []) for (const [k, v] of Object.entries(nonZero(e.requests))) used[k] = (used[k] ?? 0) + v;
    const free = (k: 'cpu' | 'memory') => {
      const cap = alloc[k];
      if (!cap) return 50;
      return Math.max(0, ((cap - (used[k] ?? 0) - want[k]!) / cap) * 100);
    };
    const least = (free('cpu') + free('memory')) / 2;
    const spread = maxSiblings ? 100 * (1 - siblings.get(node.metadata.name!)! / maxSiblings) : 100;
    const pref = maxPref ? (100 * prefScores.get(node.metadata.name!)!) / maxPref : 0;
    const score = least + spread + pref;
    if (!best || score > best.score) best = { node, score };
  }
  return best!.node;
}
