import { badRequest } from '../../core/errors.js';

/** One archive member. `body` must be read (or left alone) before asking for the next one. */
export interface TarEntry {
  name: string;
  type: 'file' | 'directory' | 'other';
  size: number;
  body: AsyncIterable<Buffer>;
}

const BLOCK = 512;
const invalidTar = (why: string) => badRequest(`Invalid Tar File: ${why}`);

/** Pulls exact byte counts out of a stream of chunks. */
class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Uint8Array>;
  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** Exactly n bytes, or fewer only at the end of the stream. */
  async take(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      const r = await this.it.next();
      if (r.done) break;
      this.buf = this.buf.length ? Buffer.concat([this.buf, Buffer.from(r.value)]) : Buffer.from(r.value);
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(out.length);
    return out;
  }

  /** Yields the next n bytes as they arrive; throws if the stream ends first. */
  async *stream(n: number, progress: (k: number) => void): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0) {
        const r = await this.it.next();
        if (r.done) throw invalidTar('the archive ends inside a member.');
        this.buf = Buffer.from(r.value);
      }
      const piece = this.buf.subarray(0, Math.min(left, this.buf.length));
      this.buf = this.buf.subarray(piece.length);
      left -= piece.length;
      progress(piece.length);
      yield piece;
    }
  }
}

function cstr(b: Buffer, start: number, len: number): string {
  const s = b.subarray(start, start + len);
  const end = s.indexOf(0);
  return (end < 0 ? s : s.subarray(0, end)).toString('utf8');
}

function number(b: Buffer, start: number, len: number): number {
  const f = b.subarray(start, start + len);
  if (f[0]! & 0x80) {
    let n = 0;
    for (let i = 1; i < f.length; i++) n = n * 256 + f[i]!;
    return n;
  }
  const s = cstr(b, start, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw invalidTar('bad number field.');
  return parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum === number(h, 148, 8);
}

/** PAX extended header records: "<len> <key>=<value>\n". */
function pax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of data.toString('utf8').split('\n')) {
    const m = /^\d+ ([^=]+)=(.*)$/s.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/**
 * Streams the members of a tar archive (ustar, GNU long names, PAX headers), without holding
 * more than one block in memory beyond what the consumer reads.
 */
export async function* tarEntries(source: AsyncIterable<Uint8Array>): AsyncGenerator<TarEntry> {
  const r = new ByteReader(source);
  let longName: string | undefined;
  let ext: Record<string, string> = {};
  for (;;) {
    const h = await r.take(BLOCK);
    if (h.length === 0 || h.every((x) => x === 0)) return;
    if (h.length < BLOCK || !checksumOk(h)) throw invalidTar('bad header checksum.');
    const flag = String.fromCharCode(h[156]!);
    const size = ext.size !== undefined && /^\d+$/.test(ext.size) ? Number(ext.size) : number(h, 124, 12);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      const data = (await r.take(padded)).subarray(0, size);
      if (flag === 'x') ext = pax(data);
      if (flag === 'L') longName = cstr(data, 0, data.length);
      continue;
    }
    const prefix = h.subarray(257, 262).toString('latin1') === 'ustar' ? cstr(h, 345, 155) : '';
    const name = ext.path ?? longName ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
    longName = undefined;
    ext = {};
    const type = flag === '0' || flag === '\0' || flag === '7' ? 'file' : flag === '5' ? 'directory' : 'other';
    let read = 0;
    yield { name, type, size, body: r.stream(size, (k) => (read += k)) };
    for await (const _ of r.stream(size - read, () => undefined)) void _;
    await r.take(padded - size);
  }
}
