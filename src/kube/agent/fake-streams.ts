import { Duplex, PassThrough, type Readable } from 'node:stream';
import type { LogOptions } from '../api.js';

/**
 * What one fake container "printed": lines with their times, and live followers for
 * `logs -f` and attach. Keeps the last `max` lines.
 */
export class LogBuffer {
  private readonly lines: { at: number; text: string }[] = [];
  private readonly followers = new Set<(line: { at: number; text: string } | null) => void>();
  private partial = '';
  ended = false;

  constructor(private readonly max = 10_000) {}

  /** Appends output; text is split into lines (a trailing partial line waits for its end). */
  write(text: string): void {
    if (this.ended) return;
    this.partial += text;
    let nl = this.partial.indexOf('\n');
    while (nl !== -1) {
      this.push(this.partial.slice(0, nl));
      this.partial = this.partial.slice(nl + 1);
      nl = this.partial.indexOf('\n');
    }
  }

  /** The container ended: flush a partial line and end every follower. */
  end(): void {
    if (this.ended) return;
    if (this.partial) this.push(this.partial);
    this.partial = '';
    this.ended = true;
    for (const f of this.followers) f(null);
    this.followers.clear();
  }

  /** Every line so far, for tests and attach. */
  text(): string {
    return this.lines.map((l) => `${l.text}\n`).join('');
  }

  /** Calls `fn` for each new line, then with null at the end. Returns an unsubscribe. */
  subscribe(fn: (line: { at: number; text: string } | null) => void): () => void {
    if (this.ended) {
      fn(null);
      return () => undefined;
    }
    this.followers.add(fn);
    return () => this.followers.delete(fn);
  }

  /** A `kubectl logs` stream honouring tailLines, sinceSeconds, timestamps, limitBytes and follow. */
  stream(opts: LogOptions): Readable {
    const out = new PassThrough();
    let budget = opts.limitBytes && opts.limitBytes > 0 ? opts.limitBytes : Infinity;
    const since = opts.sinceSeconds && opts.sinceSeconds > 0 ? Date.now() - opts.sinceSeconds * 1000 : 0;
    let unsubscribe = () => undefined as unknown;
    const emit = (l: { at: number; text: string }): boolean => {
      if (budget <= 0) return false;
      let s = `${opts.timestamps ? `${nanoTime(l.at)} ` : ''}${l.text}\n`;
      if (Buffer.byteLength(s) > budget) s = Buffer.from(s).subarray(0, budget).toString();
      budget -= Buffer.byteLength(s);
      out.write(s);
      return budget > 0;
    };
    let backlog = this.lines.filter((l) => l.at >= since);
    if (opts.tailLines !== undefined && opts.tailLines >= 0) backlog = opts.tailLines === 0 ? [] : backlog.slice(-opts.tailLines);
    let open = true;
    for (const l of backlog) if (!(open = emit(l))) break;
    if (!open || !opts.follow || this.ended) {
      out.end();
      return out;
    }
    unsubscribe = this.subscribe((l) => {
      if (l === null || !emit(l)) {
        unsubscribe();
        out.end();
      }
    });
    out.on('close', () => unsubscribe());
    return out;
  }

  private push(text: string): void {
    const line = { at: Date.now(), text };
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
    for (const f of this.followers) f(line);
  }
}

/** RFC 3339 with nanoseconds, as `kubectl logs --timestamps` prints. */
function nanoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/**
 * The other end of a fake port-forward: an in-process echo. Bytes written come back unchanged,
 * except when the first bytes are an HTTP/1.x request line (`GET / HTTP/1.1`): then every
 * request gets `200 OK`, `Content-Type: text/plain`, and the body
 * `fake runtime: pod <namespace>/<name> port <port> answered <METHOD> <path>\n` (keep-alive is
 * honoured; `Connection: close` ends the stream after the answer). Ending the writable side
 * ends the readable side.
 */
export class EchoSocket extends Duplex {
  private mode: 'unknown' | 'echo' | 'http' = 'unknown';
  private buf = Buffer.alloc(0);

  constructor(
    private readonly label: string,
    private readonly port: number,
  ) {
    super();
  }

  override _read(): void {
    // Data is pushed as it is written.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.mode === 'echo') {
      this.push(chunk);
      return cb();
    }
    this.buf = Buffer.concat([this.buf, chunk]);
    if (this.mode === 'unknown') {
      // NOTE: decided on the first chunk; a request line split inside its method would echo.
      this.mode = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH) /.test(this.buf.subarray(0, 8).toString('latin1')) ? 'http' : 'echo';
      if (this.mode === 'echo') {
        this.push(this.buf);
        this.buf = Buffer.alloc(0);
        return cb();
      }
    }
    this.answerRequests();
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.mode !== 'http' && this.buf.length) this.push(this.buf);
    this.push(null);
    cb();
  }

  private answerRequests(): void {
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = this.buf.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (this.buf.length < end + 4 + length) return;
      this.buf = this.buf.subarray(end + 4 + length);
      const [method = 'GET', path = '/'] = head.split('\r\n')[0]!.split(' ');
      const close = /\r\nconnection:\s*close/i.test(head) || / HTTP\/1\.0$/.test(head.split('\r\n')[0]!);
      const body = `fake runtime: pod ${this.label} port ${this.port} answered ${method} ${path}\n`;
      const headers = [`HTTP/1.1 200 OK`, 'Content-Type: text/plain; charset=utf-8', `Content-Length: ${Buffer.byteLength(body)}`, `Connection: ${close ? 'close' : 'keep-alive'}`];
      this.push(`${headers.join('\r\n')}\r\n\r\n${method === 'HEAD' ? '' : body}`);
      if (close) {
        this.push(null);
        return;
      }
    }
  }
}
