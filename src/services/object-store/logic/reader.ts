import { Readable } from 'node:stream';
import type { BlobStore } from '../../../drivers/object/driver.js';
import type { ByteRange } from './ranges.js';

/** A run of bytes inside one blob. */
export interface Part {
  blobKey: string | null;
  /** First byte within the blob. */
  offset: number;
  length: number;
}

/** The bytes an object GET returns, as a sequence of blob parts (one for a plain object). */
export interface ReadPlan {
  size: number;
  /** Etag as the API shows it: md5 hex, or quoted for large objects. */
  etag: string;
  parts: Part[];
}

interface Piece {
  blobKey: string;
  start: number;
  end: number;
}

/** The blob pieces that cover `range` of the concatenated parts. */
function slice(parts: Part[], range: ByteRange): Piece[] {
  const out: Piece[] = [];
  let pos = 0;
  for (const p of parts) {
    const from = pos;
    const to = pos + p.length - 1;
    pos += p.length;
    if (p.length === 0 || !p.blobKey || to < range.start) continue;
    if (from > range.end) break;
    const s = Math.max(range.start, from) - from + p.offset;
    const e = Math.min(range.end, to) - from + p.offset;
    out.push({ blobKey: p.blobKey, start: s, end: e });
  }
  return out;
}

/**
 * Streams `range` (default: everything) of a plan. The first blob is opened before this
 * resolves, so a missing blob is reported before any response header is sent; later ones
 * open as the stream reaches them. Memory stays flat: each blob streams with backpressure.
 */
export async function openRange(blobs: BlobStore, plan: ReadPlan, range?: ByteRange): Promise<Readable> {
  const r = range ?? { start: 0, end: plan.size - 1 };
  const pieces = plan.size === 0 ? [] : slice(plan.parts, r);
  if (pieces.length === 0) return Readable.from([]);
  const [head, ...rest] = pieces;
  const first = await blobs.open(head!.blobKey, { start: head!.start, end: head!.end });
  async function* chunks(): AsyncGenerator<Buffer> {
    yield* first;
    for (const p of rest) yield* await blobs.open(p.blobKey, { start: p.start, end: p.end });
  }
  const out = Readable.from(chunks(), { objectMode: false });
  // If the stream is dropped before it starts, the generator never runs: close the first blob.
  out.once('close', () => first.destroy());
  return out;
}

/** Reads a whole plan into memory; only for small bodies (SLO manifests, tests). */
export async function readAll(blobs: BlobStore, plan: ReadPlan): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await openRange(blobs, plan)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
