import { invalidArgument } from './errors.js';
import type { Meta } from './models.js';

/** A metadata change: names to set and names to remove (lower-case, without prefix). */
export interface MetaPatch {
  set: Meta;
  remove: string[];
}

export const META_LIMITS = {
  maxNameLength: 128,
  maxValueLength: 256,
  maxCount: 90,
  maxOverallSize: 4096,
} as const;

export const emptyPatch = (): MetaPatch => ({ set: {}, remove: [] });

/**
 * Applies a patch. Account and container metadata drop a name whose new value is empty
 * (`dropEmpty`); object metadata keeps empty values, as Swift does.
 */
export function applyPatch(meta: Meta, patch: MetaPatch, dropEmpty: boolean): Meta {
  const out: Meta = { ...meta };
  for (const k of patch.remove) delete out[k];
  for (const [k, v] of Object.entries(patch.set)) {
    if (dropEmpty && v === '') delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Swift's per-request metadata limits; throws BadRequest naming the one exceeded. */
export function checkMetaLimits(meta: Meta): void {
  const entries = Object.entries(meta);
  if (entries.length > META_LIMITS.maxCount) throw invalidArgument(`Too many metadata items; max ${META_LIMITS.maxCount}.`);
  let total = 0;
  for (const [k, v] of entries) {
    const kn = Buffer.byteLength(k);
    const vn = Buffer.byteLength(v);
    if (kn === 0) throw invalidArgument('Metadata name cannot be empty.');
    if (kn > META_LIMITS.maxNameLength) throw invalidArgument(`Metadata name too long: ${k.slice(0, 40)}…; max ${META_LIMITS.maxNameLength}.`);
    if (vn > META_LIMITS.maxValueLength) throw invalidArgument(`Metadata value longer than ${META_LIMITS.maxValueLength}: ${k}.`);
    total += kn + vn;
  }
  if (total > META_LIMITS.maxOverallSize) throw invalidArgument(`Total metadata too large; max ${META_LIMITS.maxOverallSize}.`);
}
