import { KubeError } from '../errors.js';
import { getKey, hasKey, isObject, jsonEqual, setKey, unprocessable, type JsonObject } from './json.js';
import { schemaOf, type FieldMeta, type TypeSchema } from './schema.js';

/**
 * Strategic merge patch (`application/strategic-merge-patch+json`, reference §2.9): JSON merge
 * patch, except that lists with a merge key merge element-wise, union lists merge as sets, and
 * the directives `$patch` (replace | delete | merge), `$retainKeys`,
 * `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>` are honoured. Merge keys
 * come from `schema.ts` by field path per kind.
 *
 * Errors: a patch that is not an object or a malformed directive → 400 BadRequest (as upstream);
 * a list element without its merge key, or patch content outside `$retainKeys` → 422.
 *
 * @example
 * strategicMergePatch(deployment, { spec: { template: { spec: {
 *   '$setElementOrder/containers': [{ name: 'app' }],
 *   containers: [{ name: 'app', image: 'nginx:2' }] } } } }, { group: 'apps', kind: 'Deployment' })
 * // → only the image of container "app" changes; other containers and fields stay
 */
export function strategicMergePatch(original: unknown, patch: unknown, kind: { group: string; kind: string }): unknown {
  if (!isObject(patch)) throw KubeError.badRequest('a strategic merge patch must be a JSON object, e.g. {"spec":{"replicas":3}}');
  return mergeRoot(original, patch, schemaOf(kind), true);
}

/**
 * The merge behind minimal server-side apply: the applied configuration merged onto the live
 * object with the same merge keys, `null` removing a field; `$`-keys are plain data here.
 */
export function applyMerge(live: unknown, applied: unknown, kind: { group: string; kind: string }): unknown {
  if (!isObject(applied)) throw KubeError.badRequest('an apply patch must be a JSON (or YAML) object with apiVersion, kind and metadata.name');
  return mergeRoot(live, applied, schemaOf(kind), false);
}

interface Ctx {
  directives: boolean;
}

const DELETE = Symbol('delete');
const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

function mergeRoot(original: unknown, patch: JsonObject, schema: TypeSchema, directives: boolean): unknown {
  const out = mergeMap(isObject(original) ? original : undefined, patch, schema, { directives }, '');
  if (out === DELETE) throw unprocessable('a patch cannot delete the whole object ("$patch": "delete" at the top level); send a DELETE request instead');
  return out;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function isDirective(key: string, ctx: Ctx): boolean {
  return ctx.directives && key.startsWith('$');
}

function stringList(value: unknown, what: string, path: string): unknown[] {
  if (!Array.isArray(value)) throw KubeError.badRequest(`invalid strategic merge patch: ${what} at "${path || '.'}" must be a list`);
  return value;
}

function mergeMap(original: JsonObject | undefined, patch: JsonObject, type: TypeSchema | undefined, ctx: Ctx, path: string): JsonObject | typeof DELETE {
  let body = patch;
  if (ctx.directives && hasKey(patch, '$patch')) {
    const directive = patch.$patch;
    body = { ...patch };
    delete body.$patch;
    if (directive === 'delete') return DELETE;
    if (directive === 'replace') return mergeMap(undefined, body, type, ctx, path) as JsonObject;
    if (directive !== 'merge') throw KubeError.badRequest(`invalid strategic merge patch: unknown "$patch": ${JSON.stringify(directive)} at "${path || '.'}" (use replace, delete or merge)`);
  }

  const out: JsonObject = {};
  if (original) for (const [k, v] of Object.entries(original)) setKey(out, k, v);

  let retain: unknown[] | undefined;
  const orders = new Map<string, unknown[]>();
  for (const [k, v] of Object.entries(body)) {
    if (!isDirective(k, ctx)) continue;
    if (k === '$retainKeys') {
      retain = stringList(v, '"$retainKeys"', path);
    } else if (k.startsWith(SET_ORDER)) {
      orders.set(k.slice(SET_ORDER.length), stringList(v, `"${k}"`, path));
    } else if (k.startsWith(DELETE_FROM)) {
      const field = k.slice(DELETE_FROM.length);
      const doomed = stringList(v, `"${k}"`, path);
      const current = getKey(out, field);
      if (Array.isArray(current)) setKey(out, field, current.filter((x) => !doomed.some((d) => jsonEqual(d, x))));
    } else {
      throw KubeError.badRequest(`invalid strategic merge patch: unknown directive "${k}" at "${path || '.'}"`);
    }
  }
  if (retain) {
    for (const [k, v] of Object.entries(body)) {
      if (!isDirective(k, ctx) && v !== null && !retain.includes(k)) {
        throw unprocessable(`the strategic merge patch at "${path || '.'}" sets "${k}", which its "$retainKeys" list does not contain; add it to the list`);
      }
    }
  }

  for (const [k, v] of Object.entries(body)) {
    if (isDirective(k, ctx)) continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    const merged = mergeValue(getKey(out, k), v, type?.[k], ctx, join(path, k));
    if (merged === DELETE) delete out[k];
    else setKey(out, k, merged);
  }

  for (const [field, order] of orders) {
    const list = getKey(out, field);
    if (Array.isArray(list)) setKey(out, field, applyOrder(list, order, type?.[field]));
  }
  if (retain) for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  return out;
}

function mergeValue(original: unknown, patch: unknown, meta: FieldMeta | undefined, ctx: Ctx, path: string): unknown {
  if (Array.isArray(patch)) return mergeList(Array.isArray(original) ? original : undefined, patch, meta, ctx, path);
  if (isObject(patch)) return mergeMap(isObject(original) ? original : undefined, patch, meta?.type, ctx, path);
  return patch;
}

function patchDirective(e: unknown, ctx: Ctx): unknown {
  return ctx.directives && isObject(e) ? e.$patch : undefined;
}

function withoutDirective(e: JsonObject): JsonObject {
  const copy = { ...e };
  delete copy.$patch;
  return copy;
}

function mergeList(original: unknown[] | undefined, patch: unknown[], meta: FieldMeta | undefined, ctx: Ctx, path: string): unknown[] {
  const replaceAll = patch.some((e) => patchDirective(e, ctx) === 'replace' && Object.keys(e as JsonObject).length === 1);
  if (replaceAll) {
    return patch.filter((e) => !(patchDirective(e, ctx) === 'replace' && Object.keys(e as JsonObject).length === 1)).map((e, i) => fresh(e, meta, ctx, `${path}[${i}]`));
  }

  const key = meta?.mergeKey;
  if (key) {
    const out = original ? [...original] : [];
    patch.forEach((e, i) => {
      const at = `${path}[${i}]`;
      if (!isObject(e)) throw KubeError.badRequest(`invalid strategic merge patch: "${path}" is merged by "${key}", so each element must be an object (element ${i} is ${JSON.stringify(e)})`);
      if (!hasKey(e, key)) throw unprocessable(`the element ${at} of the strategic merge patch does not contain the merge key "${key}"; every element of "${path}" needs it`);
      const same = (o: unknown): boolean => isObject(o) && jsonEqual(getKey(o, key), e[key]);
      const idx = out.findIndex(same);
      const directive = patchDirective(e, ctx);
      if (directive === 'delete') {
        for (let j = out.length - 1; j >= 0; j--) if (same(out[j])) out.splice(j, 1);
        return;
      }
      const merged =
        directive === 'replace'
          ? (mergeMap(undefined, withoutDirective(e), meta?.type, ctx, at) as JsonObject)
          : mergeMap(idx >= 0 && isObject(out[idx]) ? (out[idx] as JsonObject) : undefined, e, meta?.type, ctx, at);
      if (merged === DELETE) {
        if (idx >= 0) out.splice(idx, 1);
      } else if (idx >= 0) {
        out[idx] = merged;
      } else {
        out.push(merged);
      }
    });
    return out;
  }

  if (meta?.union) {
    const out = original ? [...original] : [];
    for (const e of patch) if (!out.some((o) => jsonEqual(o, e))) out.push(structuredClone(e));
    return out;
  }

  // Atomic list: replaced whole, as in a JSON merge patch.
  return structuredClone(patch);
}

/** A patch value with no original to merge into: directives applied, nulls dropped. */
function fresh(e: unknown, meta: FieldMeta | undefined, ctx: Ctx, path: string): unknown {
  const v = mergeValue(undefined, e, meta, ctx, path);
  return v === DELETE ? {} : v;
}

/**
 * `$setElementOrder/<field>`: listed elements first, in the listed order (matched by merge key,
 * or by value for primitive lists); elements the order does not mention keep their relative
 * order after them.
 */
function applyOrder(list: unknown[], order: unknown[], meta: FieldMeta | undefined): unknown[] {
  const key = meta?.mergeKey;
  const identity = (e: unknown): unknown => (key && isObject(e) ? getKey(e, key) : e);
  const used = new Set<number>();
  const out: unknown[] = [];
  for (const o of order) {
    const want = identity(o);
    const idx = list.findIndex((e, i) => !used.has(i) && jsonEqual(identity(e), want));
    if (idx >= 0) {
      used.add(idx);
      out.push(list[idx]);
    }
  }
  list.forEach((e, i) => {
    if (!used.has(i)) out.push(e);
  });
  return out;
}
