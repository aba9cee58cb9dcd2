import { badRequest, forbidden } from '../../../core/errors.js';
import { isObject } from '../../../core/validate.js';
import type { NewImage } from '../logic/images.js';
import { READONLY_ATTRS, RESERVED_ATTRS, RESERVED_PREFIX, type Visibility } from '../logic/models.js';
import { checkAttr, checkName, isBase } from './attrs.js';

/** Keys a create body may not carry, and how Glance refuses them (all 403). */
export function refuseKey(key: string, creating: boolean): void {
  if (creating && ['direct_url', 'self', 'file', 'schema', 'stores'].includes(key)) throw forbidden(`Attribute '${key}' is read-only.`);
  if (RESERVED_ATTRS.has(key) || key.startsWith(RESERVED_PREFIX)) throw forbidden(`Attribute '${key}' is reserved.`);
  if (READONLY_ATTRS.has(key) && !(creating && key === 'id')) throw forbidden(`Attribute '${key}' is read-only.`);
}

/**
 * `POST /v2/images`: a bare JSON object. Read-only and reserved attributes are refused (403),
 * base attributes are typed (400 on a bad type), and every other key is an extra property whose
 * value must be a string.
 */
export function parseCreate(body: unknown): NewImage {
  if (body === undefined) throw badRequest('Body expected in request.');
  if (!isObject(body)) throw badRequest("Provided object does not match schema 'image': the body must be a JSON object.");
  for (const k of Object.keys(body)) refuseKey(k, true);
  for (const [k, v] of Object.entries(body)) {
    checkName(k);
    checkAttr(k, v);
  }
  const properties: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(body)) if (!isBase(k)) properties[k] = v as string | null;
  const out: NewImage = {
    name: (body.name as string | null | undefined) ?? null,
    protected: (body.protected as boolean | undefined) ?? false,
    osHidden: (body.os_hidden as boolean | undefined) ?? false,
    diskFormat: (body.disk_format as string | null | undefined) ?? null,
    containerFormat: (body.container_format as string | null | undefined) ?? null,
    minDisk: (body.min_disk as number | undefined) ?? 0,
    minRam: (body.min_ram as number | undefined) ?? 0,
    tags: (body.tags as string[] | undefined) ?? [],
    properties,
  };
  if (body.id !== undefined) out.id = body.id as string;
  if (body.visibility !== undefined) out.visibility = body.visibility as Visibility;
  if (body.owner !== undefined) out.owner = body.owner as string | null;
  return out;
}
