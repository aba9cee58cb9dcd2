import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { badDigest, invalidRequest } from './errors.js';

/**
 * S3's additional checksums (x-amz-checksum-<algorithm>, as a header or an aws-chunked
 * trailer): computed while the body streams, compared at its end. CRC64NVME is accepted but
 * not verified.
 */
export type ChecksumAlgorithm = 'crc32' | 'crc32c' | 'sha1' | 'sha256' | 'crc64nvme';
export const CHECKSUM_ALGORITHMS: ChecksumAlgorithm[] = ['crc32', 'crc32c', 'sha1', 'sha256', 'crc64nvme'];

interface Digest {
  update(b: Buffer): void;
  /** Base64, as S3 writes checksums. */
  digest(): string | undefined;
}

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32cUpdate(crc: number, b: Buffer): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < b.length; i++) c = CRC32C_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function crcDigest(update: (crc: number, b: Buffer) => number): Digest {
  let crc = 0;
  return {
    update: (b) => (crc = update(crc, b)),
    digest: () => {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(crc >>> 0);
      return out.toString('base64');
    },
  };
}

function hashDigest(h: Hash): Digest {
  return { update: (b) => h.update(b), digest: () => h.digest('base64') };
}

function digestFor(alg: ChecksumAlgorithm): Digest {
  switch (alg) {
    case 'crc32':
      return crcDigest((c, b) => crc32(b, c));
    case 'crc32c':
      return crcDigest(crc32cUpdate);
    case 'sha1':
      return hashDigest(createHash('sha1'));
    case 'sha256':
      return hashDigest(createHash('sha256'));
    default:
      return { update: () => {}, digest: () => undefined };
  }
}

/** The algorithm named by x-amz-checksum-<alg> or x-amz-trailer; throws for unknown ones. */
export function checksumAlgorithmOf(headerName: string): ChecksumAlgorithm {
  const alg = headerName.toLowerCase().replace(/^x-amz-checksum-/, '') as ChecksumAlgorithm;
  if (!CHECKSUM_ALGORITHMS.includes(alg)) throw invalidRequest(`Unsupported checksum header or trailer: ${headerName.slice(0, 64)}.`);
  return alg;
}

/**
 * Checks a body against an expected checksum: `update` with every byte, then `verify` with the
 * expected base64 value (known only at the end when it comes as a trailer).
 */
export class ChecksumCheck {
  private readonly d: Digest;
  constructor(readonly algorithm: ChecksumAlgorithm) {
    this.d = digestFor(algorithm);
  }
  update(b: Buffer): void {
    this.d.update(b);
  }
  verify(expected: string | undefined): void {
    const got = this.d.digest();
    if (expected === undefined || got === undefined) return;
    if (got !== expected.trim()) throw badDigest(`x-amz-checksum-${this.algorithm}`);
  }
}
