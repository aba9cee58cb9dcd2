import { closeSync, openSync, readFileSync, readSync, fstatSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { LogOptions } from '../../api.js';

/**
 * Container logs in the CRI format the shim writes (`src/dataplane/oci/shim.ts`), one line per
 * output line: `2025-01-02T03:04:05.123456000Z stdout F text`. `kubectl logs` options apply
 * to that: sinceSeconds, tailLines, timestamps, limitBytes, follow.
 */

export interface LogLine {
  /** RFC 3339 with nanoseconds, as written. */
  ts: string;
  ms: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

export function parseLogLine(line: string): LogLine | undefined {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  if (a < 0 || b < 0) return undefined;
  const ts = line.slice(0, a);
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const ms = Date.parse(ts);
  return { ts, ms: Number.isFinite(ms) ? ms : 0, stream, text: c < 0 ? '' : line.slice(c + 1) };
}

/** The text one log line contributes to the response (with its newline). */
export function renderLine(l: LogLine, timestamps: boolean | undefined): string {
  return `${timestamps ? `${l.ts} ` : ''}${l.text}\n`;
}

/** Lines of a whole log file chosen by sinceSeconds and tailLines (limitBytes is applied by the stream). */
export function selectLines(text: string, opts: LogOptions, now = Date.now()): LogLine[] {
  let lines = text
    .split('\n')
    .filter((l) => l.length)
    .map(parseLogLine)
    .filter((l): l is LogLine => !!l);
  if (opts.sinceSeconds !== undefined && opts.sinceSeconds > 0) {
    const since = now - opts.sinceSeconds * 1000;
    lines = lines.filter((l) => l.ms >= since);
  }
  if (opts.tailLines !== undefined && opts.tailLines >= 0) lines = opts.tailLines === 0 ? [] : lines.slice(-opts.tailLines);
  return lines;
}

/**
 * A readable of a container's log: what is there now (after sinceSeconds/tailLines), then with
 * `follow` new lines as they are written (polled every `pollMs`) until `done()` says the
 * container ended and the file has been read to its end. `limitBytes` ends the stream early.
 */
export function logStream(file: string, opts: LogOptions, done: () => boolean, pollMs = 100, only: { stream?: 'stdout' | 'stderr'; from?: number } = {}): Readable {
  let offset = 0;
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  let partial = '';
  const limit = opts.limitBytes !== undefined && opts.limitBytes > 0 ? opts.limitBytes : Infinity;
  const out = new Readable({
    read() {},
    destroy(err, cb) {
      if (timer) clearTimeout(timer);
      cb(err);
    },
  });
  const emit = (s: string): boolean => {
    if (sent >= limit) return false;
    const buf = Buffer.from(s);
    const room = limit - sent;
    out.push(buf.length > room ? buf.subarray(0, room) : buf);
    sent += Math.min(buf.length, room);
    return sent < limit;
  };
  const finish = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    out.push(null);
  };
  let initial: string;
  try {
    initial = only.from !== undefined ? '' : readFileSync(file, 'utf8');
  } catch {
    initial = '';
  }
  // Only whole lines: a line being written is picked up by the next poll.
  const cut = initial.lastIndexOf('\n') + 1;
  offset = only.from ?? Buffer.byteLength(initial.slice(0, cut));
  for (const l of selectLines(initial.slice(0, cut), opts)) if (!emit(renderLine(l, opts.timestamps))) return (finish(), out);
  if (!opts.follow) {
    finish();
    return out;
  }
  const poll = () => {
    timer = undefined;
    if (out.destroyed) return;
    const ended = done(); // read before the file: a line written before the exit is not lost
    let chunk = '';
    try {
      const fd = openSync(file, 'r');
      try {
        const size = fstatSync(fd).size;
        if (size > offset) {
          const buf = Buffer.alloc(size - offset);
          const n = readSync(fd, buf, 0, buf.length, offset);
          offset += n;
          chunk = buf.subarray(0, n).toString('utf8');
        }
      } finally {
        closeSync(fd);
      }
    } catch {
      // not there yet
    }
    const text = partial + chunk;
    const last = text.lastIndexOf('\n');
    partial = last < 0 ? text : text.slice(last + 1);
    for (const raw of (last < 0 ? '' : text.slice(0, last)).split('\n')) {
      const l = raw ? parseLogLine(raw) : undefined;
      if (l && (!only.stream || l.stream === only.stream) && !emit(renderLine(l, opts.timestamps))) return finish();
    }
    if (ended && !chunk) return finish();
    timer = setTimeout(poll, pollMs);
  };
  timer = setTimeout(poll, pollMs);
  return out;
}
