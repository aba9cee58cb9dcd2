/**
 * Virtual size from a disk image's header, as Glance's format inspector reports it: for qcow2
 * the `size` field (offset 24, big-endian u64) after the magic "QFI\xfb"; for a VMDK sparse
 * extent the `capacity` in 512-byte sectors (offset 12, little-endian u64) after "KDMV"; for
 * raw the data size. The declared disk_format decides which header is read; anything else, or
 * a header that does not match, gives null.
 */
export const HEADER_BYTES = 512;

const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);
const VMDK_MAGIC = Buffer.from('KDMV', 'latin1');

export function virtualSize(diskFormat: string | null, head: Buffer, size: number): number | null {
  switch (diskFormat) {
    case 'raw':
      return size;
    case 'qcow2':
      return qcow2Size(head);
    case 'vmdk':
      return vmdkSize(head);
    default:
      return null;
  }
}

function qcow2Size(head: Buffer): number | null {
  if (head.length < 32 || !head.subarray(0, 4).equals(QCOW2_MAGIC)) return null;
  const version = head.readUInt32BE(4);
  if (version !== 2 && version !== 3) return null;
  return safe(head.readBigUInt64BE(24));
}

function vmdkSize(head: Buffer): number | null {
  if (head.length < 20 || !head.subarray(0, 4).equals(VMDK_MAGIC)) return null;
  const sectors = head.readBigUInt64LE(12);
  return safe(sectors * 512n);
}

function safe(n: bigint): number | null {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : null;
}

/**
 * Passes a byte stream through unchanged while keeping its first HEADER_BYTES bytes, so the
 * header can be read after the data is stored without buffering the data.
 */
export function headerTap(source: AsyncIterable<Uint8Array>): { stream: AsyncIterable<Uint8Array>; head: () => Buffer } {
  const parts: Buffer[] = [];
  let kept = 0;
  async function* pass(): AsyncIterable<Uint8Array> {
    for await (const chunk of source) {
      if (kept < HEADER_BYTES) {
        const part = Buffer.from(chunk.subarray(0, HEADER_BYTES - kept));
        parts.push(part);
        kept += part.length;
      }
      yield chunk;
    }
  }
  return { stream: pass(), head: () => Buffer.concat(parts) };
}
