import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';

/**
 * SPDY/3.1 framing: what a server needs to talk to kubectl's spdystream (reference §3.4).
 * Pure data in and out: `FrameParser` turns a byte stream into frames, the `encode*` functions
 * build frames, `HeaderInflater` decodes incoming header blocks (zlib with the SPDY/3
 * dictionary, one stream per connection) and `HeaderEncoder` writes outgoing blocks without a
 * compressor. The session logic (streams, pings, resets) lives in `spdy-connection.ts`.
 *
 * All integers are big-endian.
 *   control frame: 0x80 0x03 | type u16 | flags u8 | length u24 | payload
 *   data frame:    streamId u32 (top bit 0) | flags u8 | length u24 | payload
 */

export const SPDY_VERSION = 3;

export const FrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes (SPDY/3 §2.4.2). */
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
} as const;

/** The largest payload the 24-bit length field can carry. */
export const MAX_FRAME_PAYLOAD = 0xffffff;
/** Our DATA frames carry at most this much (kubectl accepts up to the 24-bit maximum). */
export const MAX_DATA_CHUNK = 64 * 1024;

export interface DataFrame {
  kind: 'data';
  streamId: number;
  flags: number;
  data: Buffer;
}

export interface ControlFrame {
  kind: 'control';
  version: number;
  type: number;
  flags: number;
  payload: Buffer;
}

export type Frame = DataFrame | ControlFrame;

/** Malformed input: the connection should send GOAWAY (or just close) and end. */
export class SpdyProtocolError extends Error {}

/**
 * Incremental frame parser. `push` takes any slice of the byte stream (message boundaries of a
 * WebSocket tunnel or TCP reads mean nothing) and returns the frames completed by it. Bytes are
 * kept as a list of chunks and joined once per frame, so large frames arriving in small reads
 * cost linear time.
 */
export class FrameParser {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxPayload = MAX_FRAME_PAYLOAD) {}

  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < 8) break;
      const head = this.peek(8);
      const length = head.readUIntBE(5, 3);
      if (length > this.maxPayload) throw new SpdyProtocolError(`frame of ${length} bytes exceeds the limit of ${this.maxPayload}`);
      if (this.buffered < 8 + length) break;
      const frame = this.take(8 + length);
      frames.push(decodeFrame(frame));
    }
    return frames;
  }

  /** Bytes received but not yet forming a whole frame. */
  get pending(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined;
  }

  private take(n: number): Buffer {
    const first = this.peek(n);
    const out = first.subarray(0, n);
    const rest = first.subarray(n);
    if (rest.length > 0) this.chunks[0] = rest;
    else this.chunks.shift();
    this.buffered -= n;
    return out;
  }
}

function decodeFrame(buf: Buffer): Frame {
  const flags = buf[4]!;
  const payload = buf.subarray(8);
  if ((buf[0]! & 0x80) !== 0) {
    const version = buf.readUInt16BE(0) & 0x7fff;
    return { kind: 'control', version, type: buf.readUInt16BE(2), flags, payload };
  }
  return { kind: 'data', streamId: buf.readUInt32BE(0) & 0x7fffffff, flags, data: payload };
}

// --- control frame payloads ------------------------------------------------------------

export interface SynStream {
  streamId: number;
  associatedId: number;
  priority: number;
  /** Compressed header block. */
  headerBlock: Buffer;
}

export function parseSynStream(payload: Buffer): SynStream {
  if (payload.length < 10) throw new SpdyProtocolError(`SYN_STREAM payload of ${payload.length} bytes is too short`);
  return {
    streamId: payload.readUInt32BE(0) & 0x7fffffff,
    associatedId: payload.readUInt32BE(4) & 0x7fffffff,
    priority: payload[8]! >> 5,
    headerBlock: payload.subarray(10),
  };
}

/** SYN_REPLY and HEADERS: stream id then header block. */
export function parseStreamHeaders(payload: Buffer): { streamId: number; headerBlock: Buffer } {
  if (payload.length < 4) throw new SpdyProtocolError('SYN_REPLY/HEADERS payload is too short');
  return { streamId: payload.readUInt32BE(0) & 0x7fffffff, headerBlock: payload.subarray(4) };
}

export function parseRstStream(payload: Buffer): { streamId: number; status: number } {
  if (payload.length < 8) throw new SpdyProtocolError('RST_STREAM payload is too short');
  return { streamId: payload.readUInt32BE(0) & 0x7fffffff, status: payload.readUInt32BE(4) };
}

export function parsePing(payload: Buffer): number {
  if (payload.length < 4) throw new SpdyProtocolError('PING payload is too short');
  return payload.readUInt32BE(0);
}

export function parseGoaway(payload: Buffer): { lastGoodStreamId: number; status: number } {
  if (payload.length < 4) throw new SpdyProtocolError('GOAWAY payload is too short');
  return { lastGoodStreamId: payload.readUInt32BE(0) & 0x7fffffff, status: payload.length >= 8 ? payload.readUInt32BE(4) : 0 };
}

// --- encoders ------------------------------------------------------------------------

export function encodeControlFrame(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new RangeError(`control frame payload of ${payload.length} bytes is too large`);
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head[4] = flags;
  head.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([head, payload]);
}

export function encodeDataFrame(streamId: number, flags: number, data: Buffer = Buffer.alloc(0)): Buffer {
  if (data.length > MAX_FRAME_PAYLOAD) throw new RangeError(`data frame payload of ${data.length} bytes is too large`);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head[4] = flags;
  head.writeUIntBE(data.length, 5, 3);
  return data.length === 0 ? head : Buffer.concat([head, data]);
}

export function encodeSynStream(streamId: number, flags: number, headerBlock: Buffer, associatedId = 0, priority = 0): Buffer {
  const p = Buffer.alloc(10);
  p.writeUInt32BE(streamId & 0x7fffffff, 0);
  p.writeUInt32BE(associatedId & 0x7fffffff, 4);
  p[8] = (priority & 7) << 5;
  return encodeControlFrame(FrameType.SYN_STREAM, flags, Buffer.concat([p, headerBlock]));
}

export function encodeSynReply(streamId: number, flags: number, headerBlock: Buffer): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(streamId & 0x7fffffff, 0);
  return encodeControlFrame(FrameType.SYN_REPLY, flags, Buffer.concat([p, headerBlock]));
}

export function encodeRstStream(streamId: number, status: number): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(streamId & 0x7fffffff, 0);
  p.writeUInt32BE(status, 4);
  return encodeControlFrame(FrameType.RST_STREAM, 0, p);
}

export function encodePing(id: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(id >>> 0, 0);
  return encodeControlFrame(FrameType.PING, 0, p);
}

export function encodeGoaway(lastGoodStreamId: number, status = 0): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(lastGoodStreamId & 0x7fffffff, 0);
  p.writeUInt32BE(status, 4);
  return encodeControlFrame(FrameType.GOAWAY, 0, p);
}

// --- header blocks -----------------------------------------------------------------------

/** Header names are lower-case; several values of one name are joined by NUL on the wire. */
export type SpdyHeaders = Record<string, string>;

/** The uncompressed form: count u32, then per header nameLen u32, name, valueLen u32, value. */
export function serializeHeaders(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(value, 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function parseHeaders(raw: Buffer): SpdyHeaders {
  const headers: SpdyHeaders = {};
  if (raw.length < 4) throw new SpdyProtocolError('header block is too short');
  const count = raw.readUInt32BE(0);
  let off = 4;
  const read = (): string => {
    if (off + 4 > raw.length) throw new SpdyProtocolError('header block is truncated');
    const len = raw.readUInt32BE(off);
    off += 4;
    if (off + len > raw.length) throw new SpdyProtocolError('header block is truncated');
    const s = raw.toString('utf8', off, off + len);
    off += len;
    return s;
  };
  for (let i = 0; i < count; i++) {
    const name = read().toLowerCase();
    const value = read();
    headers[name] = name in headers ? `${headers[name]}\0${value}` : value;
  }
  return headers;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/**
 * Decodes the incoming header blocks of one connection. The peer compresses all its blocks with
 * one zlib stream primed with the SPDY/3 dictionary, each block ending in a sync flush, so the
 * blocks must be inflated in order through one inflater. Calls are queued internally; each
 * promise resolves with the decoded headers of its block.
 */
export class HeaderInflater {
  private readonly inflate = zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
  private chain: Promise<unknown> = Promise.resolve();
  private failed: Error | null = null;
  private pendingReject: ((err: Error) => void) | null = null;

  constructor() {
    this.inflate.on('error', (err) => {
      this.failed = new SpdyProtocolError(`cannot decompress a header block: ${err.message}`);
      this.pendingReject?.(this.failed);
      this.pendingReject = null;
    });
  }

  decode(block: Buffer): Promise<SpdyHeaders> {
    const next = this.chain.then(() => this.inflateOne(block)).then(parseHeaders);
    this.chain = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.inflate.close();
  }

  private inflateOne(block: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.failed) return reject(this.failed);
      if (block.length === 0) return resolve(Buffer.alloc(0));
      this.pendingReject = reject;
      this.inflate.write(block);
      this.inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        this.pendingReject = null;
        if (this.failed) return reject(this.failed);
        const out: Buffer[] = [];
        for (let chunk: Buffer | null; (chunk = this.inflate.read() as Buffer | null) !== null; ) out.push(chunk);
        resolve(Buffer.concat(out));
      });
    });
  }
}

/**
 * Encodes outgoing header blocks without compressing (reference §3.4): the first block of the
 * connection starts with a zlib header naming no dictionary (`78 01`), and every block is one
 * stored deflate block followed by an empty stored block (`00 00 00 FF FF`, a sync flush).
 *
 * NOTE: the empty block matters: without it Go's flate reader reads past the end of the frame
 * and fails on the second block ("compressed payload size was incorrect").
 */
export class HeaderEncoder {
  private started = false;

  encode(headers: SpdyHeaders): Buffer {
    const raw = serializeHeaders(headers);
    const parts: Buffer[] = [];
    if (!this.started) {
      parts.push(Buffer.from([0x78, 0x01]));
      this.started = true;
    }
    // A stored block holds at most 65535 bytes; header blocks this large never occur here,
    // but split anyway so the encoding stays valid.
    for (let off = 0; off < raw.length || off === 0; off += 0xffff) {
      const piece = raw.subarray(off, off + 0xffff);
      const head = Buffer.alloc(5);
      head[0] = 0x00; // BFINAL=0, BTYPE=00 (stored)
      head.writeUInt16LE(piece.length, 1);
      head.writeUInt16LE(~piece.length & 0xffff, 3);
      parts.push(head, piece);
      if (raw.length === 0) break;
    }
    parts.push(Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]));
    return Buffer.concat(parts);
  }
}
