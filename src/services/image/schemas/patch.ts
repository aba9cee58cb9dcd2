import { badRequest, forbidden } from '../../../core/errors.js';
import { isObject } from '../../../core/validate.js';
import type { Change, SettableField } from '../logic/patch.js';
import { checkAttr, checkName, own } from './attrs.js';
import { refuseKey } from './create.js';

/**
 * Image PATCH media types: v2.1 is RFC 6902 (`{"op": "replace", "path": "/name", "value": …}`),
 * v2.0 the older draft-4 form (`{"replace": "/name", "value": …}`), which tempest still sends.
 */
export const PATCH_MEDIA_TYPES: Record<string, 4 | 10> = {
  'application/openstack-images-v2.0-json-patch': 4,
  'application/openstack-images-v2.1-json-patch': 10,
};

const OPS = ['add', 'remove', 'replace'] as const;
type Op = (typeof OPS)[number];

const FIELD_OF: Record<string, SettableField> = {
  name: 'name',
  visibility: 'visibility',
  protected: 'protected',
  os_hidden: 'osHidden',
  owner: 'owner',
  disk_format: 'diskFormat',
  container_format: 'containerFormat',
  min_disk: 'minDisk',
  min_ram: 'minRam',
  tags: 'tags',
};

/** Parses and validates a PATCH body into changes (glance `RequestDeserializer.update`). */
export function parsePatch(body: unknown, draft: 4 | 10): Change[] {
  if (body === undefined) throw badRequest('Body expected in request.');
  if (!Array.isArray(body)) throw badRequest('Request body must be a JSON array of operation objects.');
  return body.map((raw) => parseChange(raw, draft));
}

function parseChange(raw: unknown, draft: 4 | 10): Change {
  if (!isObject(raw)) throw badRequest('Operations must be JSON objects.');
  const { op, pointer } = draft === 10 ? opAndPathD10(raw) : opAndPathD4(raw);
  const path = decodePointer(pointer);
  const root = path[0]!;
  if (root === 'locations') throw forbidden('Image locations are not exposed by this cloud.');
  if (path.length !== 1) throw badRequest(`Invalid JSON pointer for this resource: '/${path.join('/')}'`);
  checkName(root);
  if (op !== 'remove' && !('value' in raw)) throw badRequest(`Operation "${op}" requires a member named "value".`);
  refuseKey(root, false);
  if (op !== 'remove') checkAttr(root, raw.value);
  const field = own(FIELD_OF, root);
  const change: Change = { op, target: field ? { field } : { property: root }, label: root, strictAdd: draft === 4 };
  if (op !== 'remove') change.value = raw.value;
  return change;
}

function opAndPathD10(raw: Record<string, unknown>): { op: Op; pointer: string } {
  const op = raw.op;
  if (op === undefined) throw badRequest('Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.');
  if (!OPS.includes(op as Op)) throw badRequest(`Invalid operation: \`${String(op).slice(0, 40)}\`. It must be one of the following: add, remove, replace.`);
  if (!('path' in raw)) throw badRequest("Unable to find 'path' in JSON Schema change");
  if (typeof raw.path !== 'string') throw badRequest('The `path` of a change must be a string.');
  return { op: op as Op, pointer: raw.path };
}

function opAndPathD4(raw: Record<string, unknown>): { op: Op; pointer: string } {
  const present = OPS.filter((k) => k in raw);
  if (present.length > 1) throw badRequest('Operation objects must contain only one member named "add", "remove", or "replace".');
  if (present.length === 0) throw badRequest('Operation objects must contain exactly one member named "add", "remove", or "replace".');
  const op = present[0]!;
  if (typeof raw[op] !== 'string') throw badRequest('The path of a change must be a string.');
  return { op, pointer: raw[op] as string };
}

/** A limited JSON pointer, as Glance accepts them: "/a", escapes ~0 and ~1 only. */
function decodePointer(pointer: string): string[] {
  if (!pointer.startsWith('/')) throw badRequest(`Pointer \`${pointer.slice(0, 60)}\` does not start with "/".`);
  if (/\/\s*?\//.test(pointer.slice(1))) throw badRequest(`Pointer \`${pointer.slice(0, 60)}\` contains adjacent "/".`);
  if (pointer.length > 1 && pointer.endsWith('/')) throw badRequest(`Pointer \`${pointer.slice(0, 60)}\` end with "/".`);
  if (/~[^01]/.test(pointer) || pointer.endsWith('~'))
    throw badRequest(`Pointer \`${pointer.slice(0, 60)}\` contains "~" not part of a recognized escape sequence.`);
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~').trim());
}
