import type { PatchType } from '../api.js';
import { KubeError } from '../errors.js';
import { apiVersionOf, type ResourceType } from '../resources.js';
import type { KubeObject } from '../types.js';
import { isObject, unprocessable } from './json.js';
import { jsonMergePatch } from './json-merge.js';
import { jsonPatch } from './json-patch.js';
import { applyMerge, strategicMergePatch } from './strategic.js';

export { jsonMergePatch } from './json-merge.js';
export { jsonPatch } from './json-patch.js';
export { strategicMergePatch } from './strategic.js';

/**
 * Applies a PATCH body of `type` to `original` and returns the patched object; neither input is
 * mutated and the result shares nothing with them.
 *
 * - `merge`: RFC 7386 (`kubectl label`, `annotate`, `scale`, `patch --type=merge`).
 * - `json`: RFC 6902 (`kubectl patch --type=json`).
 * - `strategic`: strategic merge patch with the kind's merge keys (`kubectl apply`, `set
 *   image`, `rollout restart`, `cordon`, `edit`, default `patch`).
 * - `apply`: minimal server-side apply: the applied configuration merged onto the live object
 *   by the same merge keys (no field ownership, so never a conflict). The registry handles the
 *   "object absent → create" case before calling this.
 *
 * The caller (registry) still validates the result: immutable fields, name, status rules.
 * Errors: malformed bodies → 400 BadRequest; patches that cannot apply, or whose result is not
 * an object with `metadata` of the same kind → 422 Invalid.
 */
export function patchObject(type: PatchType, original: KubeObject, patch: unknown, res: ResourceType): KubeObject {
  const live = structuredClone(original);
  const kind = { group: res.group, kind: res.kind };
  let out: unknown;
  switch (type) {
    case 'merge':
      if (!isObject(patch)) throw KubeError.badRequest('a JSON merge patch must be a JSON object, e.g. {"metadata":{"labels":{"app":"web"}}}');
      out = jsonMergePatch(live, patch);
      break;
    case 'json':
      out = jsonPatch(live, patch);
      break;
    case 'strategic':
      out = strategicMergePatch(live, patch, kind);
      break;
    case 'apply':
      checkApplied(patch, res, original);
      out = applyMerge(live, patch, kind);
      break;
    default:
      throw KubeError.unsupportedMediaType(String(type));
  }
  if (!isObject(out) || !isObject(out.metadata)) throw unprocessable(`the patched ${res.kind} must stay an object with a "metadata" object`);
  if (out.kind !== original.kind || (out.apiVersion !== original.apiVersion && out.apiVersion !== apiVersionOf(res))) {
    throw unprocessable(`a patch cannot change apiVersion/kind of ${res.kind} "${original.metadata.name ?? ''}" (from ${original.apiVersion}/${original.kind} to ${String(out.apiVersion)}/${String(out.kind)})`);
  }
  return structuredClone(out) as KubeObject;
}

/**
 * Server-side apply bodies are whole objects of the URL's kind (or of the object patched, for
 * subresources such as autoscaling/v1 Scale).
 */
function checkApplied(patch: unknown, res: ResourceType, original: KubeObject): void {
  if (!isObject(patch)) return; // applyMerge reports it
  const apiVersion = apiVersionOf(res);
  if (patch.kind !== undefined && patch.kind !== res.kind && patch.kind !== original.kind) {
    throw KubeError.badRequest(`the apply body has kind ${JSON.stringify(patch.kind)} but the URL names ${res.kind}; send the object to its own resource`);
  }
  if (patch.apiVersion !== undefined && patch.apiVersion !== apiVersion && patch.apiVersion !== original.apiVersion) {
    throw KubeError.badRequest(`the apply body has apiVersion ${JSON.stringify(patch.apiVersion)} but the URL names ${apiVersion}`);
  }
}
