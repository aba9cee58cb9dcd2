import type { Field, Message, Scalar } from './schema.js';
import { WireError, WireReader, WireType } from './wire.js';

/**
 * Decodes one message's bytes into the JSON object Kubernetes would print for it, following
 * `table`. Unknown fields are skipped; a known field with the wrong wire type, or any truncated or
 * malformed value, throws `WireError`.
 *
 * @example
 *   decodeMessage(ConfigMap, bytes) // → { metadata: { name: 'c' }, data: { a: '1' } }
 */
export function decodeMessage(table: Message, bytes: Uint8Array): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const r = new WireReader(bytes);
  while (!r.done()) {
    const { field: num, wireType } = r.tag();
    const field = table.fields.get(num);
    if (!field) {
      r.skip(wireType);
      continue;
    }
    if (field.map) {
      expectWire(table, field, wireType, WireType.Len);
      const [k, v] = mapEntry(table, field, r.bytes());
      const m = (out[field.name] ??= {}) as Record<string, unknown>;
      m[k] = v;
      continue;
    }
    if (field.inline) {
      expectWire(table, field, wireType, WireType.Len);
      Object.assign(out, decodeMessage(field.type as Message, r.bytes()));
      continue;
    }
    if (field.repeated) {
      const list = (out[field.name] ??= []) as unknown[];
      if (wireType === WireType.Len && isPackable(field.type)) {
        // A packed run of varints (proto3 style; accepted though Kubernetes writes them unpacked).
        const packed = new WireReader(r.bytes());
        while (!packed.done()) list.push(readValue(table, field, packed, WireType.Varint));
      } else {
        list.push(readValue(table, field, r, wireType));
      }
      continue;
    }
    const v = readValue(table, field, r, wireType);
    if (v === undefined || (!field.keepZero && isZero(v))) {
      // A zero non-pointer value: Go's JSON leaves it out (omitempty); a later occurrence wins.
      delete out[field.name];
      continue;
    }
    const prev = out[field.name];
    // A message field seen twice merges, as protobuf specifies; anything else: last one wins.
    out[field.name] = isPlainObject(prev) && isPlainObject(v) ? { ...prev, ...v } : v;
  }
  return out;
}

function isPackable(t: Scalar | Message): boolean {
  return t === 'bool' || t === 'int32' || t === 'int64';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Zero values of scalars; messages (even empty ones, like `status: {}`) are never zero. */
function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

function expectWire(table: Message, field: Field, got: WireType, want: WireType): void {
  if (got !== want) {
    throw new WireError(`field ${table.name}.${field.name || (field.type as Message).name} has wire type ${got}, expected ${want}`);
  }
}

function wireTypeOf(t: Scalar | Message): WireType {
  if (typeof t !== 'string') return WireType.Len;
  switch (t) {
    case 'bool':
    case 'int32':
    case 'int64':
      return WireType.Varint;
    default:
      return WireType.Len;
  }
}

/** One value of `field`; undefined for wrapper messages that hold nothing (an unset Time). */
function readValue(table: Message, field: Field, r: WireReader, wireType: WireType): unknown {
  const t = field.type;
  expectWire(table, field, wireType, wireTypeOf(t));
  if (typeof t !== 'string') return decodeMessage(t, r.bytes());
  switch (t) {
    case 'string':
      return r.string();
    case 'bytes':
      return Buffer.from(r.bytes()).toString('base64');
    case 'bool':
      return r.bool();
    case 'int32':
      return r.int32();
    case 'int64':
      return safe(r.int64(), table, field);
    case 'intOrString':
      return intOrString(r.bytes());
    case 'quantity':
      return quantity(r.bytes());
    case 'time':
      return time(r.bytes(), false);
    case 'microtime':
      return time(r.bytes(), true);
  }
}

function safe(n: number, table: Message, field: Field): number {
  if (!Number.isSafeInteger(n)) throw new WireError(`field ${table.name}.${field.name} holds ${n}, beyond the integers JSON carries exactly`);
  return n;
}

function mapEntry(table: Message, field: Field, bytes: Uint8Array): [string, unknown] {
  const r = new WireReader(bytes);
  let key = '';
  let value: unknown;
  while (!r.done()) {
    const { field: num, wireType } = r.tag();
    if (num === 1) {
      if (wireType !== WireType.Len) throw new WireError(`a key of ${table.name}.${field.name} has wire type ${wireType}, expected 2`);
      key = r.string();
    } else if (num === 2) {
      value = readValue(table, field, r, wireType);
    } else {
      r.skip(wireType);
    }
  }
  // A missing value is the type's zero value; map values are kept even when empty (`a: ""`).
  if (value === undefined) value = zeroOf(field.type);
  return [key, value];
}

function zeroOf(t: Scalar | Message): unknown {
  if (typeof t !== 'string') return {};
  switch (t) {
    case 'bool':
      return false;
    case 'int32':
    case 'int64':
      return 0;
    case 'quantity':
      return '0';
    default:
      return '';
  }
}

/** intstr.IntOrString {1 type (0 int, 1 string), 2 intVal, 3 strVal} → number or string. */
function intOrString(bytes: Uint8Array): number | string {
  const r = new WireReader(bytes);
  let type = 0;
  let intVal = 0;
  let strVal = '';
  while (!r.done()) {
    const { field, wireType } = r.tag();
    if (field === 1 && wireType === WireType.Varint) type = r.int64();
    else if (field === 2 && wireType === WireType.Varint) intVal = r.int32();
    else if (field === 3 && wireType === WireType.Len) strVal = r.string();
    else if (field <= 3) throw new WireError(`IntOrString field ${field} has wire type ${wireType}`);
    else r.skip(wireType);
  }
  if (type !== 0 && type !== 1) throw new WireError(`IntOrString type ${type} is neither 0 (int) nor 1 (string)`);
  return type === 1 ? strVal : intVal;
}

/** resource.Quantity {1 string} → its canonical string (`"500m"`, `"64Mi"`). */
function quantity(bytes: Uint8Array): string {
  const r = new WireReader(bytes);
  let s = '';
  while (!r.done()) {
    const { field, wireType } = r.tag();
    if (field === 1 && wireType === WireType.Len) s = r.string();
    else if (field === 1) throw new WireError(`Quantity field 1 has wire type ${wireType}`);
    else r.skip(wireType);
  }
  return s;
}

// Seconds of 0001-01-01 and 9999-12-31T23:59:59, the range RFC 3339 timestamps cover.
const MIN_SECONDS = -62135596800;
const MAX_SECONDS = 253402300799;

/** meta/v1 Time or MicroTime {1 seconds, 2 nanos} → RFC 3339 in UTC; empty → undefined. */
function time(bytes: Uint8Array, micro: boolean): string | undefined {
  if (bytes.length === 0) return undefined;
  const r = new WireReader(bytes);
  let seconds = 0;
  let nanos = 0;
  while (!r.done()) {
    const { field, wireType } = r.tag();
    if (field === 1 && wireType === WireType.Varint) seconds = r.int64();
    else if (field === 2 && wireType === WireType.Varint) nanos = r.int32();
    else if (field <= 2) throw new WireError(`Time field ${field} has wire type ${wireType}`);
    else r.skip(wireType);
  }
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) throw new WireError(`timestamp ${seconds} s is outside years 1–9999`);
  if (nanos < 0 || nanos > 999_999_999) throw new WireError(`timestamp nanos ${nanos} is outside 0–999999999`);
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  return micro ? `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${base}Z`;
}
