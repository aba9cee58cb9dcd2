import { KubeError } from '../errors.js';
import { RESOURCES, type ResourceType } from '../resources.js';
import type { KubeObject } from '../types.js';
import { claimClass, defaultClass, PV_PROTECTION, PVC_PROTECTION } from './binder.js';
import { applyLimitDefaults, claimLimitViolations, podLimitViolations } from './limits.js';
import { parseQuantity } from './quantity.js';
import { quotaRefusal, quotaUsage, type ObjectLister } from './quota.js';

/**
 * The admission plugins of storage and policy, run by the registry on writes:
 *
 * - mutating (`admitMutate`, before validation): DefaultStorageClass (a claim without
 *   `storageClassName` gets the default class), StorageObjectInUseProtection (the
 *   `kubernetes.io/pvc-protection` / `pv-protection` finalizers), LimitRanger defaults;
 * - validating (`admitValidate`, after validation): LimitRanger min/max, ResourceQuota (usage
 *   computed from the store at that instant, so two creates can never both squeeze under a
 *   limit: the registry runs writes one at a time), PersistentVolumeClaimResize.
 *
 * Refusals are 403 Forbidden `<resource> "<name>" is forbidden: …` with upstream's wording.
 *
 * NOTE: upstream's quota admission reads `status.used` and refuses while it is unknown; here
 * the usage is counted live, which is exact and needs no controller round trip. The quota
 * controller still publishes `status.hard`/`status.used` for `kubectl describe quota`.
 */

const core = (name: string) => RESOURCES.find((r) => r.group === '' && r.resource === name)!;
const PVCS = core('persistentvolumeclaims');
const PVS = core('persistentvolumes');
const QUOTAS = core('resourcequotas');
const LIMITRANGES = core('limitranges');
const CLASSES = RESOURCES.find((r) => r.group === 'storage.k8s.io' && r.resource === 'storageclasses')!;

export interface AdmissionContext {
  /** Stored objects of a kind; for cluster-scoped kinds `namespace` is ignored. */
  list: ObjectLister;
  /** One stored object, or undefined. */
  get(res: ResourceType, namespace: string | undefined, name: string): Readonly<KubeObject> | undefined;
}

function isCore(res: ResourceType, name: string): boolean {
  return res.group === '' && res.resource === name;
}

function addFinalizer(o: KubeObject, f: string): void {
  const list = o.metadata.finalizers ?? [];
  if (!list.includes(f)) o.metadata.finalizers = [...list, f];
}

/** Mutating admission of a create (`old` undefined) or update. May change `o`. */
export function admitMutate(ctx: AdmissionContext, res: ResourceType, o: KubeObject, old?: KubeObject): void {
  if (old) return;
  const ns = o.metadata.namespace ?? '';
  if (isCore(res, 'persistentvolumeclaims')) {
    addFinalizer(o, PVC_PROTECTION);
    const spec = (o.spec ??= {}) as Record<string, unknown>;
    if (spec.storageClassName === undefined && !o.metadata.annotations?.['volume.beta.kubernetes.io/storage-class']) {
      const def = defaultClass(ctx.list(CLASSES, ''));
      if (def) spec.storageClassName = def.metadata.name;
    }
  } else if (isCore(res, 'persistentvolumes')) {
    addFinalizer(o, PV_PROTECTION);
  } else if (isCore(res, 'pods')) {
    applyLimitDefaults(o, ctx.list(LIMITRANGES, ns));
  }
}

function forbidden(res: ResourceType, o: KubeObject, errs: string[]): KubeError {
  return KubeError.forbidden(res, o.metadata.name ?? '', errs.length === 1 ? errs[0]! : `[${errs.join(', ')}]`);
}

/** Validating admission; throws 403 Forbidden. */
export function admitValidate(ctx: AdmissionContext, res: ResourceType, o: KubeObject, old?: KubeObject): void {
  const ns = o.metadata.namespace;
  if (!ns) return;
  if (isCore(res, 'persistentvolumeclaims') && old) return checkResize(ctx, o, old);
  if (old) return;
  if (isCore(res, 'pods')) {
    const errs = podLimitViolations(o, ctx.list(LIMITRANGES, ns));
    if (errs.length) throw forbidden(res, o, errs);
  } else if (isCore(res, 'persistentvolumeclaims')) {
    const errs = claimLimitViolations(o, ctx.list(LIMITRANGES, ns));
    if (errs.length) throw forbidden(res, o, errs);
  }
  for (const quota of ctx.list(QUOTAS, ns)) {
    const why = quotaRefusal(quota, res, o, quotaUsage(quota, ctx.list));
    if (why) throw KubeError.forbidden(res, o.metadata.name ?? '', why);
  }
}

/** A bound claim may grow only when its class allows expansion (PersistentVolumeClaimResize). */
function checkResize(ctx: AdmissionContext, o: KubeObject, old: KubeObject): void {
  const req = (x: KubeObject) => parseQuantity(((x.spec as { resources?: { requests?: { storage?: unknown } } } | undefined)?.resources?.requests?.storage) ?? 0) ?? 0;
  if (req(o) <= req(old)) return;
  const cls = claimClass(o);
  const sc = cls ? ctx.get(CLASSES, undefined, cls) : undefined;
  const name = (o.spec as { volumeName?: string } | undefined)?.volumeName;
  const pv = name ? ctx.get(PVS, undefined, name) : undefined;
  if (!sc || sc.allowVolumeExpansion !== true || !pv) {
    throw KubeError.forbidden(PVCS, o.metadata.name ?? '', 'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize');
  }
  for (const quota of ctx.list(QUOTAS, o.metadata.namespace ?? '')) {
    const grown = structuredClone(o);
    (grown.spec as { resources: { requests: { storage: number } } }).resources.requests.storage = req(o) - req(old);
    const why = quotaRefusal(quota, PVCS, grown, quotaUsage(quota, ctx.list));
    if (why && /requests\.storage|storageclass/.test(why)) throw KubeError.forbidden(PVCS, o.metadata.name ?? '', why);
  }
}

