/**
 * A small reader for the protobuf wire format (proto2 as Kubernetes' gogo-generated code writes it):
 * varints, 64-bit, length-delimited and 32-bit fields. Groups (wire types 3 and 4) are obsolete and
 * never written by Kubernetes, so they are refused.
 *
 * Every read is bounds-checked; any malformed input throws a `WireError`, never anything else, so
 * callers can turn it into a 400.
 *
 * @example
 *   const r = new WireReader(bytes);
 *   while (!r.done()) {
 *     const { field, wireType } = r.tag();
 *     if (field === 1 && wireType === WireType.Len) name = r.string();
 *     else r.skip(wireType);
 *   }
 */

// NOTE: hand-written instead of protobufjs: we only decode, only a few message types, and a
// reader this size is easier to make total (never throws anything but WireError) than to wrap.

/** Malformed protobuf bytes; the message says where and why. */
export class WireError extends Error {}

export const WireType = {
  Varint: 0,
  I64: 1,
  Len: 2,
  StartGroup: 3,
  EndGroup: 4,
  I32: 5,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

const UTF8 = new TextDecoder('utf-8');

/** Reads fields from one message's bytes (a sub-message gets its own reader over its slice). */
export class WireReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  /** True once every byte was consumed. */
  done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** The offset of the next byte, for error messages. */
  offset(): number {
    return this.pos;
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wireType: WireType } {
    const at = this.pos;
    const key = this.varint();
    const wireType = Number(key & 7n);
    const field = Number(key >> 3n);
    if (field < 1 || field > 0x1fffffff) throw new WireError(`invalid field number ${field} at byte ${at}`);
    if (wireType === 6 || wireType === 7) throw new WireError(`invalid wire type ${wireType} at byte ${at}`);
    return { field, wireType: wireType as WireType };
  }

  /** An unsigned varint of up to 64 bits (10 bytes). */
  varint(): bigint {
    const at = this.pos;
    let result = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new WireError(`truncated varint at byte ${at}`);
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new WireError(`varint longer than 10 bytes at byte ${at}`);
  }

  /** A varint read as proto `int64` (two's complement), as a JS number. */
  int64(): number {
    return Number(BigInt.asIntN(64, this.varint()));
  }

  /** A varint read as proto `int32`: negative values are sign-extended to 10 bytes on the wire. */
  int32(): number {
    return Number(BigInt.asIntN(32, this.varint()));
  }

  bool(): boolean {
    return this.varint() !== 0n;
  }

  /** Eight little-endian bytes as a signed 64-bit number. */
  fixed64(): number {
    const b = this.take(8);
    return Number(new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, true));
  }

  /** Four little-endian bytes as a signed 32-bit number. */
  fixed32(): number {
    const b = this.take(4);
    return new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true);
  }

  /** A length-delimited field's bytes (a view, not a copy). */
  bytes(): Uint8Array {
    const at = this.pos;
    const len = this.varint();
    if (len > BigInt(this.buf.length - this.pos)) throw new WireError(`length ${len} at byte ${at} runs past the end of the message`);
    return this.take(Number(len));
  }

  string(): string {
    return UTF8.decode(this.bytes());
  }

  /** Skips a field's value of the given wire type. */
  skip(wireType: WireType): void {
    switch (wireType) {
      case WireType.Varint:
        this.varint();
        return;
      case WireType.I64:
        this.take(8);
        return;
      case WireType.Len:
        this.bytes();
        return;
      case WireType.I32:
        this.take(4);
        return;
      default:
        throw new WireError(`groups (wire type ${wireType}) are not supported, at byte ${this.pos}`);
    }
  }

  private take(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw new WireError(`truncated value at byte ${this.pos}: need ${n} bytes, ${this.buf.length - this.pos} left`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}
