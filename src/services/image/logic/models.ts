/**
 * The image domain: what Stratus stores for a Glance image and its members. Field names are
 * camelCase; the wire names live in views/ and schemas/.
 */

export const KIND = {
  image: 'image.image',
  member: 'image.member',
} as const;

/** Glance's image statuses (`killed` and `pending_delete` are never entered here). */
export type ImageStatus = 'queued' | 'saving' | 'active' | 'killed' | 'deleted' | 'uploading' | 'importing' | 'pending_delete' | 'deactivated';
export const STATUSES: readonly ImageStatus[] = ['queued', 'saving', 'active', 'killed', 'deleted', 'uploading', 'importing', 'pending_delete', 'deactivated'];

export type Visibility = 'public' | 'private' | 'shared' | 'community';
export const VISIBILITIES: readonly Visibility[] = ['community', 'public', 'private', 'shared'];

export type MemberStatus = 'pending' | 'accepted' | 'rejected';
export const MEMBER_STATUSES: readonly MemberStatus[] = ['pending', 'accepted', 'rejected'];

/** Glance's default `[image_format]` lists. */
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const;
export const DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'] as const;

/** Bytes staged with `PUT …/stage`, waiting for `POST …/import`. */
export interface StagedData {
  key: string;
  size: number;
  checksum: string;
  osHashValue: string;
  virtualSize: number | null;
}

export interface Image {
  id: string;
  name: string | null;
  status: ImageStatus;
  visibility: Visibility;
  protected: boolean;
  osHidden: boolean;
  /** Project id; null only for images made by an unscoped admin. */
  owner: string | null;
  diskFormat: string | null;
  containerFormat: string | null;
  minDisk: number;
  minRam: number;
  size: number | null;
  virtualSize: number | null;
  checksum: string | null;
  osHashAlgo: string | null;
  osHashValue: string | null;
  tags: string[];
  /** Extra properties: arbitrary string keys (kernel_id/ramdisk_id may be null, as in Glance). */
  properties: Record<string, string | null>;
  createdAt: number;
  updatedAt: number;
  /** Blob holding the data of an active or deactivated image. */
  blobKey: string | null;
  staged: StagedData | null;
}

export interface Member {
  /** `<imageId>:<memberId>`. */
  id: string;
  imageId: string;
  memberId: string;
  status: MemberStatus;
  createdAt: number;
  updatedAt: number;
}

export function memberKey(imageId: string, memberId: string): string {
  return `${imageId}:${memberId}`;
}

/** Attributes that are fields of Image rather than extra properties, by wire name. */
export const BASE_ATTRS = [
  'id',
  'name',
  'status',
  'visibility',
  'protected',
  'os_hidden',
  'owner',
  'disk_format',
  'container_format',
  'min_disk',
  'min_ram',
  'size',
  'virtual_size',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'tags',
  'created_at',
  'updated_at',
] as const;

/** Glance's read-only attributes: setting them is a 403. */
export const READONLY_ATTRS = new Set([
  'created_at',
  'updated_at',
  'status',
  'checksum',
  'size',
  'virtual_size',
  'direct_url',
  'self',
  'file',
  'schema',
  'id',
  'os_hash_algo',
  'os_hash_value',
  'stores',
]);
/** Reserved names (also 403), plus the `os_glance` namespace. */
export const RESERVED_ATTRS = new Set(['location', 'locations', 'deleted', 'deleted_at']);
export const RESERVED_PREFIX = 'os_glance';

/** Glance's default per-image limits (image_property_quota, image_tag_quota, image_member_quota). */
export const LIMITS = { properties: 128, tags: 128, members: 128, keyLength: 255, tagLength: 255, nameLength: 255 } as const;
