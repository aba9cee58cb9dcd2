import { createHash } from 'node:crypto';
import type { KubeApi } from '../api.js';
import { KubeError } from '../errors.js';
import { RESOURCES, type ResourceType } from '../resources.js';
import { labelSelectorFromObject, matchesLabels } from '../selectors.js';
import type { KubeObject, OwnerReference } from '../types.js';
import type { InformerFactory } from './informer.js';
import type { WorkQueue } from './queue.js';

/** Shared by every controller of one `startControllers` call. */
export interface ControllerContext {
  api: KubeApi;
  informers: InformerFactory;
  /** The kinds the cluster serves now, custom ones included (the static table without a catalog). */
  kinds(): readonly ResourceType[];
  /** Calls `listener` when kinds come or go (CRDs); returns the unsubscribe function. */
  onKindsChange(listener: () => void): () => void;
  log: (m: string) => void;
  resyncMs: number;
  nodeMonitorGracePeriodMs: number;
  podEvictionTimeoutMs: number;
}

export interface Controller {
  readonly name: string;
  readonly queues: WorkQueue[];
  /** Called once the shared informers have synced. */
  start(): void;
  stop(): void;
}

export function resource(group: string, plural: string): ResourceType {
  const r = RESOURCES.find((x) => x.group === group && x.resource === plural);
  if (!r) throw new Error(`resource ${plural}.${group} missing from the resource table`);
  return r;
}

export const R = {
  namespaces: resource('', 'namespaces'),
  nodes: resource('', 'nodes'),
  pods: resource('', 'pods'),
  services: resource('', 'services'),
  endpoints: resource('', 'endpoints'),
  secrets: resource('', 'secrets'),
  events: resource('', 'events'),
  serviceaccounts: resource('', 'serviceaccounts'),
  deployments: resource('apps', 'deployments'),
  replicasets: resource('apps', 'replicasets'),
  daemonsets: resource('apps', 'daemonsets'),
  statefulsets: resource('apps', 'statefulsets'),
  controllerrevisions: resource('apps', 'controllerrevisions'),
  jobs: resource('batch', 'jobs'),
  cronjobs: resource('batch', 'cronjobs'),
  poddisruptionbudgets: resource('policy', 'poddisruptionbudgets'),
  persistentvolumeclaims: resource('', 'persistentvolumeclaims'),
  persistentvolumes: resource('', 'persistentvolumes'),
  storageclasses: resource('storage.k8s.io', 'storageclasses'),
  resourcequotas: resource('', 'resourcequotas'),
  limitranges: resource('', 'limitranges'),
  configmaps: resource('', 'configmaps'),
  endpointslices: resource('discovery.k8s.io', 'endpointslices'),
  leases: resource('coordination.k8s.io', 'leases'),
};

// --- plain JSON access -------------------------------------------------------------------------

export type Json = Record<string, unknown>;

export function spec(obj: KubeObject): Json {
  return (obj.spec as Json | undefined) ?? {};
}

export function status(obj: KubeObject): Json {
  return (obj.status as Json | undefined) ?? {};
}

export function num(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
  lastProbeTime?: string | null;
  lastHeartbeatTime?: string;
  [k: string]: unknown;
}

export function conditions(obj: KubeObject): Condition[] {
  const c = status(obj).conditions;
  return Array.isArray(c) ? (c as Condition[]) : [];
}

export function condition(obj: KubeObject, type: string): Condition | undefined {
  return conditions(obj).find((c) => c.type === type);
}

/**
 * Sets `cond` in `list` (by type). `lastTransitionTime` is kept when the status did not change,
 * as upstream's SetCondition helpers do. Returns the new list.
 */
export function setCondition(list: Condition[], cond: Condition): Condition[] {
  const old = list.find((c) => c.type === cond.type);
  const next = { ...cond };
  if (old && old.status === cond.status && old.lastTransitionTime) next.lastTransitionTime = old.lastTransitionTime;
  return [...list.filter((c) => c.type !== cond.type), next];
}

/** Structural equality of JSON values, ignoring key order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** JSON with object keys sorted: a stable text for hashing and comparing templates. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Json)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * A short, stable, DNS-safe hash of a JSON value (pod-template-hash, controller-revision-hash):
 * a 32-bit FNV-1a over the canonical JSON plus `collisionCount`, written with the vowel-free
 * alphabet Kubernetes uses for generated names.
 */
export function templateHash(value: unknown, collisionCount = 0): string {
  const text = canonical(value) + (collisionCount ? `#${collisionCount}` : '');
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return [...String(h)].map((d) => SAFE[d.charCodeAt(0) % SAFE.length]).join('');
}

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

// --- ownership -----------------------------------------------------------------------------------

export function controllerRef(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller);
}

export function ownerRefTo(owner: KubeObject): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  return controllerRef(obj)?.uid === owner.metadata.uid;
}

/** Matches a `metav1.LabelSelector`; a malformed selector matches nothing (validation is the registry's job). */
export function selectorMatches(sel: unknown, labels: Record<string, string> | undefined): boolean {
  if (!sel || typeof sel !== 'object') return false;
  try {
    return matchesLabels(labelSelectorFromObject(sel as Parameters<typeof labelSelectorFromObject>[0]), labels);
  } catch {
    return false;
  }
}

/**
 * The objects a controller owns among `candidates`: those with its controller ownerRef, plus
 * matching orphans it adopts (a controller ownerRef patched on, as upstream's
 * ControllerRefManager does; an adoption that fails is skipped until the next sync). Owned
 * objects that stopped matching are released (ownerRef removed).
 */
export async function claim(api: KubeApi, res: ResourceType, owner: KubeObject, selector: unknown, candidates: KubeObject[]): Promise<KubeObject[]> {
  const owned: KubeObject[] = [];
  let ownerLive: boolean | undefined;
  // Before adopting, confirm the owner still lives (upstream's RecheckDeletionTimestamp): a
  // cached owner may already be gone, and adopting its orphans would undo an Orphan delete.
  const canAdopt = async () => {
    ownerLive ??= await api.get(ownerResource(owner), owner.metadata.namespace, owner.metadata.name!).then(
      (live) => live.metadata.uid === owner.metadata.uid && !live.metadata.deletionTimestamp,
      () => false,
    );
    return ownerLive;
  };
  for (const c of candidates) {
    if (c.metadata.namespace !== owner.metadata.namespace) continue;
    const ref = controllerRef(c);
    const matches = selectorMatches(selector, c.metadata.labels);
    if (ref) {
      if (ref.uid !== owner.metadata.uid) continue;
      if (matches || owner.metadata.deletionTimestamp) {
        owned.push(c);
        continue;
      }
      await patchOwners(api, res, c, (refs) => refs.filter((r) => r.uid !== owner.metadata.uid)).catch(() => undefined);
      continue;
    }
    if (!matches || c.metadata.deletionTimestamp || owner.metadata.deletionTimestamp || !(await canAdopt())) continue;
    const adopted = await patchOwners(api, res, c, (refs) => [...refs, ownerRefTo(owner)]).catch(() => undefined);
    if (adopted) owned.push(adopted);
  }
  return owned;
}

function ownerResource(owner: KubeObject): ResourceType {
  const r = RESOURCES.find((x) => x.kind === owner.kind && (x.group ? `${x.group}/${x.version}` : x.version) === owner.apiVersion);
  if (!r) throw new Error(`no resource for ${owner.apiVersion} ${owner.kind}`);
  return r;
}

async function patchOwners(api: KubeApi, res: ResourceType, obj: KubeObject, f: (refs: OwnerReference[]) => OwnerReference[]): Promise<KubeObject> {
  const refs = f(obj.metadata.ownerReferences ?? []);
  return api.patch(res, obj.metadata.namespace, obj.metadata.name!, 'merge', {
    metadata: { ownerReferences: refs, resourceVersion: obj.metadata.resourceVersion },
  });
}

// --- writes --------------------------------------------------------------------------------------

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeError && err.code === 404;
}

export function isConflict(err: unknown): boolean {
  return err instanceof KubeError && err.code === 409;
}

/**
 * Read-modify-write with optimistic concurrency: `mutate` gets a fresh copy and returns the body
 * to write (or undefined for "nothing to do"); a 409 re-reads and retries (5 times).
 */
export async function updateWithRetry(
  api: KubeApi,
  res: ResourceType,
  namespace: string | undefined,
  name: string,
  mutate: (obj: KubeObject) => KubeObject | undefined,
  subresource?: string,
): Promise<KubeObject | undefined> {
  for (let attempt = 0; ; attempt++) {
    const cur = await api.get(res, namespace, name);
    const next = mutate(structuredClone(cur));
    if (!next) return cur;
    try {
      return await api.update(res, namespace, name, next, subresource ? { subresource } : undefined);
    } catch (err) {
      if (!isConflict(err) || attempt >= 5) throw err;
    }
  }
}

/** Deletes, treating "already gone" as success. */
export async function deleteIfExists(api: KubeApi, res: ResourceType, namespace: string | undefined, name: string, opts?: Parameters<KubeApi['delete']>[3]): Promise<void> {
  try {
    await api.delete(res, namespace, name, opts);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
