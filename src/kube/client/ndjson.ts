import { StringDecoder } from 'node:string_decoder';

/**
 * Splits a watch response body (newline-delimited JSON, delivered in arbitrary chunks) into
 * values. A chunk may end in the middle of a line or of a multi-byte UTF-8 character; the
 * rest is kept until the next chunk. Blank lines are skipped. A line that is not JSON is
 * reported through `onBad` (with at most 200 characters of it) and dropped, so one garbled
 * event never stops a watch.
 *
 * @example
 *   const p = new NdjsonParser();
 *   p.push(Buffer.from('{"type":"ADD')); // []
 *   p.push(Buffer.from('ED","object":{}}\n')); // [{ type: 'ADDED', object: {} }]
 */
export class NdjsonParser {
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';

  constructor(private readonly onBad: (line: string, err: Error) => void = () => undefined) {}

  push(chunk: Buffer | string): unknown[] {
    this.rest += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const out: unknown[] = [];
    let nl = this.rest.indexOf('\n');
    while (nl !== -1) {
      this.parseLine(this.rest.slice(0, nl), out);
      this.rest = this.rest.slice(nl + 1);
      nl = this.rest.indexOf('\n');
    }
    return out;
  }

  /** The stream ended: a last line without a newline still counts. */
  end(): unknown[] {
    this.rest += this.decoder.end();
    const out: unknown[] = [];
    this.parseLine(this.rest, out);
    this.rest = '';
    return out;
  }

  /** Bytes held back waiting for a newline (for tests and diagnostics). */
  get pending(): number {
    return this.rest.length;
  }

  private parseLine(line: string, out: unknown[]): void {
    const text = line.trim();
    if (!text) return;
    try {
      out.push(JSON.parse(text));
    } catch (err) {
      this.onBad(text.slice(0, 200), err as Error);
    }
  }
}
