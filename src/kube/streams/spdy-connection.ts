import { EventEmitter } from 'node:events';
import {
  FLAG_FIN,
  FrameParser,
  FrameType,
  HeaderEncoder,
  HeaderInflater,
  MAX_DATA_CHUNK,
  RstStatus,
  SpdyProtocolError,
  encodeDataFrame,
  encodeGoaway,
  encodePing,
  encodeRstStream,
  encodeSynReply,
  parseGoaway,
  parsePing,
  parseRstStream,
  parseStreamHeaders,
  parseSynStream,
  type Frame,
  type SpdyHeaders,
} from './spdy.js';

/**
 * Where a SPDY connection's bytes go: a raw socket (plain `Upgrade: SPDY/3.1`) or a WebSocket
 * whose binary messages carry the byte stream (the tunnel). `write` returns false when the
 * transport's buffer is full; the transport then calls `onDrain` once it emptied.
 */
export interface SpdyTransport {
  write(data: Buffer): boolean;
  /** Stop / restart delivering input (TCP backpressure towards the client). */
  pauseInput(): void;
  resumeInput(): void;
  /** Close the transport; idempotent. */
  close(): void;
}

/**
 * One client-initiated SPDY stream. Events: `data` (Buffer), `end` (the client half-closed:
 * FIN), `reset` (RST_STREAM from the client, GOAWAY, or the connection went away). After
 * `reset` nothing more is delivered and writes are dropped.
 */
export class SpdyStream extends EventEmitter {
  localClosed = false;
  remoteClosed = false;
  isReset = false;

  constructor(
    private readonly conn: SpdyConnection,
    readonly id: number,
    readonly headers: SpdyHeaders,
  ) {
    super();
  }

  /** Sends bytes as DATA frames of at most 64 KiB; returns false when the transport is full. */
  write(data: Buffer): boolean {
    if (this.localClosed || this.isReset) return true;
    let ok = true;
    for (let off = 0; off < data.length; off += MAX_DATA_CHUNK) {
      ok = this.conn.send(encodeDataFrame(this.id, 0, data.subarray(off, off + MAX_DATA_CHUNK)));
    }
    return ok;
  }

  /** Half-closes our side (empty DATA frame with FIN). */
  end(): void {
    if (this.localClosed || this.isReset) return;
    this.localClosed = true;
    this.conn.send(encodeDataFrame(this.id, FLAG_FIN));
    this.conn.maybeForget(this);
  }

  reset(status: number = RstStatus.CANCEL): void {
    if (this.isReset) return;
    this.isReset = true;
    this.conn.send(encodeRstStream(this.id, status));
    this.conn.forget(this);
    this.emit('reset', status);
  }

  /** Called by the connection. */
  remoteReset(status: number): void {
    if (this.isReset) return;
    this.isReset = true;
    this.conn.forget(this);
    this.emit('reset', status);
  }
}

/**
 * The server side of one SPDY/3.1 connection, the minimum kubectl needs (reference §3.4):
 * every SYN_STREAM is answered with an empty SYN_REPLY at once and announced as a `stream`
 * event; PINGs are echoed; GOAWAY and transport loss reset every stream and emit `close`;
 * SETTINGS, WINDOW_UPDATE and HEADERS are read and ignored.
 *
 * NOTE: no flow control: kubectl's spdystream neither sends nor honours WINDOW_UPDATE, so
 * backpressure is TCP's: `pause(key)`/`resume(key)` stop reading the transport while any
 * consumer is full, and `drain` is emitted when the transport can take more.
 */
export class SpdyConnection extends EventEmitter {
  private readonly parser = new FrameParser();
  private readonly inflater = new HeaderInflater();
  private readonly encoder = new HeaderEncoder();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly pausers = new Set<unknown>();
  private highestStreamId = 0;
  private queue: Frame[] = [];
  private busy = false;
  private closed = false;

  constructor(private readonly transport: SpdyTransport) {
    super();
  }

  /** Feeds bytes read from the transport. */
  receive(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Frame[];
    try {
      frames = this.parser.push(chunk);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    for (const f of frames) this.enqueue(f);
  }

  /** The transport ended or failed. */
  transportClosed(): void {
    this.shutdown();
  }

  /** Called by the transport when it can take more bytes. */
  drained(): void {
    this.emit('drain');
  }

  send(frame: Buffer): boolean {
    if (this.closed) return true;
    return this.transport.write(frame);
  }

  pause(key: unknown): void {
    if (this.pausers.size === 0) this.transport.pauseInput();
    this.pausers.add(key);
  }

  resume(key: unknown): void {
    if (!this.pausers.delete(key)) return;
    if (this.pausers.size === 0) this.transport.resumeInput();
  }

  /** Sends GOAWAY and closes the transport. */
  close(): void {
    if (this.closed) return;
    this.send(encodeGoaway(this.highestStreamId));
    this.shutdown();
  }

  /** Closes the transport without GOAWAY (after the last stream finished). */
  end(): void {
    this.shutdown();
  }

  get streamCount(): number {
    return this.streams.size;
  }

  forget(stream: SpdyStream): void {
    this.streams.delete(stream.id);
    this.resume(stream);
  }

  maybeForget(stream: SpdyStream): void {
    if (stream.localClosed && stream.remoteClosed) this.forget(stream);
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.inflater.close();
    for (const s of [...this.streams.values()]) s.remoteReset(RstStatus.CANCEL);
    this.streams.clear();
    this.transport.close();
    this.emit('close');
  }

  private fail(err: Error): void {
    this.emit('protocolError', err);
    this.close();
  }

  private enqueue(frame: Frame): void {
    if (this.busy) {
      this.queue.push(frame);
      return;
    }
    this.handle(frame);
  }

  /** Runs queued frames until one needs an asynchronous header decode. */
  private drainQueue(): void {
    while (!this.busy && !this.closed && this.queue.length > 0) this.handle(this.queue.shift()!);
  }

  private handle(frame: Frame): void {
    try {
      if (frame.kind === 'data') this.onData(frame.streamId, frame.flags, frame.data);
      else this.onControl(frame.type, frame.flags, frame.payload);
    } catch (err) {
      this.fail(err instanceof SpdyProtocolError ? err : new SpdyProtocolError(String(err)));
    }
  }

  private onData(streamId: number, flags: number, data: Buffer): void {
    const stream = this.streams.get(streamId);
    if (!stream) {
      // Late frames for a stream we already reset or finished are expected; anything else is a
      // stream the client never opened.
      if (streamId > this.highestStreamId) this.send(encodeRstStream(streamId, RstStatus.INVALID_STREAM));
      return;
    }
    if (stream.remoteClosed) {
      stream.reset(RstStatus.STREAM_ALREADY_CLOSED);
      return;
    }
    if (data.length > 0) stream.emit('data', data);
    if (flags & FLAG_FIN) this.remoteFin(stream);
  }

  private remoteFin(stream: SpdyStream): void {
    if (stream.remoteClosed) return;
    stream.remoteClosed = true;
    stream.emit('end');
    this.maybeForget(stream);
  }

  private onControl(type: number, flags: number, payload: Buffer): void {
    switch (type) {
      case FrameType.SYN_STREAM:
        return this.onSynStream(flags, payload);
      case FrameType.RST_STREAM: {
        const { streamId, status } = parseRstStream(payload);
        this.streams.get(streamId)?.remoteReset(status);
        return;
      }
      case FrameType.PING: {
        const id = parsePing(payload);
        // Client pings carry odd ids; even ids would be answers to our own pings (we send none).
        if (id % 2 === 1) this.send(encodePing(id));
        return;
      }
      case FrameType.GOAWAY:
        this.emit('goaway', parseGoaway(payload));
        this.shutdown();
        return;
      case FrameType.HEADERS:
      case FrameType.SYN_REPLY: {
        // Keep the inflater in step with the client's compressor; the headers themselves are
        // not used by any stream type kubectl opens.
        const { streamId, headerBlock } = parseStreamHeaders(payload);
        this.decodeThen(headerBlock, () => {
          const s = this.streams.get(streamId);
          if (s && flags & FLAG_FIN) this.remoteFin(s);
        });
        return;
      }
      default:
        // SETTINGS, WINDOW_UPDATE, CREDENTIAL, unknown types: ignored (no flow control).
        return;
    }
  }

  private onSynStream(flags: number, payload: Buffer): void {
    const syn = parseSynStream(payload);
    if (syn.streamId === 0 || syn.streamId % 2 === 0 || syn.streamId <= this.highestStreamId) {
      this.decodeThen(syn.headerBlock, () => this.send(encodeRstStream(syn.streamId, RstStatus.PROTOCOL_ERROR)));
      return;
    }
    this.highestStreamId = syn.streamId;
    this.decodeThen(syn.headerBlock, (headers) => {
      const stream = new SpdyStream(this, syn.streamId, headers);
      this.streams.set(stream.id, stream);
      // SYN_REPLY at once: the client drops data that arrives before the reply.
      this.send(encodeSynReply(stream.id, 0, this.encoder.encode({})));
      this.emit('stream', stream);
      if (flags & FLAG_FIN) this.remoteFin(stream);
    });
  }

  /** Decodes a header block in connection order, holding later frames until it is done. */
  private decodeThen(block: Buffer, then: (headers: SpdyHeaders) => void): void {
    this.busy = true;
    this.inflater.decode(block).then(
      (headers) => {
        this.busy = false;
        if (this.closed) return;
        this.handleSafely(() => then(headers));
        this.drainQueue();
      },
      (err: Error) => {
        this.busy = false;
        this.fail(err);
      },
    );
  }

  private handleSafely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fail(err as Error);
    }
  }
}
