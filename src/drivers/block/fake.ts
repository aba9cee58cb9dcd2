import { Readable } from 'node:stream';
import {
  BlockImageTooLarge,
  BlockNotFound,
  GiB,
  checkId,
  checkSize,
  discard,
  qcow2VirtualSize,
  type BlockCapabilities,
  type BlockDriver,
  type DiskFormat,
  type FromImageResult,
  type ImageBytes,
  type VolumeInfo,
} from './driver.js';

const CHUNK = 1024 * 1024;
const ZEROS = Buffer.alloc(CHUNK);

/** The operations of the driver that the fake records, can fail, and can hold. */
export type BlockOp = 'create' | 'createFromImage' | 'clone' | 'snapshot' | 'createFromSnapshot' | 'extend' | 'delete' | 'deleteSnapshot';

export interface FakeCall {
  op: BlockOp;
  args: unknown[];
}

interface Disk {
  sizeBytes: number;
  format: DiskFormat;
  /** The written prefix; everything after it reads as zeros. */
  data: Buffer;
}

/**
 * An in-memory block driver with the full contract of driver.ts. It records every call, can be
 * told to fail (`failNext`) and to hold calls until released (`hold`), so tests can observe
 * in-between states and crash paths. `path` values are `memory:` pseudo-paths.
 */
export class FakeBlockDriver implements BlockDriver {
  readonly name = 'fake';
  readonly capabilities: BlockCapabilities = { sparse: true, convertsQcow2: false, snapshots: 'copy' };
  readonly calls: FakeCall[] = [];
  private readonly volumes = new Map<string, Disk>();
  private readonly snapshots = new Map<string, Disk>();
  private readonly failures: { op: BlockOp; error: Error; times: number }[] = [];
  private readonly gates = new Map<BlockOp, { promise: Promise<void>; release: () => void }>();

  /** The next `times` calls of `op` reject with `error` (after being recorded). */
  failNext(op: BlockOp, error: Error = new Error(`fake ${op} failure`), times = 1): void {
    this.failures.push({ op, error, times });
  }

  /** Calls of `op` wait until the returned function is called. */
  hold(op: BlockOp): () => void {
    let release!: () => void;
    const promise = new Promise<void>((r) => (release = r));
    const gate = { promise, release: () => {
      if (this.gates.get(op) === gate) this.gates.delete(op);
      release();
    } };
    this.gates.set(op, gate);
    return gate.release;
  }

  /** Reads bytes of a volume (zeros past the written data), for tests. */
  read(id: string, start: number, length: number, kind: 'volume' | 'snapshot' = 'volume'): Buffer {
    const d = (kind === 'volume' ? this.volumes : this.snapshots).get(id);
    if (!d) throw new BlockNotFound(kind, id);
    const out = Buffer.alloc(Math.max(0, Math.min(length, d.sizeBytes - start)));
    if (start < d.data.length) d.data.copy(out, 0, start, Math.min(d.data.length, start + out.length));
    return out;
  }

  private async enter(op: BlockOp, ...args: unknown[]): Promise<void> {
    this.calls.push({ op, args });
    await new Promise((r) => setImmediate(r));
    await this.gates.get(op)?.promise;
    const f = this.failures.find((x) => x.op === op);
    if (f) {
      if (--f.times <= 0) this.failures.splice(this.failures.indexOf(f), 1);
      throw f.error;
    }
  }

  async create(id: string, sizeGiB: number): Promise<void> {
    checkId(id);
    checkSize(sizeGiB);
    await this.enter('create', id, sizeGiB);
    if (!this.volumes.has(id)) this.volumes.set(id, { sizeBytes: sizeGiB * GiB, format: 'raw', data: Buffer.alloc(0) });
  }

  async createFromImage(id: string, sizeGiB: number, image: ImageBytes): Promise<FromImageResult> {
    checkId(id);
    checkSize(sizeGiB);
    try {
      await this.enter('createFromImage', id, sizeGiB, image.diskFormat);
    } catch (e) {
      discard(image.stream);
      throw e;
    }
    const existing = this.volumes.get(id);
    if (existing) {
      discard(image.stream);
      return { format: existing.format, converted: false };
    }
    const data = await collect(image, sizeGiB);
    const virtual = qcow2VirtualSize(data);
    if (virtual === undefined) {
      this.volumes.set(id, { sizeBytes: sizeGiB * GiB, format: 'raw', data });
      return { format: 'raw', converted: false };
    }
    this.volumes.set(id, { sizeBytes: virtual, format: 'qcow2', data });
    return { format: 'qcow2', converted: false, note: 'the fake driver never converts: the qcow2 image is stored as-is' };
  }

  async clone(sourceId: string, id: string, sizeGiB: number): Promise<void> {
    checkId(sourceId);
    checkId(id);
    checkSize(sizeGiB);
    await this.enter('clone', sourceId, id, sizeGiB);
    this.copy(this.volumes.get(sourceId), new BlockNotFound('volume', sourceId), this.volumes, id, sizeGiB);
  }

  async snapshot(volumeId: string, snapshotId: string): Promise<void> {
    checkId(volumeId);
    checkId(snapshotId);
    await this.enter('snapshot', volumeId, snapshotId);
    this.copy(this.volumes.get(volumeId), new BlockNotFound('volume', volumeId), this.snapshots, snapshotId);
  }

  async createFromSnapshot(snapshotId: string, id: string, sizeGiB: number): Promise<void> {
    checkId(snapshotId);
    checkId(id);
    checkSize(sizeGiB);
    await this.enter('createFromSnapshot', snapshotId, id, sizeGiB);
    this.copy(this.snapshots.get(snapshotId), new BlockNotFound('snapshot', snapshotId), this.volumes, id, sizeGiB);
  }

  async extend(id: string, sizeGiB: number): Promise<void> {
    checkId(id);
    checkSize(sizeGiB);
    await this.enter('extend', id, sizeGiB);
    const d = this.volumes.get(id);
    if (!d) throw new BlockNotFound('volume', id);
    // NOTE: like the file driver without qemu-img, a qcow2 disk keeps its virtual size.
    if (d.format === 'raw' && d.sizeBytes < sizeGiB * GiB) d.sizeBytes = sizeGiB * GiB;
  }

  async delete(id: string): Promise<boolean> {
    checkId(id);
    await this.enter('delete', id);
    return this.volumes.delete(id);
  }

  async deleteSnapshot(snapshotId: string): Promise<boolean> {
    checkId(snapshotId);
    await this.enter('deleteSnapshot', snapshotId);
    return this.snapshots.delete(snapshotId);
  }

  async info(id: string): Promise<VolumeInfo | undefined> {
    const d = this.volumes.get(checkId(id));
    return d && { path: `memory:volume-${id}`, sizeBytes: d.sizeBytes, format: d.format };
  }

  async readStream(id: string): Promise<Readable> {
    const d = this.volumes.get(checkId(id));
    if (!d) throw new BlockNotFound('volume', id);
    const { data, sizeBytes } = d;
    return Readable.from(
      (function* () {
        for (let at = 0; at < sizeBytes; at += CHUNK) {
          const end = Math.min(at + CHUNK, sizeBytes);
          if (at >= data.length) {
            // Past the written prefix: zeros, without allocating a buffer per chunk.
            yield ZEROS.subarray(0, end - at);
            continue;
          }
          const chunk = Buffer.alloc(end - at);
          data.copy(chunk, 0, at, Math.min(end, data.length));
          yield chunk;
        }
      })(),
    );
  }

  async snapshotInfo(snapshotId: string): Promise<VolumeInfo | undefined> {
    const d = this.snapshots.get(checkId(snapshotId));
    return d && { path: `memory:snapshot-${snapshotId}`, sizeBytes: d.sizeBytes, format: d.format };
  }

  async list(): Promise<{ volumes: string[]; snapshots: string[] }> {
    return { volumes: [...this.volumes.keys()].sort(), snapshots: [...this.snapshots.keys()].sort() };
  }

  async recover(): Promise<number> {
    return 0;
  }

  private copy(src: Disk | undefined, missing: Error, into: Map<string, Disk>, id: string, sizeGiB?: number): void {
    if (into.has(id)) return;
    if (!src) throw missing;
    const grown = sizeGiB !== undefined && src.format === 'raw' ? Math.max(src.sizeBytes, sizeGiB * GiB) : src.sizeBytes;
    into.set(id, { sizeBytes: grown, format: src.format, data: Buffer.from(src.data) });
  }
}

async function collect(image: ImageBytes, sizeGiB: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let head = Buffer.alloc(0);
  try {
    for await (const c of image.stream as AsyncIterable<Uint8Array>) {
      // Views, not copies: a large image of zeros then costs no memory until concatenated.
      chunks.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
      bytes += c.byteLength;
      if (head.length < 32) head = Buffer.concat(chunks).subarray(0, 32);
      const virtual = qcow2VirtualSize(head);
      if (virtual !== undefined && virtual > sizeGiB * GiB) throw new BlockImageTooLarge(virtual, sizeGiB);
      if (virtual === undefined && bytes > sizeGiB * GiB) throw new BlockImageTooLarge(bytes, sizeGiB);
    }
  } catch (e) {
    discard(image.stream);
    throw e;
  }
  return Buffer.concat(chunks);
}
