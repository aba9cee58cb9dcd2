import type { DeleteOptions } from '../../api.js';
import { KubeError } from '../../errors.js';
import { RESOURCES, type ResourceType } from '../../resources.js';
import { kubeTime, type KubeObject } from '../../types.js';
import { markCrdTerminating } from '../../apiextensions/crd.js';
import { CRDS } from './custom.js';
import { intOrUndefined } from './objects.js';
import { isObject, obj } from './util.js';

const NAMESPACES = RESOURCES.find((r) => r.resource === 'namespaces')!;
const POLICIES = ['Background', 'Foreground', 'Orphan'];

/** The checks of a DELETE before anything changes: a known propagation policy and the preconditions. */
export function checkDelete(res: ResourceType, name: string, cur: KubeObject, opts: DeleteOptions): void {
  const policy = opts.propagationPolicy;
  if (policy !== undefined && !POLICIES.includes(policy)) throw KubeError.badRequest(`propagationPolicy: Unsupported value: "${String(policy)}": supported values: "Background", "Foreground", "Orphan"`);
  const pre = opts.preconditions ?? {};
  if (pre.uid && pre.uid !== cur.metadata.uid) {
    throw KubeError.conflict(res, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid ?? ''}`);
  }
  if (pre.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
    throw KubeError.conflict(res, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion ?? ''}`);
  }
}

/**
 * What a DELETE makes of `next` (a copy of the stored object, changed in place): a namespace or
 * CRD turns Terminating; a pod on a node gets its grace period; Foreground adds its finalizer;
 * an object with finalizers or a grace period gets `deletionTimestamp`. Answers `removeNow`
 * when nothing is pending, so the object goes at once. (Orphan propagation is the caller's.)
 */
export function markDeleted(res: ResourceType, next: KubeObject, opts: DeleteOptions, now: number): { removeNow: boolean } {
  const meta = next.metadata;
  if (res === CRDS && !meta.deletionTimestamp) markCrdTerminating(next);
  if (res === NAMESPACES) {
    if (!meta.deletionTimestamp) {
      meta.deletionTimestamp = kubeTime(now);
      meta.deletionGracePeriodSeconds = 0;
      obj(next, 'status').phase = 'Terminating';
    }
    return { removeNow: false };
  }
  let grace = 0;
  if (res.resource === 'pods' && res.group === '') {
    const spec = isObject(next.spec) ? next.spec : {};
    const phase = isObject(next.status) ? next.status.phase : undefined;
    const requested = intOrUndefined(opts.gracePeriodSeconds);
    grace = requested !== undefined && requested >= 0 ? requested : typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30;
    if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') grace = 0;
  }
  if (opts.propagationPolicy === 'Foreground' && !(meta.finalizers ?? []).includes('foregroundDeletion')) meta.finalizers = [...(meta.finalizers ?? []), 'foregroundDeletion'];
  const pending = grace > 0 || (meta.finalizers ?? []).length > 0;
  if (pending && (meta.deletionGracePeriodSeconds === undefined || grace < meta.deletionGracePeriodSeconds)) {
    meta.deletionTimestamp = kubeTime(now + grace * 1000);
    meta.deletionGracePeriodSeconds = grace;
  }
  return { removeNow: !pending };
}

/** Marked for deletion and nothing left to wait for: no finalizers, no grace period. */
export function deletionFinished(res: ResourceType, o: KubeObject): boolean {
  const meta = o.metadata;
  if (!meta.deletionTimestamp || (meta.finalizers ?? []).length > 0) return false;
  if (res === NAMESPACES) {
    const fin = isObject(o.spec) ? o.spec.finalizers : undefined;
    return !Array.isArray(fin) || fin.length === 0;
  }
  return !meta.deletionGracePeriodSeconds;
}

/** Dependents of `uid` as they are after Orphan propagation (the reference dropped); unchanged ones are not listed. */
export function orphaned<T extends { obj: KubeObject }>(entries: Iterable<T>, uid: string, copy: (e: T) => KubeObject): { entry: T; next: KubeObject }[] {
  const out: { entry: T; next: KubeObject }[] = [];
  if (!uid) return out;
  for (const e of entries) {
    const refs = e.obj.metadata.ownerReferences;
    if (!refs?.some((r) => r.uid === uid)) continue;
    const next = copy(e);
    next.metadata.ownerReferences = refs.filter((r) => r.uid !== uid);
    if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
    out.push({ entry: e, next });
  }
  return out;
}
