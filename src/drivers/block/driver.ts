import type { Readable } from 'node:stream';

/**
 * The block driver: the bytes behind Cinder volumes and snapshots. The volume service keeps
 * every record (size, status, attachments) in the Store and drives this interface from its
 * reconciler; the driver only knows ids and sizes.
 *
 * Contract (checked by contract.ts against every implementation):
 * - Ids are caller-chosen names (`[A-Za-z0-9-]`, 1–64 characters); anything else rejects with
 *   an Error before touching storage. Volumes and snapshots are separate namespaces.
 * - Sizes are whole GiB; a volume of N GiB presents exactly N × 2^30 bytes (raw format).
 * - Every call is idempotent, so a reconciler may simply run it again after a crash:
 *   - `create*`, `clone`, `snapshot` on an id that already exists resolve without touching it
 *     (the finished result of an earlier run); `createFromImage` then does not read the source,
 *     and destroys it if it is a Node stream.
 *   - `extend` grows the volume to the new size and is a no-op when it already has that size
 *     or more (it never shrinks).
 *   - `delete` and `deleteSnapshot` resolve `true` when something was removed, else `false`.
 * - Results appear atomically: bytes are written to a temporary file which is flushed, then
 *   renamed into place. When a call rejects (a failing source, an image that does not fit,
 *   a missing source volume) nothing new is visible and no temporary file is left behind.
 *   A crash may leave temporary files; `recover()` removes them and runs at start-up.
 * - A missing source (volume to clone, extend or snapshot; snapshot to restore) rejects with
 *   BlockNotFound. An image whose (virtual) size exceeds the volume rejects with
 *   BlockImageTooLarge.
 * - `createFromImage` copies raw bytes as they are and pads the volume to its size. A qcow2
 *   image (by `diskFormat` or by its magic bytes) is converted to raw when the driver can
 *   (`capabilities.convertsQcow2`, e.g. `qemu-img` is installed); otherwise it is stored as-is,
 *   the result says `format: 'qcow2'` with a `note`, and the volume then holds a qcow2 file.
 * - Deleting a volume leaves its snapshots; a snapshot is an independent copy.
 */
export interface BlockDriver {
  readonly name: string;
  readonly capabilities: BlockCapabilities;
  /** A blank, sparse volume of `sizeGiB`. */
  create(id: string, sizeGiB: number): Promise<void>;
  /** A volume of `sizeGiB` holding an image's bytes (converted to raw when possible). */
  createFromImage(id: string, sizeGiB: number, image: ImageBytes): Promise<FromImageResult>;
  /** A new volume of `sizeGiB` (≥ the source) with a copy of another volume's bytes. */
  clone(sourceId: string, id: string, sizeGiB: number): Promise<void>;
  /** A point-in-time copy of a volume. */
  snapshot(volumeId: string, snapshotId: string): Promise<void>;
  /** A new volume of `sizeGiB` (≥ the snapshot) with a snapshot's bytes. */
  createFromSnapshot(snapshotId: string, id: string, sizeGiB: number): Promise<void>;
  extend(id: string, sizeGiB: number): Promise<void>;
  delete(id: string): Promise<boolean>;
  deleteSnapshot(snapshotId: string): Promise<boolean>;
  /** Where a volume lives and what it holds; undefined when absent. */
  info(id: string): Promise<VolumeInfo | undefined>;
  snapshotInfo(snapshotId: string): Promise<VolumeInfo | undefined>;
  /**
   * The volume's bytes as stored (format `info().format`, `sizeBytes` long), e.g. to upload it
   * as an image; BlockNotFound when absent. The caller consumes or destroys the stream.
   */
  readStream(id: string): Promise<Readable>;
  /** Ids of every stored volume and snapshot, so owners can remove orphans. */
  list(): Promise<{ volumes: string[]; snapshots: string[] }>;
  /** Removes temporary files a crash left behind; returns how many. */
  recover(): Promise<number>;
}

export interface BlockCapabilities {
  /** Blank volumes take no space until written. */
  sparse: boolean;
  /** qcow2 images are converted to raw on createFromImage. */
  convertsQcow2: boolean;
  /** How snapshots are kept. */
  snapshots: 'copy';
}

export type DiskFormat = 'raw' | 'qcow2';

export interface VolumeInfo {
  /** Local path of the backing file (the fake returns a `memory:` pseudo-path). */
  path: string;
  /** Size of the disk as a guest sees it, bytes. */
  sizeBytes: number;
  format: DiskFormat;
}

export interface ImageBytes {
  stream: Readable | AsyncIterable<Uint8Array>;
  /** Image disk format as the image service reports it (raw, qcow2, iso, …). */
  diskFormat: string;
}

export interface FromImageResult {
  format: DiskFormat;
  /** True when the image was converted (qcow2 → raw). */
  converted: boolean;
  /** Why the bytes were kept as they are, when that matters to an operator. */
  note?: string;
}

export const GiB = 1024 ** 3;

export class BlockNotFound extends Error {
  constructor(
    readonly what: 'volume' | 'snapshot',
    readonly id: string,
  ) {
    super(`${what} ${id} not found on the block backend`);
  }
}

export class BlockImageTooLarge extends Error {
  constructor(
    readonly imageBytes: number,
    readonly sizeGiB: number,
  ) {
    super(`image of ${imageBytes} bytes does not fit a volume of ${sizeGiB} GiB`);
  }
}

const ID_RE = /^[A-Za-z0-9-]{1,64}$/;

export function checkId(id: string): string {
  if (!ID_RE.test(id)) throw new Error(`invalid block id ${JSON.stringify(id)}`);
  return id;
}

export function checkSize(sizeGiB: number): number {
  if (!Number.isInteger(sizeGiB) || sizeGiB < 1) throw new Error(`invalid volume size ${sizeGiB}`);
  return sizeGiB;
}

/** qcow2 images start with "QFI\xfb"; the virtual size is a big-endian u64 at offset 24. */
export function qcow2VirtualSize(head: Uint8Array): number | undefined {
  if (head.length < 32 || head[0] !== 0x51 || head[1] !== 0x46 || head[2] !== 0x49 || head[3] !== 0xfb) return undefined;
  return Number(Buffer.from(head.buffer, head.byteOffset, head.length).readBigUInt64BE(24));
}

/** Destroys a Node stream the driver decided not to read. */
export function discard(stream: ImageBytes['stream']): void {
  const s = stream as Partial<Readable>;
  if (typeof s.destroy === 'function') s.destroy();
}
