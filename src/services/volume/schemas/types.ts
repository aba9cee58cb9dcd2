import { badRequest } from '../../../core/errors.js';
import { isObject, str, wrapped } from '../../../core/validate.js';
import type { TypeInput } from '../logic/types.js';
import { boolOf } from './common.js';

/** Extra specs: string keys (1–255) to string values (≤255). */
export function specsOf(v: unknown, field = 'extra_specs'): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw badRequest(`Invalid input for field/attribute ${field}. It must be an object.`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (k.length < 1 || k.length > 255) throw badRequest('Invalid input received: extra spec keys must be 1 to 255 characters.');
    const s = typeof val === 'string' ? val : typeof val === 'number' || typeof val === 'boolean' ? String(val) : undefined;
    if (s === undefined || s.length > 255) throw badRequest(`Invalid input received: the value of extra spec '${k}' must be a string of at most 255 characters.`);
    out[k] = s;
  }
  return out;
}

export function createTypeBody(body: unknown): TypeInput {
  const b = wrapped(body, 'volume_type');
  const name = str(b, 'name', { required: true, max: 255 }).trim();
  if (!name) throw badRequest("Invalid input received: Volume type name can not be empty.");
  const pub = b['os-volume-type-access:is_public'] ?? b.is_public;
  return {
    name,
    description: str(b, 'description', { nullable: true, max: 255 }) ?? null,
    isPublic: pub === undefined || pub === null ? true : boolOf(pub, 'is_public'),
    extraSpecs: specsOf(b.extra_specs),
  };
}

export function updateTypeBody(body: unknown): { name?: string; description?: string | null; isPublic?: boolean } {
  const b = wrapped(body, 'volume_type');
  const out: { name?: string; description?: string | null; isPublic?: boolean } = {};
  const name = str(b, 'name', { nullable: true, max: 255 });
  if (name !== undefined && name !== null) {
    if (!name.trim()) throw badRequest('Invalid input received: Volume type name can not be empty.');
    out.name = name.trim();
  }
  const description = str(b, 'description', { nullable: true, max: 255 });
  if (description !== undefined) out.description = description;
  if (b.is_public !== undefined && b.is_public !== null) out.isPublic = boolOf(b.is_public, 'is_public');
  if (Object.keys(out).length === 0) throw badRequest('Specify volume type name, description, is_public or a combination thereof.');
  return out;
}
