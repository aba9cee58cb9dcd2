import { createHash, type Hash } from 'node:crypto';
import { incompleteBody, invalidChunk, signatureDoesNotMatch } from '../errors.js';
import type { ChunkSigning } from './request.js';
import { ALGORITHM, EMPTY_SHA256, sameSignature, sha256Hex, signHex } from './sigv4.js';

/** Largest chunk we accept (S3 clients send 8 KiB – 1 MiB; awscli up to 8 MiB). */
const MAX_CHUNK = 64 * 1024 * 1024;
const MAX_LINE = 4096;
const MAX_TRAILERS = 16;

type State = 'size' | 'data' | 'data-end' | 'final' | 'trailer' | 'done';

/**
 * Decodes an `aws-chunked` body (`<hex-size>[;chunk-signature=<sig>]\r\n<bytes>\r\n` … a zero
 * chunk, then optional trailer headers and an empty line), verifying each chunk's signature
 * against the previous one when the request was signed with STREAMING-AWS4-HMAC-SHA256-*.
 * Bytes are passed on as they arrive (no buffering); a bad signature, a malformed frame or a
 * body that ends early throws, which makes the store discard everything written.
 */
export class ChunkDecoder {
  private state: State = 'size';
  private line = '';
  private remaining = 0;
  private chunkSig = '';
  private hash: Hash | undefined;
  private prevSig: string;
  private trailerLines: string[] = [];
  private trailerSig: string | undefined;

  constructor(
    private readonly signing: ChunkSigning | undefined,
    private readonly withTrailer: boolean,
    /** Filled with the trailer headers (lower-case names), e.g. x-amz-checksum-crc32. */
    readonly trailers: Map<string, string> = new Map(),
  ) {
    this.prevSig = signing?.seed ?? '';
  }

  push(buf: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    while (i < buf.length) {
      if (this.state === 'done') throw invalidChunk('data after the final chunk');
      if (this.state === 'data') {
        const n = Math.min(this.remaining, buf.length - i);
        const piece = buf.subarray(i, i + n);
        this.hash?.update(piece);
        out.push(piece);
        this.remaining -= n;
        i += n;
        if (this.remaining === 0) this.state = 'data-end';
        continue;
      }
      const nl = buf.indexOf(0x0a, i);
      this.line += buf.toString('latin1', i, nl < 0 ? buf.length : nl);
      if (this.line.length > MAX_LINE) throw invalidChunk('a frame line is too long');
      if (nl < 0) break;
      i = nl + 1;
      if (!this.line.endsWith('\r')) throw invalidChunk('a frame line does not end in CRLF');
      const line = this.line.slice(0, -1);
      this.line = '';
      this.onLine(line);
    }
    return out;
  }

  /** The source ended: it must have ended exactly after the final frame. */
  end(): void {
    if (this.state !== 'done') throw incompleteBody();
  }

  private onLine(line: string): void {
    switch (this.state) {
      case 'size':
        return this.onSize(line);
      case 'data-end':
        if (line !== '') throw invalidChunk('chunk data is longer than its declared size');
        this.verifyChunk(this.hash?.digest('hex') ?? '');
        this.state = 'size';
        return;
      case 'final':
        if (line !== '') throw invalidChunk('missing the empty line after the final chunk');
        this.state = 'done';
        return;
      case 'trailer':
        return this.onTrailer(line);
      default:
        throw invalidChunk('unexpected frame');
    }
  }

  private onSize(line: string): void {
    const [size = '', ...exts] = line.split(';');
    if (!/^[0-9a-fA-F]{1,16}$/.test(size.trim())) throw invalidChunk('bad chunk size');
    const n = parseInt(size.trim(), 16);
    if (n > MAX_CHUNK) throw invalidChunk('chunk too large');
    const sig = exts.map((x) => x.trim()).find((x) => x.startsWith('chunk-signature='));
    this.chunkSig = sig?.slice('chunk-signature='.length) ?? '';
    if (this.signing && !/^[0-9a-f]{64}$/.test(this.chunkSig)) throw invalidChunk('missing chunk-signature');
    if (n > 0) {
      this.remaining = n;
      this.hash = this.signing ? createHash('sha256') : undefined;
      this.state = 'data';
      return;
    }
    this.verifyChunk(EMPTY_SHA256);
    this.state = this.withTrailer ? 'trailer' : 'final';
  }

  private onTrailer(line: string): void {
    if (line === '') {
      this.verifyTrailer();
      this.state = 'done';
      return;
    }
    const i = line.indexOf(':');
    if (i <= 0) throw invalidChunk('bad trailer header');
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    if (name === 'x-amz-trailer-signature') {
      this.trailerSig = value;
      return;
    }
    if (this.trailerLines.length >= MAX_TRAILERS) throw invalidChunk('too many trailer headers');
    this.trailerLines.push(`${name}:${value}`);
    this.trailers.set(name, value);
  }

  private verifyChunk(dataHash: string): void {
    if (!this.signing) return;
    const { key, amzDate, scope } = this.signing;
    const sts = [`${ALGORITHM}-PAYLOAD`, amzDate, scope, this.prevSig, EMPTY_SHA256, dataHash].join('\n');
    const expected = signHex(key, sts);
    if (!sameSignature(expected, this.chunkSig)) throw signatureDoesNotMatch({ StringToSign: sts, SignatureProvided: this.chunkSig.slice(0, 128) });
    this.prevSig = expected;
  }

  private verifyTrailer(): void {
    if (!this.signing) return;
    const { key, amzDate, scope } = this.signing;
    const canonical = this.trailerLines.map((l) => `${l}\n`).join('');
    const sts = [`${ALGORITHM}-TRAILER`, amzDate, scope, this.prevSig, sha256Hex(canonical)].join('\n');
    const expected = signHex(key, sts);
    if (!sameSignature(expected, this.trailerSig ?? '')) throw signatureDoesNotMatch({ StringToSign: sts, SignatureProvided: (this.trailerSig ?? '').slice(0, 128) });
  }
}

/** Streams the decoded bytes of an aws-chunked body. */
export async function* decodeAwsChunked(src: AsyncIterable<Buffer>, d: ChunkDecoder): AsyncGenerator<Buffer> {
  for await (const buf of src) {
    for (const piece of d.push(buf)) yield piece;
  }
  d.end();
}
