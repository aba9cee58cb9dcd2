import { labelSelectorFromObject, matchesLabels } from '../selectors.js';
import { termMatches } from '../scheduler/predicates.js';
import type { KubeObject } from '../types.js';
import { parseQuantity } from './quantity.js';

/**
 * The PV binder's pure half: which PersistentVolume a claim may bind to, as upstream's
 * `findMatchingVolume` decides it. A volume fits a claim when it is not claimed by another
 * claim, has the claim's class (both '' counts as equal), offers every access mode asked for,
 * has the same volume mode, at least the requested capacity, matches the claim's selector, and
 * (for a claim waiting for its first consumer) can be used on the chosen node. Among fitting
 * volumes the smallest wins; a volume pre-bound to the claim (`claimRef`) or named by it
 * (`spec.volumeName`) wins over all others.
 */

type Json = Record<string, unknown>;

export const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] as const;
const SHORT: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };

export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
export const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
export const PROVISIONED_BY_ANNOTATION = 'pv.kubernetes.io/provisioned-by';
export const BIND_COMPLETED_ANNOTATION = 'pv.kubernetes.io/bind-completed';
export const BOUND_BY_CONTROLLER_ANNOTATION = 'pv.kubernetes.io/bound-by-controller';
export const STORAGE_PROVISIONER_ANNOTATION = 'volume.kubernetes.io/storage-provisioner';
export const BETA_STORAGE_PROVISIONER_ANNOTATION = 'volume.beta.kubernetes.io/storage-provisioner';
export const PVC_PROTECTION = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION = 'kubernetes.io/pv-protection';

function specOf(o: KubeObject): Json {
  return (o.spec as Json | undefined) ?? {};
}

/** `RWO,ROX,RWX,RWOP` in kubectl's order, only the modes present. */
export function accessModesString(modes: unknown): string {
  const list = Array.isArray(modes) ? modes : [];
  return ACCESS_MODES.filter((m) => list.includes(m)).map((m) => SHORT[m]).join(',');
}

/** A claim's class: `spec.storageClassName`, else the beta annotation, else ''. */
export function claimClass(pvc: KubeObject): string {
  const s = specOf(pvc).storageClassName;
  if (typeof s === 'string') return s;
  return pvc.metadata.annotations?.[BETA_CLASS_ANNOTATION] ?? '';
}

export function volumeClass(pv: KubeObject): string {
  const s = specOf(pv).storageClassName;
  if (typeof s === 'string') return s;
  return pv.metadata.annotations?.[BETA_CLASS_ANNOTATION] ?? '';
}

/** Bytes requested by a claim (`spec.resources.requests.storage`), 0 when absent. */
export function requestedBytes(pvc: KubeObject): number {
  const r = (specOf(pvc).resources as Json | undefined)?.requests as Json | undefined;
  return parseQuantity(r?.storage) ?? 0;
}

export function capacityBytes(pv: KubeObject): number {
  return parseQuantity((specOf(pv).capacity as Json | undefined)?.storage) ?? 0;
}

/** Whether the volume's `spec.nodeAffinity.required` admits `node` (no affinity: every node). */
export function volumeFitsNode(pv: KubeObject, node: KubeObject): boolean {
  const terms = ((specOf(pv).nodeAffinity as Json | undefined)?.required as Json | undefined)?.nodeSelectorTerms;
  if (!Array.isArray(terms) || terms.length === 0) return true;
  return terms.some((t) => termMatches(t as Parameters<typeof termMatches>[0], node));
}

/** The node a volume is pinned to by a `kubernetes.io/hostname In [x]` term, if any. */
export function volumeNodeName(pv: KubeObject): string | undefined {
  const terms = ((specOf(pv).nodeAffinity as Json | undefined)?.required as Json | undefined)?.nodeSelectorTerms;
  for (const t of Array.isArray(terms) ? (terms as Json[]) : []) {
    for (const e of (t.matchExpressions as Json[] | undefined) ?? []) {
      if (e.key === 'kubernetes.io/hostname' && e.operator === 'In' && Array.isArray(e.values) && e.values.length === 1) return String(e.values[0]);
    }
  }
  return undefined;
}

export function claimRefOf(pv: KubeObject): { namespace?: string; name?: string; uid?: string } | undefined {
  const ref = specOf(pv).claimRef;
  return ref && typeof ref === 'object' ? (ref as { namespace?: string; name?: string; uid?: string }) : undefined;
}

/** Whether the volume's claimRef names this claim (uid too, when the ref has one). */
export function volumeClaimedBy(pv: KubeObject, pvc: KubeObject): boolean {
  const ref = claimRefOf(pv);
  if (!ref || ref.name !== pvc.metadata.name || ref.namespace !== pvc.metadata.namespace) return false;
  return !ref.uid || ref.uid === pvc.metadata.uid;
}

/** Why `pv` cannot serve `pvc` (undefined: it can). `node` applies the volume's node affinity. */
export function mismatch(pvc: KubeObject, pv: KubeObject, node?: KubeObject): string | undefined {
  const ps = specOf(pvc);
  const vs = specOf(pv);
  if (pv.metadata.deletionTimestamp) return 'being deleted';
  const ref = claimRefOf(pv);
  if (ref && !volumeClaimedBy(pv, pvc)) return 'claimed by another claim';
  if (!ref && (pv.status as Json | undefined)?.phase !== 'Available' && (pv.status as Json | undefined)?.phase !== undefined && (pv.status as Json | undefined)?.phase !== 'Pending') return `phase ${String((pv.status as Json).phase)}`;
  if (claimClass(pvc) !== volumeClass(pv)) return 'storage class differs';
  const want = Array.isArray(ps.accessModes) ? ps.accessModes : [];
  const have = Array.isArray(vs.accessModes) ? vs.accessModes : [];
  if (!want.every((m) => have.includes(m))) return 'access modes not offered';
  if ((ps.volumeMode ?? 'Filesystem') !== (vs.volumeMode ?? 'Filesystem')) return 'volume mode differs';
  if (capacityBytes(pv) < requestedBytes(pvc)) return 'too small';
  if (ps.selector && typeof ps.selector === 'object') {
    try {
      if (!matchesLabels(labelSelectorFromObject(ps.selector as never), pv.metadata.labels)) return 'selector does not match';
    } catch {
      return 'selector is invalid';
    }
  }
  if (node && !volumeFitsNode(pv, node)) return 'node affinity conflict';
  return undefined;
}

/** The volume the claim should bind to, or undefined (see the module comment for the order). */
export function bestVolume(pvc: KubeObject, volumes: readonly KubeObject[], node?: KubeObject): KubeObject | undefined {
  const named = specOf(pvc).volumeName;
  if (typeof named === 'string' && named !== '') {
    const pv = volumes.find((v) => v.metadata.name === named);
    return pv && !mismatch(pvc, pv, node) ? pv : undefined;
  }
  const fits = volumes.filter((v) => !mismatch(pvc, v, node));
  const prebound = fits.find((v) => volumeClaimedBy(v, pvc));
  if (prebound) return prebound;
  // A claim without a class never takes a volume pre-bound elsewhere; unclaimed ones only.
  return fits.filter((v) => !claimRefOf(v)).sort((a, b) => capacityBytes(a) - capacityBytes(b) || (a.metadata.name! < b.metadata.name! ? -1 : 1))[0];
}

/** The default StorageClass among `classes` (the newest marked one, as upstream picks). */
export function defaultClass(classes: readonly KubeObject[]): KubeObject | undefined {
  const marked = classes.filter((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true' && !c.metadata.deletionTimestamp);
  return marked.sort((a, b) => String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? '')) || (a.metadata.name! < b.metadata.name! ? -1 : 1))[0];
}

/** Names of the claims a pod's volumes use. */
export function podClaimNames(pod: KubeObject): string[] {
  const vols = specOf(pod).volumes;
  const out: string[] = [];
  for (const v of Array.isArray(vols) ? (vols as Json[]) : []) {
    const c = (v.persistentVolumeClaim as Json | undefined)?.claimName;
    if (typeof c === 'string' && c !== '') out.push(c);
  }
  return out;
}

/** Pods that are not finished (Succeeded/Failed) hold their claims. */
export function podHoldsClaims(pod: KubeObject): boolean {
  const phase = (pod.status as Json | undefined)?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}
