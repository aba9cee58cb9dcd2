import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ByteRange } from '../logic/index.js';

/**
 * A `multipart/byteranges` body for several ranges of one object, with its exact length.
 * The first range is opened before this resolves (errors surface before headers go out).
 */
export async function byteranges(
  ranges: ByteRange[],
  size: number,
  contentType: string,
  open: (r: ByteRange) => Promise<Readable>,
): Promise<{ body: Readable; length: number; contentType: string }> {
  const boundary = randomBytes(16).toString('hex');
  const heads = ranges.map((r, i) => `${i ? '\r\n' : ''}--${boundary}\r\nContent-Type: ${contentType}\r\nContent-Range: bytes ${r.start}-${r.end}/${size}\r\n\r\n`);
  const tail = `\r\n--${boundary}--`;
  const length = heads.reduce((n, h) => n + Buffer.byteLength(h, 'latin1'), 0) + ranges.reduce((n, r) => n + r.end - r.start + 1, 0) + tail.length;
  const first = await open(ranges[0]!);
  async function* parts(): AsyncGenerator<Buffer> {
    for (const [i, r] of ranges.entries()) {
      yield Buffer.from(heads[i]!, 'latin1');
      yield* i === 0 ? first : await open(r);
    }
    yield Buffer.from(tail, 'latin1');
  }
  const body = Readable.from(parts(), { objectMode: false });
  body.once('close', () => first.destroy());
  return { body, length, contentType: `multipart/byteranges;boundary=${boundary}` };
}
