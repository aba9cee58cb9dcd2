import type { KubeObject } from '../types.js';

/** Resource quantities ("100m", "1.5", "128Mi", "1G", "1e3") and what pods request of them. */

const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A quantity as a plain number of base units; undefined when malformed. */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei))?$/.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * SUFFIX[m[3] ?? '']!;
}

/** cpu in millicores, memory and others in base units, pods as a count. */
export type ResourceList = Record<string, number>;

export function toResourceList(raw: unknown): ResourceList {
  const out: ResourceList = {};
  if (!raw || typeof raw !== 'object') return out;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const n = parseQuantity(v);
    if (n === undefined) continue;
    out[k] = k === 'cpu' ? Math.round(n * 1000) : n;
  }
  return out;
}

type Json = Record<string, unknown>;

function containerRequests(c: Json): ResourceList {
  const res = (c.resources as Json | undefined) ?? {};
  // The API server defaults requests to limits when only limits are given.
  return { ...toResourceList(res.limits), ...toResourceList(res.requests) };
}

/**
 * What a pod asks of a node: the sum over containers (plus sidecar init containers), at least
 * the largest init container, plus `overhead`; `pods: 1`.
 */
export function podRequests(pod: KubeObject): ResourceList {
  const spec = (pod.spec as Json | undefined) ?? {};
  const total: ResourceList = {};
  const add = (into: ResourceList, r: ResourceList) => {
    for (const [k, v] of Object.entries(r)) into[k] = (into[k] ?? 0) + v;
  };
  const max = (into: ResourceList, r: ResourceList) => {
    for (const [k, v] of Object.entries(r)) into[k] = Math.max(into[k] ?? 0, v);
  };
  for (const c of (spec.containers as Json[] | undefined) ?? []) add(total, containerRequests(c));
  // Upstream's PodRequests: sidecars (init containers with restartPolicy Always) add to the
  // containers; the init phase peaks at an init container plus the sidecars before it.
  const sidecars: ResourceList = {};
  const initPeak: ResourceList = {};
  for (const c of (spec.initContainers as Json[] | undefined) ?? []) {
    const r = containerRequests(c);
    if (c.restartPolicy === 'Always') {
      add(sidecars, r);
      add(total, r);
      max(initPeak, sidecars);
      continue;
    }
    const withSidecars = { ...r };
    add(withSidecars, sidecars);
    max(initPeak, withSidecars);
  }
  max(total, initPeak);
  add(total, toResourceList(spec.overhead));
  total.pods = 1;
  return total;
}
