/**
 * DNS over stream transports (RFC 1035 §4.2.2, RFC 7766): every message is preceded by its
 * length as two bytes, big-endian. Used on TCP and on the unix socket between the node stubs
 * and the control plane.
 */

export function frame(msg: Buffer): Buffer {
  if (msg.length > 0xffff) throw new RangeError(`DNS message of ${msg.length} bytes cannot be framed`);
  const out = Buffer.allocUnsafe(msg.length + 2);
  out.writeUInt16BE(msg.length, 0);
  msg.copy(out, 2);
  return out;
}

/** Reassembles length-prefixed messages from arbitrary chunks. */
export class FrameReader {
  private pending: Buffer[] = [];
  private size = 0;

  /** Feeds a chunk; returns the messages it completes, in order (zero-length frames included). */
  push(chunk: Buffer): Buffer[] {
    this.pending.push(chunk);
    this.size += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.size < 2) break;
      let buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.size);
      const len = buf.readUInt16BE(0);
      if (this.size < len + 2) {
        this.pending = [buf];
        break;
      }
      out.push(Buffer.from(buf.subarray(2, len + 2)));
      buf = buf.subarray(len + 2);
      this.pending = buf.length ? [buf] : [];
      this.size = buf.length;
    }
    return out;
  }

  /** Bytes received that do not yet form a whole message. */
  get buffered(): number {
    return this.size;
  }
}
