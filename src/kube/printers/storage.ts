import { accessModesString } from '../storage/binder.js';
import type { KubeObject } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, column, obj, since, str } from './format.js';
import type { Printer } from './index.js';

/**
 * Printers of PersistentVolume, PersistentVolumeClaim, StorageClass, ResourceQuota and
 * LimitRange, with kubectl 1.32's columns (VolumeMode is wide only; a claim shows capacity and
 * access modes once bound; an object being deleted shows `Terminating`).
 */

const DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
const BETA_CLASS = 'volume.beta.kubernetes.io/storage-class';

function className(o: KubeObject): string {
  const s = obj(o.spec).storageClassName;
  return typeof s === 'string' ? s : (o.metadata.annotations?.[BETA_CLASS] ?? '');
}

function phase(o: KubeObject): string {
  return o.metadata.deletionTimestamp ? 'Terminating' : str(obj(o.status).phase);
}

function unset(v: unknown): string {
  return typeof v === 'string' && v !== '' ? v : '<unset>';
}

export const persistentVolumePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Capacity', 'string', 'capacity is the description of the persistent volume\'s resources and capacity.'),
    column('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
    column('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
    column('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    column('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
    column('StorageClass', 'string', 'storageClassName is the name of StorageClass to which this persistent volume belongs.'),
    column('VolumeAttributesClass', 'string', 'Name of VolumeAttributesClass to which this persistent volume belongs.'),
    column('Reason', 'string', 'reason is a brief CamelCase string that describes any failure.'),
    AGE_COLUMN,
    column('VolumeMode', 'string', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', 1),
  ],
  cells: (o, now) => {
    const s = obj(o.spec);
    const ref = obj(s.claimRef);
    const claim = str(ref.name) ? `${str(ref.namespace)}/${str(ref.name)}` : '';
    return [
      str(o.metadata.name),
      str(obj(s.capacity).storage),
      accessModesString(s.accessModes),
      str(s.persistentVolumeReclaimPolicy),
      phase(o),
      claim,
      className(o),
      unset(s.volumeAttributesClassName),
      str(obj(o.status).reason),
      since(o.metadata.creationTimestamp, now),
      unset(s.volumeMode),
    ];
  },
};

export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
    column('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    column('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
    column('Access Modes', 'string', 'accessModes contains the desired access modes the volume should have.'),
    column('StorageClass', 'string', 'storageClassName is the name of the StorageClass required by the claim.'),
    column('VolumeAttributesClass', 'string', 'volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim.'),
    AGE_COLUMN,
    column('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', 1),
  ],
  cells: (o, now) => {
    const s = obj(o.spec);
    const st = obj(o.status);
    const volume = str(s.volumeName);
    return [
      str(o.metadata.name),
      phase(o),
      volume,
      volume ? str(obj(st.capacity).storage) : '',
      volume ? accessModesString(st.accessModes) : '',
      className(o),
      unset(s.volumeAttributesClassName),
      since(o.metadata.creationTimestamp, now),
      unset(s.volumeMode),
    ];
  },
};

export const storageClassPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
    column('ReclaimPolicy', 'string', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.'),
    column('VolumeBindingMode', 'string', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.'),
    column('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
    AGE_COLUMN,
  ],
  cells: (o, now) => {
    const name = str(o.metadata.name);
    const isDefault = o.metadata.annotations?.[DEFAULT_CLASS] === 'true' || o.metadata.annotations?.['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
    return [
      isDefault ? `${name} (default)` : name,
      str(o.provisioner),
      str(o.reclaimPolicy) || 'Delete',
      str(o.volumeBindingMode) || 'Immediate',
      o.allowVolumeExpansion === true ? 'true' : 'false',
      since(o.metadata.creationTimestamp, now),
    ];
  },
};

export const resourceQuotaPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    AGE_COLUMN,
    column('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    column('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
  ],
  cells: (o, now) => {
    const st = obj(o.status);
    const hard = obj(st.hard);
    const used = obj(st.used);
    const requests: string[] = [];
    const limits: string[] = [];
    for (const k of Object.keys(hard).sort()) {
      const cell = `${k}: ${str(used[k]) || '0'}/${str(hard[k])}`;
      (k.startsWith('limits') ? limits : requests).push(cell);
    }
    return [str(o.metadata.name), since(o.metadata.creationTimestamp, now), requests.join(', '), limits.join(', ')];
  },
};

export const limitRangePrinter: Printer = {
  columns: [NAME_COLUMN, column('Created At', 'date', 'Creation timestamp of the LimitRange')],
  cells: (o) => [str(o.metadata.name), str(o.metadata.creationTimestamp)],
};
