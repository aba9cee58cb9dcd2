import { getKey, isObject, setKey, type JsonObject } from './json.js';

/**
 * RFC 7386 JSON merge patch (`application/merge-patch+json`): objects merge recursively,
 * `null` deletes a key, anything else (arrays included) replaces. Never mutates its inputs;
 * the result shares no structure with `patch` but may share untouched subtrees of `target`
 * (callers that need full isolation clone first, as `patchObject` does).
 *
 * @example jsonMergePatch({ a: 1, b: { c: 2 } }, { b: { c: null, d: 3 } }) // → { a: 1, b: { d: 3 } }
 */
export function jsonMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: JsonObject = {};
  if (isObject(target)) for (const [k, v] of Object.entries(target)) setKey(out, k, v);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else setKey(out, k, jsonMergePatch(getKey(out, k), v));
  }
  return out;
}
