import { badRequest } from '../../../core/errors.js';
import { isObject } from '../../../core/validate.js';
import { STORE_ID } from '../views/image.js';

/** Import methods Stratus implements (advertised by /v2/info/import). */
export const IMPORT_METHODS = ['glance-direct'] as const;
export type ImportMethod = (typeof IMPORT_METHODS)[number];

/**
 * `POST /v2/images/{id}/import`: `{"method": {"name": "glance-direct"}, "stores"?: [...],
 * "all_stores"?: bool, "all_stores_must_succeed"?: bool}` (glance `_validate_import_body`).
 */
export function parseImport(body: unknown): ImportMethod {
  if (!isObject(body)) throw badRequest('Body expected in request.');
  if (!isObject(body.method)) throw badRequest("Import request requires a 'method' field.");
  const name = body.method.name;
  if (name === undefined) throw badRequest("Import request requires a 'name' field.");
  if (!IMPORT_METHODS.includes(name as ImportMethod)) throw badRequest(`Unknown import method name '${String(name).slice(0, 60)}'.`);
  for (const k of ['all_stores', 'all_stores_must_succeed']) {
    if (k in body && typeof body[k] !== 'boolean') throw badRequest(`'${k}' must be boolean value only`);
  }
  if ('stores' in body) {
    const stores = body.stores;
    if (!Array.isArray(stores) || stores.some((s) => typeof s !== 'string')) throw badRequest("'stores' must be a list of store identifiers.");
    const unknown = stores.find((s) => s !== STORE_ID);
    if (unknown !== undefined) throw badRequest(`Unknown store: ${String(unknown).slice(0, 60)}.`);
  }
  return name as ImportMethod;
}
