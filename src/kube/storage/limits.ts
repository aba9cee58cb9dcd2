import type { KubeObject } from '../types.js';
import { formatQuantity, parseQuantity } from './quantity.js';

/**
 * LimitRange: the object's own defaults (as the API server fills them in) and the LimitRanger
 * admission of pods and claims: container defaults first (mutating), then min/max checks
 * (validating), with upstream's messages.
 */

type Json = Record<string, unknown>;
type Quantities = Record<string, string>;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function q(v: unknown): Quantities {
  return isObj(v) ? (v as Quantities) : {};
}

/**
 * Container items: `default` falls back to `max`, `defaultRequest` to `default`, then to
 * `min` (upstream's SetDefaults_LimitRangeItem).
 */
export function defaultLimitRange(o: KubeObject): void {
  const limits = isObj(o.spec) && Array.isArray(o.spec.limits) ? o.spec.limits : [];
  for (const item of limits) {
    if (!isObj(item) || item.type !== 'Container') continue;
    const def: Quantities = { ...q(item.default) };
    const req: Quantities = { ...q(item.defaultRequest) };
    for (const [k, v] of Object.entries(q(item.max))) def[k] ??= v;
    for (const [k, v] of Object.entries(def)) req[k] ??= v;
    for (const [k, v] of Object.entries(q(item.min))) req[k] ??= v;
    if (Object.keys(def).length) item.default = def;
    if (Object.keys(req).length) item.defaultRequest = req;
  }
}

function items(ranges: readonly KubeObject[], type: string): Json[] {
  return ranges.flatMap((r) => (isObj(r.spec) && Array.isArray(r.spec.limits) ? (r.spec.limits as unknown[]) : [])).filter((i): i is Json => isObj(i) && i.type === type);
}

function containersOf(pod: KubeObject): { list: string; c: Json }[] {
  const spec = isObj(pod.spec) ? pod.spec : {};
  const out: { list: string; c: Json }[] = [];
  for (const list of ['initContainers', 'containers']) for (const c of Array.isArray(spec[list]) ? (spec[list] as unknown[]) : []) if (isObj(c)) out.push({ list, c });
  return out;
}

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

/**
 * Fills in container limits and requests from the namespace's `Container` items and records
 * what it set in the `kubernetes.io/limit-ranger` annotation. A request that is absent while
 * the limit is present takes the limit (the API server's own defaulting, which upstream runs
 * before admission).
 */
export function applyLimitDefaults(pod: KubeObject, ranges: readonly KubeObject[]): void {
  const container = items(ranges, 'Container');
  if (container.length === 0) return;
  const notes: string[] = [];
  for (const { list, c } of containersOf(pod)) {
    const res: Json = isObj(c.resources) ? c.resources : (c.resources = {});
    const limits = { ...q(res.limits) };
    const requests = { ...q(res.requests) };
    const setLimits: string[] = [];
    const setRequests: string[] = [];
    for (const [k, v] of Object.entries(limits)) requests[k] ??= v;
    for (const item of container) {
      for (const [k, v] of Object.entries(q(item.default))) {
        if (limits[k] !== undefined) continue;
        limits[k] = v;
        setLimits.push(k);
      }
      for (const [k, v] of Object.entries(q(item.defaultRequest))) {
        if (requests[k] !== undefined) continue;
        requests[k] = v;
        setRequests.push(k);
      }
    }
    if (Object.keys(limits).length) res.limits = limits;
    if (Object.keys(requests).length) res.requests = requests;
    const kind = list === 'initContainers' ? 'init container' : 'container';
    if (setRequests.length) notes.push(`${setRequests.sort().join(', ')} request for ${kind} ${String(c.name)}`);
    if (setLimits.length) notes.push(`${setLimits.sort().join(', ')} limit for ${kind} ${String(c.name)}`);
  }
  if (notes.length) pod.metadata.annotations = { ...pod.metadata.annotations, [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` };
}

function checkMinMax(kind: string, item: Json, requests: Record<string, number | undefined>, limits: Record<string, number | undefined>, shown: (k: string, which: 'request' | 'limit') => string, errs: string[], maxOn: 'limit' | 'request'): void {
  for (const [k, v] of Object.entries(q(item.min))) {
    const have = requests[k];
    if (have === undefined) errs.push(`minimum ${k} usage per ${kind} is ${v}.  No request is specified`);
    else if (have < (parseQuantity(v) ?? 0)) errs.push(`minimum ${k} usage per ${kind} is ${v}, but request is ${shown(k, 'request')}`);
  }
  for (const [k, v] of Object.entries(q(item.max))) {
    const have = maxOn === 'limit' ? limits[k] : requests[k];
    if (have === undefined) errs.push(`maximum ${k} usage per ${kind} is ${v}.  No ${maxOn} is specified`);
    else if (have > (parseQuantity(v) ?? Infinity)) errs.push(`maximum ${k} usage per ${kind} is ${v}, but ${maxOn} is ${shown(k, maxOn)}`);
  }
}

/** Min/max violations of a pod (per container and per pod), as upstream words them; [] when fine. */
export function podLimitViolations(pod: KubeObject, ranges: readonly KubeObject[]): string[] {
  const errs: string[] = [];
  const total: { requests: Record<string, number>; limits: Record<string, number> } = { requests: {}, limits: {} };
  const parsed = containersOf(pod).map(({ c }) => {
    const res = isObj(c.resources) ? c.resources : {};
    const conv = (m: Quantities) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, parseQuantity(v)]));
    return { requests: conv(q(res.requests)), limits: conv(q(res.limits)), raw: { request: q(res.requests), limit: q(res.limits) }, regular: true };
  });
  for (const item of items(ranges, 'Container')) {
    for (const p of parsed) checkMinMax('Container', item, p.requests, p.limits, (k, w) => p.raw[w][k] ?? '', errs, 'limit');
  }
  const podItems = items(ranges, 'Pod');
  if (podItems.length) {
    for (const p of parsed) {
      for (const [k, v] of Object.entries(p.requests)) if (v !== undefined) total.requests[k] = (total.requests[k] ?? 0) + v;
      for (const [k, v] of Object.entries(p.limits)) if (v !== undefined) total.limits[k] = (total.limits[k] ?? 0) + v;
    }
    const all = (which: 'requests' | 'limits', k: string) => parsed.every((p) => p[which][k] !== undefined);
    const reqs = Object.fromEntries(Object.entries(total.requests).filter(([k]) => all('requests', k)));
    const lims = Object.fromEntries(Object.entries(total.limits).filter(([k]) => all('limits', k)));
    for (const item of podItems) checkMinMax('Pod', item, reqs, lims, (k, w) => formatQuantity((w === 'request' ? reqs : lims)[k] ?? 0, k !== 'cpu'), errs, 'limit');
  }
  return errs;
}

/** Min/max violations of a claim's storage request (`PersistentVolumeClaim` items). */
export function claimLimitViolations(pvc: KubeObject, ranges: readonly KubeObject[]): string[] {
  const errs: string[] = [];
  const spec = isObj(pvc.spec) ? pvc.spec : {};
  const raw = q(isObj(spec.resources) ? spec.resources.requests : undefined);
  const requests = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, parseQuantity(v)]));
  for (const item of items(ranges, 'PersistentVolumeClaim')) checkMinMax('PersistentVolumeClaim', item, requests, {}, (k) => raw[k] ?? '', errs, 'request');
  return errs;
}
