import { KubeError } from '../errors.js';
import { getKey, hasKey, isObject, jsonEqual, setKey, unprocessable, type JsonObject } from './json.js';

/**
 * RFC 6902 JSON patch (`application/json-patch+json`): an array of `add`, `remove`, `replace`,
 * `move`, `copy` and `test` operations on RFC 6901 pointers (`~1` = `/`, `~0` = `~`, `-` =
 * past the end of an array). Operations apply in order to a private copy; the first failure
 * aborts the whole patch, so the target is never half-patched.
 *
 * Errors follow the API server: a body that is not a list of operation objects → 400
 * BadRequest; an operation that cannot apply (unknown op, missing path, failing `test`) → 422.
 *
 * @example jsonPatch({ spec: { replicas: 1 } }, [{ op: 'replace', path: '/spec/replicas', value: 3 }])
 */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) {
    throw KubeError.badRequest('a JSON patch must be a JSON array of operations, e.g. [{"op":"replace","path":"/spec/replicas","value":3}]');
  }
  for (const [i, op] of ops.entries()) {
    if (!isObject(op)) throw KubeError.badRequest(`JSON patch operation ${i} must be an object with "op" and "path"`);
  }
  let doc = structuredClone(target);
  for (const [i, op] of (ops as JsonObject[]).entries()) {
    try {
      doc = applyOp(doc, op);
    } catch (e) {
      if (e instanceof PatchFailure) throw unprocessable(`the JSON patch operation ${i} (${describeOp(op)}) cannot be applied: ${e.message}`);
      throw e;
    }
  }
  return doc;
}

class PatchFailure extends Error {}

function describeOp(op: JsonObject): string {
  const path = typeof op.path === 'string' ? ` ${op.path}` : '';
  return `${typeof op.op === 'string' ? op.op : '?'}${path}`;
}

/** RFC 6901: "" is the whole document; otherwise "/" + tokens. */
export function parsePointer(pointer: unknown, what = 'path'): string[] {
  if (typeof pointer !== 'string') throw new PatchFailure(`"${what}" must be a string JSON pointer`);
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchFailure(`${what} "${pointer}" must be empty or start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => {
      if (/~[^01]|~$/.test(t)) throw new PatchFailure(`${what} "${pointer}" has an invalid escape ("~" must be followed by 0 or 1)`);
      return t.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

function arrayIndex(token: string, length: number, allowEnd: boolean, pointer: string): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchFailure(`"${token}" in "${pointer}" is not an array index`);
  const i = Number(token);
  if (i > length || (!allowEnd && i === length)) throw new PatchFailure(`index ${i} in "${pointer}" is out of range (array length ${length})`);
  return i;
}

/** The container holding the last token of `tokens`; throws when a step is missing. */
function parentOf(doc: unknown, tokens: string[], pointer: string): unknown {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false, pointer)];
    else if (isObject(cur) && hasKey(cur, t)) cur = cur[t];
    else throw new PatchFailure(`path "${pointer}" does not exist`);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw new PatchFailure(`path "${pointer}" does not exist`);
  return cur;
}

function getAt(doc: unknown, tokens: string[], pointer: string): unknown {
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, pointer);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) return parent[arrayIndex(last, parent.length, false, pointer)];
  if (!hasKey(parent as JsonObject, last)) throw new PatchFailure(`path "${pointer}" does not exist`);
  return getKey(parent as JsonObject, last);
}

function addAt(doc: unknown, tokens: string[], value: unknown, pointer: string): unknown {
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, pointer);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true, pointer), 0, value);
  else setKey(parent as JsonObject, last, value);
  return doc;
}

function removeAt(doc: unknown, tokens: string[], pointer: string): unknown {
  if (tokens.length === 0) throw new PatchFailure('cannot remove the whole document');
  const parent = parentOf(doc, tokens, pointer);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(last, parent.length, false, pointer), 1);
  } else {
    if (!hasKey(parent as JsonObject, last)) throw new PatchFailure(`path "${pointer}" does not exist`);
    delete (parent as JsonObject)[last];
  }
  return doc;
}

function valueOf(op: JsonObject): unknown {
  if (!hasKey(op, 'value')) throw new PatchFailure('"value" is required');
  return structuredClone(op.value);
}

function applyOp(doc: unknown, op: JsonObject): unknown {
  const path = parsePointer(op.path);
  const pointer = op.path as string;
  switch (op.op) {
    case 'add':
      return addAt(doc, path, valueOf(op), pointer);
    case 'remove':
      return removeAt(doc, path, pointer);
    case 'replace': {
      const value = valueOf(op);
      getAt(doc, path, pointer); // must exist
      if (path.length === 0) return value;
      const parent = parentOf(doc, path, pointer);
      const last = path[path.length - 1]!;
      if (Array.isArray(parent)) parent[arrayIndex(last, parent.length, false, pointer)] = value;
      else setKey(parent as JsonObject, last, value);
      return doc;
    }
    case 'move': {
      const from = parsePointer(op.from, 'from');
      const fromPointer = op.from as string;
      if (pointer !== fromPointer && pointer.startsWith(`${fromPointer}/`)) throw new PatchFailure(`cannot move "${fromPointer}" into its own child "${pointer}"`);
      const value = getAt(doc, from, fromPointer);
      if (pointer === fromPointer) return doc;
      return addAt(removeAt(doc, from, fromPointer), path, value, pointer);
    }
    case 'copy': {
      const from = parsePointer(op.from, 'from');
      return addAt(doc, path, structuredClone(getAt(doc, from, op.from as string)), pointer);
    }
    case 'test': {
      const expected = valueOf(op);
      const actual = getAt(doc, path, pointer);
      if (!jsonEqual(actual, expected)) throw new PatchFailure(`testing value ${pointer} failed: found ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
      return doc;
    }
    default:
      throw new PatchFailure(`unknown operation ${JSON.stringify(op.op)} (use add, remove, replace, move, copy or test)`);
  }
}
