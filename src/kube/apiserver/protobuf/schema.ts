/**
 * How a message table is written: field number → JSON name, type and two Go-isms that decide
 * which JSON the decoder produces.
 *
 * - Kubernetes' generated marshallers write every non-pointer Go field, zero or not, and pointer
 *   fields only when set. JSON (with `omitempty`) leaves zero values out. So a zero scalar on the
 *   wire is dropped unless the field is `keepZero` (a Go pointer such as `replicas *int32`, where
 *   an explicit 0 means something).
 * - Embedded Go structs (`ProbeHandler` in `Probe`, `VolumeSource` in `Volume`,
 *   `LocalObjectReference` in the key selectors) are one nested message on the wire but inline
 *   in JSON: such fields are `inline`.
 *
 * Field numbers come from the `generated.proto` files of k8s.io/api and k8s.io/apimachinery
 * v0.32; they never change between versions (protobuf compatibility), only new fields appear,
 * and a field the table does not know is skipped.
 */

/** Scalars and the apimachinery wrapper messages that render as JSON scalars. */
export type Scalar =
  | 'string'
  | 'bytes' // JSON: base64
  | 'bool'
  | 'int32'
  | 'int64'
  | 'intOrString' // intstr.IntOrString {1 type, 2 intVal, 3 strVal} → number or string
  | 'quantity' // resource.Quantity {1 string} → string
  | 'time' // meta/v1 Time {1 seconds, 2 nanos} → RFC 3339, seconds precision
  | 'microtime'; // meta/v1 MicroTime → RFC 3339 with microseconds

export interface Message {
  readonly name: string;
  readonly fields: ReadonlyMap<number, Field>;
}

export interface Field {
  readonly name: string;
  /** The element type (for maps: the value type; keys are always strings). */
  readonly type: Scalar | Message;
  readonly repeated?: boolean;
  /** `map<string, type>`: on the wire, repeated entries {1: key, 2: value}. */
  readonly map?: boolean;
  /** A Go pointer field: keep a zero value that is present on the wire. */
  readonly keepZero?: boolean;
  /** A Go embedded struct: merge its fields into the parent object. */
  readonly inline?: boolean;
}

/** Builds a message table from `{ fieldNumber: Field }`. */
export function message(name: string, fields: Record<number, Field>): Message {
  return { name, fields: new Map(Object.entries(fields).map(([k, v]) => [Number(k), v])) };
}

type Type = Scalar | Message;

/** A singular field. */
export const one = (name: string, type: Type): Field => ({ name, type });
/** A singular Go-pointer field (zero values kept). */
export const ptr = (name: string, type: Type): Field => ({ name, type, keepZero: true });
/** A repeated field (JSON array). */
export const many = (name: string, type: Type): Field => ({ name, type, repeated: true });
/** A `map<string, type>` field (JSON object). */
export const map = (name: string, type: Type): Field => ({ name, type, map: true });
/** An embedded Go struct whose fields appear in the parent's JSON. */
export const inline = (type: Message): Field => ({ name: '', type, inline: true });
