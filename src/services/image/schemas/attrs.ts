import { badRequest } from '../../../core/errors.js';
import { CONTAINER_FORMATS, DISK_FORMATS, LIMITS, STATUSES, VISIBILITIES } from '../logic/models.js';

/**
 * The image attributes a request may carry, with the types Glance's image schema gives them
 * (glance `get_base_properties()` plus the properties of its default `schema-image.json`).
 * Any other key is an extra property and must be a string.
 */
export type AttrType = 'string' | 'integer' | 'boolean' | 'array';

export interface AttrDef {
  type: AttrType;
  nullable?: boolean;
  enum?: readonly (string | null)[];
  maxLength?: number;
  pattern?: RegExp;
  readOnly?: boolean;
  description: string;
}

const UUID_PATTERN = /^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$/;

export const BASE_DEFS: Record<string, AttrDef> = {
  id: { type: 'string', pattern: UUID_PATTERN, description: 'An identifier for the image' },
  name: { type: 'string', nullable: true, maxLength: LIMITS.nameLength, description: 'Descriptive name for the image' },
  status: { type: 'string', readOnly: true, enum: STATUSES, description: 'Status of the image' },
  visibility: { type: 'string', enum: VISIBILITIES, description: 'Scope of image accessibility' },
  protected: { type: 'boolean', description: 'If true, image will not be deletable.' },
  os_hidden: { type: 'boolean', description: 'If true, image will not appear in default image list response.' },
  checksum: { type: 'string', nullable: true, readOnly: true, maxLength: 32, description: 'md5 hash of image contents.' },
  os_hash_algo: { type: 'string', nullable: true, readOnly: true, maxLength: 64, description: 'Algorithm to calculate the os_hash_value' },
  os_hash_value: { type: 'string', nullable: true, readOnly: true, maxLength: 128, description: 'Hexdigest of the image contents using the algorithm specified by the os_hash_algo' },
  owner: { type: 'string', nullable: true, maxLength: 255, description: 'Owner of the image' },
  size: { type: 'integer', nullable: true, readOnly: true, description: 'Size of image file in bytes' },
  virtual_size: { type: 'integer', nullable: true, readOnly: true, description: 'Virtual size of image in bytes' },
  container_format: { type: 'string', nullable: true, enum: [null, ...CONTAINER_FORMATS], description: 'Format of the container' },
  disk_format: { type: 'string', nullable: true, enum: [null, ...DISK_FORMATS], description: 'Format of the disk' },
  created_at: { type: 'string', readOnly: true, description: 'Date and time of image registration' },
  updated_at: { type: 'string', readOnly: true, description: 'Date and time of the last image modification' },
  tags: { type: 'array', maxLength: LIMITS.tagLength, description: 'List of strings related to the image' },
  direct_url: { type: 'string', readOnly: true, description: 'URL to access the image file kept in external store' },
  min_ram: { type: 'integer', description: 'Amount of ram (in MB) required to boot image.' },
  min_disk: { type: 'integer', description: 'Amount of disk space (in GB) required to boot image.' },
  self: { type: 'string', readOnly: true, description: 'An image self url' },
  file: { type: 'string', readOnly: true, description: 'An image file url' },
  stores: { type: 'string', readOnly: true, description: 'Store in which image data resides.' },
  schema: { type: 'string', readOnly: true, description: 'An image schema url' },
};

/** Glance's default custom properties (etc/schema-image.json). */
export const CUSTOM_DEFS: Record<string, AttrDef> = {
  kernel_id: { type: 'string', nullable: true, pattern: UUID_PATTERN, description: 'ID of image stored in Glance that should be used as the kernel when booting an AMI-style image.' },
  ramdisk_id: { type: 'string', nullable: true, pattern: UUID_PATTERN, description: 'ID of image stored in Glance that should be used as the ramdisk when booting an AMI-style image.' },
  instance_uuid: { type: 'string', description: 'Metadata which can be used to record which instance this image is associated with.' },
  architecture: { type: 'string', description: 'Operating system architecture' },
  os_distro: { type: 'string', description: 'Common name of operating system distribution' },
  os_version: { type: 'string', description: 'Operating system version as specified by the distributor.' },
  description: { type: 'string', description: 'A human-readable string describing this image.' },
  cinder_encryption_key_id: { type: 'string', description: 'Identifier in the Key Management Service for the encryption key of volumes made from this image' },
  cinder_encryption_key_deletion_policy: { type: 'string', enum: ['on_image_deletion', 'do_not_delete'], description: 'When the Image Service deletes the key in cinder_encryption_key_id' },
};

const EXTRA_DEF: AttrDef = { type: 'string', description: 'extra property' };

/** A map lookup that ignores inherited keys (`constructor`, `__proto__`). */
export function own<T>(map: Record<string, T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined;
}

export function isBase(name: string): boolean {
  return own(BASE_DEFS, name) !== undefined;
}

export function defOf(name: string): AttrDef {
  return own(BASE_DEFS, name) ?? own(CUSTOM_DEFS, name) ?? EXTRA_DEF;
}

/** Property names a request may use: 1 to 255 characters, and not `__proto__`. */
export function checkName(name: string): void {
  if (name.length > LIMITS.keyLength) throw badRequest('Custom property should not be greater than 255 characters.');
  if (name.length === 0 || name === '__proto__') throw badRequest(`Invalid property name '${name}'.`);
}

function invalid(name: string, why: string): Error {
  return badRequest(`Provided object does not match schema 'image': ${why} Failed validating '${name}'.`);
}

/** Checks one attribute value against its definition (400 when it does not fit). */
export function checkAttr(name: string, value: unknown): void {
  const def = defOf(name);
  if (value === null) {
    if (def.nullable) return;
    throw invalid(name, `None is not of type '${def.type}'.`);
  }
  switch (def.type) {
    case 'boolean':
      if (typeof value !== 'boolean') throw invalid(name, `${show(value)} is not of type 'boolean'.`);
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalid(name, `${show(value)} is not of type 'integer'.`);
      if (value < 0) throw badRequest(`Invalid value '${value}' for parameter '${name}': Cannot be a negative value.`);
      return;
    case 'array':
      checkTags(value);
      return;
    case 'string':
      checkString(name, def, value);
  }
}

function checkString(name: string, def: AttrDef, value: unknown): void {
  if (typeof value !== 'string') throw invalid(name, `${show(value)} is not of type 'string'.`);
  if (def.maxLength !== undefined && [...value].length > def.maxLength) throw invalid(name, `'${value.slice(0, 40)}…' is too long.`);
  if (def.enum && !def.enum.includes(value)) throw invalid(name, `'${value.slice(0, 40)}' is not one of ${JSON.stringify(def.enum)}.`);
  if (def.pattern && !def.pattern.test(value)) throw invalid(name, `'${value.slice(0, 40)}' does not match '${def.pattern.source}'.`);
}

export function checkTags(value: unknown): asserts value is string[] {
  if (!Array.isArray(value)) throw invalid('tags', `${show(value)} is not of type 'array'.`);
  for (const t of value) {
    if (typeof t !== 'string') throw invalid('tags', `${show(t)} is not of type 'string'.`);
    checkTag(t);
  }
}

/** One tag: 1 to 255 characters. */
export function checkTag(t: string): void {
  if ([...t].length > LIMITS.tagLength) throw invalid('tags', `'${t.slice(0, 40)}…' is too long.`);
  if (t.length === 0) throw badRequest('Tags must not be empty.');
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
