import { bool, str, strList, type Json } from '../../../core/validate.js';

/** The fields a domain or project update may change. */
export interface NamedPatch {
  name?: string;
  description?: string;
  enabled?: boolean;
  tags?: string[];
}

/**
 * The name/description/enabled/tags part of a domain or project update body: a name of 1-64
 * characters, a description (null clears it; at most `descriptionMax` characters when given),
 * `enabled` and `tags`. Fields left out stay out of the patch.
 */
export function namedPatch(b: Json, descriptionMax?: number): NamedPatch {
  const patch: NamedPatch = {};
  const name = str(b, 'name', { min: 1, max: 64 });
  const description = str(b, 'description', { nullable: true, max: descriptionMax });
  const enabled = bool(b, 'enabled');
  const tags = strList(b, 'tags');
  if (name) patch.name = name;
  if (description !== undefined) patch.description = description ?? '';
  if (enabled !== undefined) patch.enabled = enabled;
  if (tags) patch.tags = tags;
  return patch;
}
