import { RESOURCES, type ResourceType } from '../resources.js';
import type { KubeObject } from '../types.js';
import { claimClass } from './binder.js';
import { addRaw, emptyAmounts, formatAmount, parseQuantity, type Amounts } from './quantity.js';

/**
 * ResourceQuota math, shared by the admission check and the quota controller: what one object
 * counts against a quota, the namespace's usage of the resources a quota names, and the
 * refusal messages upstream gives.
 *
 * Counted: `pods` and the compute resources of pods that are not finished (`requests.cpu`,
 * `cpu`, `requests.memory`, `memory`, `limits.cpu`, `limits.memory`, ephemeral storage),
 * `services` (+ `services.nodeports`, `services.loadbalancers`), `persistentvolumeclaims`
 * and `requests.storage` (also per class, `<class>.storageclass.storage.k8s.io/…`),
 * `configmaps`, `secrets`, `resourcequotas`, and `count/<resource>[.<group>]` for every served
 * kind. Pod scopes BestEffort/NotBestEffort/Terminating/NotTerminating narrow what pods count.
 */

type Json = Record<string, unknown>;

/** Lists the stored objects of a kind in a namespace (synchronously, from the registry or a cache). */
export type ObjectLister = (res: ResourceType, namespace: string) => readonly KubeObject[];

const COMPUTE = ['cpu', 'memory', 'ephemeral-storage'];
const CLASS_SUFFIX = '.storageclass.storage.k8s.io/';

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `count/<resource>[.<group>]` → the resource it counts. */
export function countedResource(key: string): ResourceType | undefined {
  if (!key.startsWith('count/')) return undefined;
  const name = key.slice(6);
  const dot = name.indexOf('.');
  const [resource, group] = dot < 0 ? [name, ''] : [name.slice(0, dot), name.slice(dot + 1)];
  return RESOURCES.find((r) => r.resource === resource && r.group === group && r.namespaced);
}

/** The kinds whose objects a quota with these `hard` keys counts. */
export function countedKinds(keys: readonly string[]): ResourceType[] {
  const out = new Set<ResourceType>();
  const core = (name: string) => RESOURCES.find((r) => r.group === '' && r.resource === name)!;
  for (const k of keys) {
    const counted = countedResource(k);
    if (counted) out.add(counted);
    else if (k === 'pods' || k.startsWith('requests.') && k !== 'requests.storage' || k.startsWith('limits.') || COMPUTE.includes(k)) out.add(core('pods'));
    else if (k.startsWith('services')) out.add(core('services'));
    else if (k === 'persistentvolumeclaims' || k === 'requests.storage' || k.includes(CLASS_SUFFIX)) out.add(core('persistentvolumeclaims'));
    else if (['configmaps', 'secrets', 'resourcequotas', 'replicationcontrollers'].includes(k)) {
      const r = RESOURCES.find((x) => x.group === '' && x.resource === k);
      if (r) out.add(r);
    }
  }
  return [...out];
}

function podCounts(pod: KubeObject, scopes: readonly string[]): boolean {
  const phase = isObj(pod.status) ? pod.status.phase : undefined;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const spec = isObj(pod.spec) ? pod.spec : {};
  const terminating = typeof spec.activeDeadlineSeconds === 'number';
  const bestEffort = Object.keys(podCompute(pod).values).length === 0;
  for (const s of scopes) {
    if ((s === 'Terminating' && !terminating) || (s === 'NotTerminating' && terminating)) return false;
    if ((s === 'BestEffort' && !bestEffort) || (s === 'NotBestEffort' && bestEffort)) return false;
  }
  return true;
}

/**
 * A pod's compute usage: `requests.<r>` and `limits.<r>` summed over containers, each init
 * container counting alone when larger (a request missing where a limit is set takes the limit).
 */
export function podCompute(pod: KubeObject): Amounts {
  const spec = isObj(pod.spec) ? pod.spec : {};
  const one = (c: Json): Amounts => {
    const a = emptyAmounts();
    const res = isObj(c.resources) ? c.resources : {};
    const limits = isObj(res.limits) ? res.limits : {};
    const requests = { ...limits, ...(isObj(res.requests) ? res.requests : {}) };
    addRaw(a, requests, 'requests.', (k) => COMPUTE.includes(k.slice(9)));
    addRaw(a, limits, 'limits.', (k) => COMPUTE.includes(k.slice(7)));
    return a;
  };
  const add = (x: number, y: number) => x + y;
  const total = emptyAmounts();
  for (const c of Array.isArray(spec.containers) ? spec.containers : []) if (isObj(c)) merge(total, one(c), add);
  // As upstream's PodRequests (1.32): sidecar init containers (restartPolicy Always) keep running,
  // so they add to the containers; the init phase peaks at the largest init container plus the
  // sidecars started before it; the pod counts the larger of the two.
  const sidecars = emptyAmounts();
  const initPeak = emptyAmounts();
  for (const c of Array.isArray(spec.initContainers) ? spec.initContainers : []) {
    if (!isObj(c)) continue;
    const a = one(c);
    if (c.restartPolicy === 'Always') {
      merge(total, a, add);
      merge(sidecars, a, add);
      merge(initPeak, sidecars, Math.max);
      continue;
    }
    merge(a, sidecars, add);
    merge(initPeak, a, Math.max);
  }
  merge(total, initPeak, Math.max);
  return total;
}

function merge(into: Amounts, more: Amounts, f: (a: number, b: number) => number): void {
  for (const [k, v] of Object.entries(more.values)) into.values[k] = f(into.values[k] ?? 0, v);
  for (const k of more.binary) into.binary.add(k);
}

/** What one object counts against `keys` (only those keys appear). */
export function objectUsage(res: ResourceType, o: KubeObject, keys: readonly string[], scopes: readonly string[] = []): Amounts {
  const a = emptyAmounts();
  const set = (k: string, v: number) => {
    if (keys.includes(k)) a.values[k] = (a.values[k] ?? 0) + v;
  };
  const countKey = `count/${res.resource}${res.group ? `.${res.group}` : ''}`;
  if (res.group === '' && res.resource === 'pods') {
    if (!podCounts(o, scopes)) return a;
    set('pods', 1);
    set(countKey, 1);
    const compute = podCompute(o);
    for (const [k, v] of Object.entries(compute.values)) {
      set(k, v);
      if (k.startsWith('requests.')) set(k.slice(9), v);
      if (compute.binary.has(k)) a.binary.add(k).add(k.startsWith('requests.') ? k.slice(9) : k);
    }
    return a;
  }
  if (scopes.length) return a; // Scoped quotas count pods only.
  set(countKey, 1);
  if (res.group !== '') return a;
  switch (res.resource) {
    case 'services': {
      const spec = isObj(o.spec) ? o.spec : {};
      set('services', 1);
      const ports = Array.isArray(spec.ports) ? spec.ports.length : 0;
      if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') set('services.nodeports', ports);
      if (spec.type === 'LoadBalancer') set('services.loadbalancers', 1);
      break;
    }
    case 'persistentvolumeclaims': {
      const spec = isObj(o.spec) ? o.spec : {};
      const storage = parseQuantity(isObj(spec.resources) && isObj(spec.resources.requests) ? spec.resources.requests.storage : undefined) ?? 0;
      const raw = isObj(spec.resources) && isObj(spec.resources.requests) ? spec.resources.requests.storage : undefined;
      const cls = claimClass(o);
      set('persistentvolumeclaims', 1);
      set('requests.storage', storage);
      set(`${cls}${CLASS_SUFFIX}persistentvolumeclaims`, 1);
      set(`${cls}${CLASS_SUFFIX}requests.storage`, storage);
      if (typeof raw === 'string' && /i$/.test(raw)) a.binary.add('requests.storage').add(`${cls}${CLASS_SUFFIX}requests.storage`);
      break;
    }
    case 'configmaps':
    case 'secrets':
    case 'resourcequotas':
    case 'replicationcontrollers':
      set(res.resource, 1);
      break;
    default:
      break;
  }
  return a;
}

/** A quota's `hard` keys and scopes. */
export function quotaTerms(quota: KubeObject): { hard: Record<string, unknown>; keys: string[]; scopes: string[] } {
  const spec = isObj(quota.spec) ? quota.spec : {};
  const hard = isObj(spec.hard) ? spec.hard : {};
  return { hard, keys: Object.keys(hard).sort(), scopes: Array.isArray(spec.scopes) ? spec.scopes.map(String) : [] };
}

/** The namespace's current usage of every key of `quota` (every key present, 0 when unused). */
export function quotaUsage(quota: KubeObject, list: ObjectLister): Amounts {
  const { keys, scopes } = quotaTerms(quota);
  const ns = quota.metadata.namespace ?? 'default';
  const used = emptyAmounts();
  for (const k of keys) used.values[k] = 0;
  for (const res of countedKinds(keys)) {
    for (const o of list(res, ns)) {
      const u = objectUsage(res, o, keys, scopes);
      for (const [k, v] of Object.entries(u.values)) used.values[k] = (used.values[k] ?? 0) + v;
      for (const k of u.binary) used.binary.add(k);
    }
  }
  for (const [k, v] of Object.entries(quotaTerms(quota).hard)) if (typeof v === 'string' && /i$/.test(v)) used.binary.add(k);
  return used;
}

/** `status.used` as quantity strings, for every key of the quota. */
export function usedStatus(quota: KubeObject, used: Amounts): Record<string, string> {
  return Object.fromEntries(quotaTerms(quota).keys.map((k) => [k, formatAmount(used, k)]));
}

/** Pod containers lacking a request/limit that a compute quota requires (upstream's "must specify"). */
export function missingCompute(pod: KubeObject, keys: readonly string[]): string | undefined {
  const need = keys.filter((k) => ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory', 'cpu', 'memory'].includes(k));
  if (need.length === 0) return undefined;
  const spec = isObj(pod.spec) ? pod.spec : {};
  const missing = new Map<string, Set<string>>();
  for (const list of ['containers', 'initContainers']) {
    for (const c of Array.isArray(spec[list]) ? spec[list] : []) {
      if (!isObj(c)) continue;
      const res = isObj(c.resources) ? c.resources : {};
      const limits = isObj(res.limits) ? res.limits : {};
      const requests = { ...limits, ...(isObj(res.requests) ? res.requests : {}) };
      for (const k of need) {
        const [which, r] = k.includes('.') ? (k.split('.') as [string, string]) : ['requests', k];
        if ((which === 'limits' ? limits : requests)[r] === undefined) {
          const set = missing.get(k) ?? new Set<string>();
          set.add(String(c.name));
          missing.set(k, set);
        }
      }
    }
  }
  if (missing.size === 0) return undefined;
  return `must specify ${[...missing.keys()].sort().map((k) => `${k} for: ${[...missing.get(k)!].sort().join(',')}`).join('; ')}`;
}

/**
 * Why creating `o` would break `quota` (the text after `<kind> "<name>" is forbidden: `), or
 * undefined when it fits. `used` is the namespace's usage before the create.
 */
export function quotaRefusal(quota: KubeObject, res: ResourceType, o: KubeObject, used: Amounts): string | undefined {
  const { hard, keys, scopes } = quotaTerms(quota);
  const name = quota.metadata.name ?? '';
  const delta = objectUsage(res, o, keys, scopes);
  const touched = Object.keys(delta.values).filter((k) => keys.includes(k));
  if (touched.length === 0) return undefined;
  if (res.group === '' && res.resource === 'pods') {
    const miss = missingCompute(o, keys);
    if (miss) return `failed quota: ${name}: ${miss}`;
  }
  const exceeded = touched.filter((k) => (delta.values[k] ?? 0) > 0 && (used.values[k] ?? 0) + delta.values[k]! > (parseQuantity(hard[k]) ?? Infinity)).sort();
  if (exceeded.length === 0) return undefined;
  const binary = new Set([...delta.binary, ...used.binary]);
  for (const k of exceeded) if (typeof hard[k] === 'string' && /i$/.test(hard[k] as string)) binary.add(k);
  const show = (a: Amounts) => exceeded.map((k) => `${k}=${formatAmount({ values: a.values, binary }, k)}`).join(',');
  const limited = exceeded.map((k) => `${k}=${String(hard[k])}`).join(',');
  return `exceeded quota: ${name}, requested: ${show(delta)}, used: ${show(used)}, limited: ${limited}`;
}
