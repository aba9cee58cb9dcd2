import type { PatchType, WriteOptions } from '../../api.js';
import { KubeError } from '../../errors.js';
import { apiVersionOf, findResource, type ResourceType } from '../../resources.js';
import type { FieldSelector } from '../../selectors.js';
import type { KubeObject } from '../../types.js';
import { defaultCrd, initialCrdStatus, updateStoredVersions, validateCrd } from '../../apiextensions/crd.js';
import { setValueAt, valueAt } from '../../apiextensions/custom.js';
import { isObject } from './util.js';
import { validate } from './validation.js';

/**
 * Registry hooks for CustomResourceDefinitions and custom objects (kinds with `res.custom`):
 * admission in place of the built-in defaults/validation, Scale through the CRD's paths, the
 * version an object is served in, and the patch types custom resources refuse.
 */

export const CRDS = findResource('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;

function warn(opts: WriteOptions, warnings: string[]): void {
  if (warnings.length) (opts.warnings ??= []).push(...warnings);
}

export function admitCreate(res: ResourceType, o: KubeObject, opts: WriteOptions): void {
  if (res.custom) return warn(opts, res.custom.admit(o, undefined, opts));
  defaultCrd(o);
  initialCrdStatus(o);
  validate(res, o);
  warn(opts, validateCrd(res, o));
}

export function admitUpdate(res: ResourceType, next: KubeObject, old: KubeObject, opts: WriteOptions): void {
  if (res.custom) return warn(opts, res.custom.admit(next, old, opts));
  defaultCrd(next);
  validate(res, next, old);
  warn(opts, validateCrd(res, next, old));
  updateStoredVersions(next);
}

/** Objects of a multi-version CRD are stored in the version written; each version serves them as its own (strategy None). */
export function asServed(res: ResourceType, o: KubeObject): KubeObject {
  if (!res.custom) return o;
  const gv = apiVersionOf(res);
  return o.apiVersion === gv ? o : { ...o, apiVersion: gv };
}

export function checkCustomFields(res: ResourceType, sel: FieldSelector): void {
  res.custom?.checkFieldSelector(sel);
}

/** Custom resources take JSON, merge and apply patches; strategic merge needs Go types (415, as upstream). */
export function refuseStrategic(res: ResourceType, type: PatchType): void {
  if (res.custom && type === 'strategic') {
    throw new KubeError(
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
  }
}

/** autoscaling/v1 Scale of a custom object, read through the CRD's scale paths. */
export function customScaleOf(res: ResourceType, o: Readonly<KubeObject>): KubeObject {
  const paths = res.custom!.scale!;
  const int = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : 0);
  const m = o.metadata;
  const selector = paths.labelSelectorPath ? valueAt(o, paths.labelSelectorPath) : undefined;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: int(valueAt(o, paths.specReplicasPath)) },
    status: { replicas: int(valueAt(o, paths.statusReplicasPath)), ...(typeof selector === 'string' ? { selector } : {}) },
  };
}

/**
 * Writes `replicas` at the spec replicas path, then validates the object against its schema
 * (a `maximum` on replicas holds for `kubectl scale` too); false when nothing changes.
 */
export function customSetReplicas(res: ResourceType, next: KubeObject, replicas: number, old: KubeObject): boolean {
  const path = res.custom!.scale!.specReplicasPath;
  if (valueAt(next, path) === replicas) return false;
  setValueAt(next as unknown as Record<string, unknown>, path, replicas);
  if (!isObject(next.spec)) throw KubeError.internal('scale: the spec replicas path did not land under spec');
  res.custom!.admit(next, old, {});
  next.metadata.generation = (next.metadata.generation ?? 1) + 1;
  return true;
}
