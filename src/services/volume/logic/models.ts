/**
 * Domain records of the block storage service (camelCase; wire names live in views/).
 * Timestamps are epoch milliseconds.
 */

/** Who acts: the project the work belongs to, and whether the caller may see every project. */
export interface Caller {
  userId: string;
  projectId: string;
  roles: string[];
  admin: boolean;
}

export type VolumeStatus =
  | 'creating'
  | 'available'
  | 'attaching'
  | 'in-use'
  | 'detaching'
  | 'extending'
  | 'deleting'
  | 'error'
  | 'error_deleting'
  | 'error_extending'
  | 'maintenance'
  | 'reserved'
  | 'error_restoring'
  | 'error_managing'
  | 'awaiting-transfer'
  | 'uploading';

/** Every status os-reset_status accepts. */
export const VOLUME_STATUSES: readonly VolumeStatus[] = [
  'creating',
  'available',
  'attaching',
  'in-use',
  'detaching',
  'extending',
  'deleting',
  'error',
  'error_deleting',
  'error_extending',
  'maintenance',
  'reserved',
  'error_restoring',
  'error_managing',
  'awaiting-transfer',
  'uploading',
];

/** Where a new volume's bytes come from. */
export type VolumeSource =
  | { kind: 'blank' }
  | { kind: 'image'; imageId: string }
  | { kind: 'snapshot'; snapshotId: string }
  | { kind: 'volume'; volumeId: string };

/**
 * Work the reconciler still owes a record. The API writes it together with the transitional
 * status; the reconciler clears it when it records the outcome. `id` tells one request from a
 * later one that replaced it (a delete while a create runs).
 */
export type VolumeTask =
  | { id: string; op: 'create'; source: VolumeSource; caller: Caller }
  | { id: string; op: 'extend'; newSize: number }
  | { id: string; op: 'delete' }
  /** os-volume_upload_image: the bytes go to `imageId`; then the volume is `restore` again. */
  | { id: string; op: 'upload'; imageId: string; caller: Caller; restore: 'available' | 'in-use' };

export interface Attachment {
  id: string;
  serverId: string | null;
  hostName: string | null;
  device: string | null;
  mode: 'rw' | 'ro';
  /** `reserved` between os-reserve and os-attach; `attached` after. */
  state: 'reserved' | 'attached';
  attachedAt: number | null;
}

export interface Volume {
  id: string;
  projectId: string;
  userId: string;
  name: string | null;
  description: string | null;
  size: number;
  status: VolumeStatus;
  availabilityZone: string;
  bootable: boolean;
  /** null until os-update_readonly_flag sets it (Cinder shows it in metadata only then). */
  readonly: boolean | null;
  volumeTypeId: string;
  metadata: Record<string, string>;
  snapshotId: string | null;
  sourceVolid: string | null;
  /** Image properties copied at create-from-image (volume_image_metadata). */
  imageMetadata: Record<string, string> | null;
  attachments: Attachment[];
  task: VolumeTask | null;
  /** Why the last operation failed (for operators and logs; not on the wire). */
  error: string | null;
  createdAt: number;
  updatedAt: number | null;
}

export type SnapshotStatus = 'creating' | 'available' | 'deleting' | 'error' | 'error_deleting';

export type SnapshotTask = { id: string; op: 'create' } | { id: string; op: 'delete' };

export interface Snapshot {
  id: string;
  volumeId: string;
  projectId: string;
  userId: string;
  name: string | null;
  description: string | null;
  size: number;
  status: SnapshotStatus;
  metadata: Record<string, string>;
  task: SnapshotTask | null;
  error: string | null;
  /** Set by os-update_snapshot_status; otherwise derived from the status. */
  progress?: string;
  createdAt: number;
  updatedAt: number | null;
}

export interface VolumeType {
  id: string;
  name: string;
  description: string | null;
  isPublic: boolean;
  extraSpecs: Record<string, string>;
  /** Projects given access to a private type. */
  projects: string[];
  /** The QoS specs associated with the type (qos-specs associate). */
  qosSpecsId?: string | null;
  /** Encryption of volumes of this type (types/{id}/encryption), when set. */
  encryption?: TypeEncryption | null;
  createdAt: number;
}

/**
 * A pending volume transfer (os-volume-transfer). The auth key is given to the creator once;
 * only its salted SHA-256 is kept.
 */
export interface Transfer {
  id: string;
  volumeId: string;
  /** The giving project and user. */
  projectId: string;
  userId: string;
  name: string | null;
  salt: string;
  keyHash: string;
  createdAt: number;
}

export type QosConsumer = 'front-end' | 'back-end' | 'both';

/** QoS specs (qos-specs): limits handed to the consumer that enforces them. */
export interface QosSpecs {
  id: string;
  name: string;
  consumer: QosConsumer;
  specs: Record<string, string>;
  createdAt: number;
}

/** A volume type's encryption settings (Cinder's encryption type). */
export interface TypeEncryption {
  encryptionId: string;
  provider: string;
  cipher: string | null;
  keySize: number | null;
  controlLocation: 'front-end' | 'back-end';
  createdAt: number;
  updatedAt: number | null;
}

export const QUOTA_RESOURCES = ['volumes', 'snapshots', 'gigabytes', 'backups', 'backup_gigabytes', 'per_volume_gigabytes', 'groups'] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];
export type QuotaLimits = Record<QuotaResource, number>;

/** Cinder's defaults (-1 means unlimited). */
export const DEFAULT_QUOTAS: QuotaLimits = {
  volumes: 10,
  snapshots: 10,
  gigabytes: 1000,
  backups: 10,
  backup_gigabytes: 1000,
  per_volume_gigabytes: -1,
  groups: 10,
};

/** Resources Cinder also limits per volume type (`volumes_<type name>` on the wire). */
export const TYPED_RESOURCES = ['volumes', 'gigabytes', 'snapshots'] as const;
export type TypedResource = (typeof TYPED_RESOURCES)[number];
export type TypedLimits = Record<TypedResource, number>;
/** Per-type limits by volume type id (so a renamed type keeps its limits). */
export type TypeQuotaMap = Record<string, Partial<TypedLimits>>;

export interface QuotaSet {
  /** The project id (or the quota class name). */
  id: string;
  limits: Partial<QuotaLimits>;
  /** Per-volume-type overrides; a type not named here is unlimited (-1). */
  typeLimits?: TypeQuotaMap;
}

export interface QuotaUsage {
  volumes: number;
  snapshots: number;
  gigabytes: number;
  /** The same counts per volume type id. */
  byType: Record<string, TypedLimits>;
}

export const AVAILABILITY_ZONE = 'nova';
export const DEFAULT_TYPE_NAME = '__DEFAULT__';
