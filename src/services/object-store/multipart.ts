/**
 * A streaming multipart/form-data reader (RFC 7578 over RFC 2046): parts come one at a time,
 * and a part's body streams out as it arrives, so a form with a large file never sits in
 * memory. A part's body must be read (or abandoned) before asking for the next part; `next()`
 * skips whatever is left of it.
 */

/** Malformed form data; the message says what was wrong. */
export class MultipartError extends Error {}

export interface MultipartPart {
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The part's bytes; ends at the next boundary. */
  body: AsyncIterable<Buffer>;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEADER_BYTES = 8192;

type State = 'start' | 'body' | 'boundary' | 'end';

export class MultipartReader {
  private buf: Buffer;
  private readonly delimiter: Buffer;
  private readonly source: AsyncIterator<Uint8Array>;
  private eof = false;
  private state: State = 'start';

  /** `boundary` is the Content-Type parameter, without the leading `--`. */
  constructor(source: AsyncIterable<Uint8Array>, boundary: string) {
    if (!boundary || boundary.length > 70) throw new MultipartError('invalid boundary');
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
    // The first delimiter has no CRLF before it; pretend it had one.
    this.buf = Buffer.from(CRLF);
    this.source = source[Symbol.asyncIterator]();
  }

  /** Reads more input into the buffer; false at the end of input. */
  private async fill(): Promise<boolean> {
    if (this.eof) return false;
    for (;;) {
      const r = await this.source.next();
      if (r.done) {
        this.eof = true;
        return false;
      }
      if (r.value.length === 0) continue;
      this.buf = this.buf.length === 0 ? Buffer.from(r.value) : Buffer.concat([this.buf, r.value]);
      return true;
    }
  }

  /** Ensures `n` bytes are buffered, or throws at the end of input. */
  private async need(n: number, what: string): Promise<void> {
    while (this.buf.length < n) if (!(await this.fill())) throw new MultipartError(`unexpected end of form data (${what})`);
  }

  /** The next part, or undefined after the closing boundary. */
  async next(): Promise<MultipartPart | undefined> {
    if (this.state === 'body') for await (const _ of this.bodyChunks()) void _;
    if (this.state === 'end') return undefined;
    await this.need(this.delimiter.length + 2, 'boundary');
    if (!this.buf.subarray(0, this.delimiter.length).equals(this.delimiter)) {
      throw new MultipartError(this.state === 'start' ? 'invalid starting boundary' : 'invalid boundary');
    }
    this.buf = this.buf.subarray(this.delimiter.length);
    if (this.buf[0] === 0x2d && this.buf[1] === 0x2d) {
      this.state = 'end';
      return undefined;
    }
    // Transport padding (spaces, tabs), then the CRLF that ends the boundary line.
    let i = 0;
    for (;;) {
      await this.need(i + 2, 'boundary line');
      const b = this.buf[i]!;
      if (b === 0x20 || b === 0x09) i++;
      else break;
      if (i > 1024) throw new MultipartError('invalid boundary line');
    }
    if (!this.buf.subarray(i, i + 2).equals(CRLF)) throw new MultipartError('invalid boundary line');
    this.buf = this.buf.subarray(i + 2);
    const headers = await this.readHeaders();
    this.state = 'body';
    return { headers, body: this.bodyChunks() };
  }

  private async readHeaders(): Promise<Record<string, string>> {
    await this.need(2, 'part headers');
    let block = '';
    if (this.buf.subarray(0, 2).equals(CRLF)) {
      this.buf = this.buf.subarray(2);
    } else {
      let end = this.buf.indexOf(HEADER_END);
      while (end < 0) {
        if (this.buf.length > MAX_HEADER_BYTES) throw new MultipartError('part headers too long');
        if (!(await this.fill())) throw new MultipartError('unexpected end of form data (part headers)');
        end = this.buf.indexOf(HEADER_END);
      }
      if (end > MAX_HEADER_BYTES) throw new MultipartError('part headers too long');
      block = this.buf.subarray(0, end).toString('utf8');
      this.buf = this.buf.subarray(end + HEADER_END.length);
    }
    const headers: Record<string, string> = {};
    let last: string | undefined;
    for (const line of block.split('\r\n')) {
      if (!line) continue;
      if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
        headers[last] += ` ${line.trim()}`;
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) throw new MultipartError(`invalid part header line: ${JSON.stringify(line.slice(0, 60))}`);
      last = line.slice(0, colon).trim().toLowerCase();
      headers[last] = line.slice(colon + 1).trim();
    }
    return headers;
  }

  /** The current part's bytes, up to the next delimiter (which stays buffered). */
  private async *bodyChunks(): AsyncGenerator<Buffer> {
    while (this.state === 'body') {
      const at = this.buf.indexOf(this.delimiter);
      if (at >= 0) {
        const chunk = this.buf.subarray(0, at);
        this.buf = this.buf.subarray(at);
        this.state = 'boundary';
        if (chunk.length > 0) yield chunk;
        return;
      }
      // Keep a tail that could be the start of a delimiter split across reads.
      const safe = this.buf.length - (this.delimiter.length - 1);
      if (safe > 0) {
        const chunk = this.buf.subarray(0, safe);
        this.buf = this.buf.subarray(safe);
        yield chunk;
      }
      if (!(await this.fill())) throw new MultipartError('unexpected end of form data (no closing boundary)');
    }
  }
}

/** Content-Disposition of a part: its type and parameters (`name`, `filename`), unquoted. */
export function parseDisposition(v: string): { type: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  const m = /^\s*([^;\s]*)/.exec(v);
  const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let p = re.exec(v); p; p = re.exec(v)) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!.trim();
  }
  return { type: (m?.[1] ?? '').toLowerCase(), params };
}

/** The `boundary` of a multipart/form-data Content-Type, or undefined for any other type. */
export function formBoundary(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const [type, ...rest] = contentType.split(';');
  if (type!.trim().toLowerCase() !== 'multipart/form-data') return undefined;
  for (const p of rest) {
    const i = p.indexOf('=');
    if (i < 0 || p.slice(0, i).trim().toLowerCase() !== 'boundary') continue;
    const v = p.slice(i + 1).trim();
    return v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1) : v;
  }
  return undefined;
}
