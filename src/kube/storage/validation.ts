import type { KubeObject } from '../types.js';
import { dns1123SubdomainError, isObject, jsonEquals, type Causes, type Json } from '../apiserver/registry/util.js';
import { ACCESS_MODES } from './binder.js';
import { parseQuantity, quantityError } from './quantity.js';
import { validateLimitRange, validateQuota } from './policy-validation.js';

/**
 * Validation of PersistentVolume, PersistentVolumeClaim and StorageClass (422 Invalid with
 * upstream's field paths and wording for the common mistakes), and the dispatch for
 * ResourceQuota and LimitRange (`policy-validation.ts`). Called by the registry's `validate`.
 */
export function validateStorage(o: KubeObject, old: KubeObject | undefined, c: Causes): void {
  switch (o.kind) {
    case 'PersistentVolumeClaim':
      claim(o, old, c);
      break;
    case 'PersistentVolume':
      volume(o, old, c);
      break;
    case 'StorageClass':
      storageClass(o, old, c);
      break;
    case 'ResourceQuota':
      validateQuota(o, c);
      break;
    case 'LimitRange':
      validateLimitRange(o, c);
      break;
    default:
      break;
  }
}

const SORTED_MODES = [...ACCESS_MODES].sort();
const VOLUME_MODES = ['Block', 'Filesystem'];

function accessModes(spec: Json, c: Causes, requiredWhy: string): void {
  const modes = Array.isArray(spec.accessModes) ? spec.accessModes : [];
  if (modes.length === 0) {
    c.raw('spec.accessModes', requiredWhy ? `Required value: ${requiredWhy}` : 'Required value', 'FieldValueRequired');
    return;
  }
  for (const m of modes) if (!(ACCESS_MODES as readonly string[]).includes(String(m))) c.notSupported('spec.accessModes', m, SORTED_MODES);
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) c.forbidden('spec.accessModes', 'may not use ReadWriteOncePod with other access modes');
}

function volumeMode(spec: Json, c: Causes): void {
  if (spec.volumeMode !== undefined && !VOLUME_MODES.includes(String(spec.volumeMode))) c.notSupported('spec.volumeMode', spec.volumeMode, VOLUME_MODES);
}

function positiveQuantity(field: string, v: unknown, c: Causes): void {
  const err = quantityError(v);
  if (err) return c.invalid(field, v, err);
  if ((parseQuantity(v) ?? 0) <= 0) c.invalid(field, v, 'must be greater than zero');
}

function className(spec: Json, c: Causes): void {
  const n = spec.storageClassName;
  if (typeof n === 'string' && n !== '') {
    const err = dns1123SubdomainError(n);
    if (err) c.raw('spec.storageClassName', err);
  }
}

function claim(o: KubeObject, old: KubeObject | undefined, c: Causes): void {
  const spec = isObject(o.spec) ? o.spec : {};
  accessModes(spec, c, 'at least 1 access mode is required');
  volumeMode(spec, c);
  className(spec, c);
  const requests = isObject(spec.resources) && isObject(spec.resources.requests) ? spec.resources.requests : {};
  if (requests.storage === undefined) c.required('spec.resources[storage]');
  else positiveQuantity('spec.resources.requests[storage]', requests.storage, c);
  if (!old) return;
  const was = isObject(old.spec) ? old.spec : {};
  // Allowed changes: the request (bound claims), volumeName and storageClassName once set by
  // the binder or the default-class admission, the attributes class.
  const strip = (s: Json): Json => {
    const out: Json = { ...s, resources: { ...(isObject(s.resources) ? s.resources : {}) } };
    delete (out.resources as Json).requests;
    delete out.volumeAttributesClassName;
    if (!was.volumeName) delete out.volumeName;
    if (was.storageClassName === undefined) delete out.storageClassName;
    return out;
  };
  if (!jsonEquals(strip(spec), strip(was))) {
    c.forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims');
    return;
  }
  const before = isObject(was.resources) && isObject(was.resources.requests) ? was.resources.requests.storage : undefined;
  if (!jsonEquals(requests.storage, before)) {
    const bound = isObject(old.status) && old.status.phase === 'Bound';
    if (!bound) c.forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims');
    else if ((parseQuantity(requests.storage) ?? 0) < (parseQuantity(before) ?? 0)) c.forbidden('spec.resources.requests.storage', 'field can not be less than previous value');
  }
}

/** The volume sources a PV may name (exactly one). */
const SOURCES = ['hostPath', 'local', 'nfs', 'csi', 'iscsi', 'fc', 'rbd', 'cephfs', 'cinder', 'glusterfs', 'flexVolume', 'azureDisk', 'azureFile', 'gcePersistentDisk', 'awsElasticBlockStore', 'vsphereVolume', 'portworxVolume', 'quobyte', 'scaleIO', 'storageos', 'photonPersistentDisk', 'flocker'];

function volume(o: KubeObject, old: KubeObject | undefined, c: Causes): void {
  const spec = isObject(o.spec) ? o.spec : {};
  const capacity = isObject(spec.capacity) ? spec.capacity : undefined;
  if (!capacity || Object.keys(capacity).length === 0) c.required('spec.capacity');
  else {
    for (const k of Object.keys(capacity)) if (k !== 'storage') c.notSupported('spec.capacity', k, ['storage']);
    if (capacity.storage === undefined) c.required('spec.capacity');
    else positiveQuantity('spec.capacity[storage]', capacity.storage, c);
  }
  accessModes(spec, c, '');
  volumeMode(spec, c);
  className(spec, c);
  const policy = spec.persistentVolumeReclaimPolicy;
  if (policy !== undefined && !['Delete', 'Recycle', 'Retain'].includes(String(policy))) c.notSupported('spec.persistentVolumeReclaimPolicy', policy, ['Delete', 'Recycle', 'Retain']);
  const sources = SOURCES.filter((s) => spec[s] !== undefined && spec[s] !== null);
  if (sources.length === 0) c.raw('spec', 'Required value: must specify a volume type', 'FieldValueRequired');
  for (const extra of sources.slice(1)) c.forbidden(`spec.${extra}`, 'may not specify more than 1 volume type');
  const hp = isObject(spec.hostPath) ? spec.hostPath : undefined;
  if (spec.hostPath !== undefined && (!hp || typeof hp.path !== 'string' || hp.path === '')) c.required('spec.hostPath.path');
  if (spec.local !== undefined) {
    const lp = isObject(spec.local) ? spec.local : {};
    if (typeof lp.path !== 'string' || lp.path === '') c.required('spec.local.path');
    if (!isObject(spec.nodeAffinity)) c.raw('spec.nodeAffinity', 'Required value: Local volume requires node affinity', 'FieldValueRequired');
  }
  if (!old) return;
  const was = isObject(old.spec) ? old.spec : {};
  if (!SOURCES.every((s) => jsonEquals(spec[s], was[s]))) c.forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation');
  if ((spec.volumeMode ?? 'Filesystem') !== (was.volumeMode ?? 'Filesystem')) c.invalid('spec.volumeMode', spec.volumeMode, 'field is immutable');
  if (was.nodeAffinity !== undefined && !jsonEquals(spec.nodeAffinity, was.nodeAffinity)) c.forbidden('spec.nodeAffinity', 'field is immutable');
}

function storageClass(o: KubeObject, old: KubeObject | undefined, c: Causes): void {
  if (typeof o.provisioner !== 'string' || o.provisioner === '') c.required('provisioner');
  if (o.reclaimPolicy !== undefined && !['Delete', 'Retain'].includes(String(o.reclaimPolicy))) c.notSupported('reclaimPolicy', o.reclaimPolicy, ['Delete', 'Retain']);
  if (o.volumeBindingMode !== undefined && !['Immediate', 'WaitForFirstConsumer'].includes(String(o.volumeBindingMode))) c.notSupported('volumeBindingMode', o.volumeBindingMode, ['Immediate', 'WaitForFirstConsumer']);
  if (o.allowVolumeExpansion !== undefined && typeof o.allowVolumeExpansion !== 'boolean') c.invalid('allowVolumeExpansion', o.allowVolumeExpansion, 'must be a boolean');
  if (o.parameters !== undefined && !isObject(o.parameters)) c.invalid('parameters', o.parameters, 'must be a map of strings');
  if (!old) return;
  if (!jsonEquals(o.parameters ?? {}, old.parameters ?? {})) c.forbidden('parameters', 'updates to parameters are forbidden.');
  if (o.provisioner !== old.provisioner) c.forbidden('provisioner', 'updates to provisioner are forbidden.');
  if (o.reclaimPolicy !== old.reclaimPolicy) c.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.');
  if (o.volumeBindingMode !== old.volumeBindingMode) c.forbidden('volumeBindingMode', 'field is immutable');
}
