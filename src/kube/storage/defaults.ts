import type { KubeObject } from '../types.js';
import { defaultLimitRange } from './limits.js';

type Json = Record<string, unknown>;

function spec(o: KubeObject): Json {
  if (typeof o.spec !== 'object' || o.spec === null || Array.isArray(o.spec)) o.spec = {};
  return o.spec as Json;
}

/**
 * API defaults of the storage and policy kinds (create and every update; never overrides a
 * value the client set): PV reclaim policy Retain and volume mode Filesystem, PVC volume mode
 * Filesystem, StorageClass reclaim policy Delete and binding mode Immediate, LimitRange
 * container items (`limits.ts`). The default storage class of a claim is admission's job.
 */
export function storageDefaults(o: KubeObject): void {
  switch (`${o.apiVersion}/${o.kind}`) {
    case 'v1/PersistentVolume': {
      const s = spec(o);
      s.persistentVolumeReclaimPolicy ??= 'Retain';
      s.volumeMode ??= 'Filesystem';
      break;
    }
    case 'v1/PersistentVolumeClaim':
      spec(o).volumeMode ??= 'Filesystem';
      break;
    case 'storage.k8s.io/v1/StorageClass':
      o.reclaimPolicy ??= 'Delete';
      o.volumeBindingMode ??= 'Immediate';
      break;
    case 'v1/LimitRange':
      defaultLimitRange(o);
      break;
    default:
      break;
  }
}

/** Status on create: claims and volumes start Pending; a quota's status is the controller's. */
export function storageInitialStatus(o: KubeObject): void {
  switch (o.kind) {
    case 'PersistentVolume':
    case 'PersistentVolumeClaim':
      o.status = { phase: 'Pending' };
      break;
    case 'ResourceQuota':
      o.status = {};
      break;
    default:
      break;
  }
}
