import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';
import {
  FLAG_FIN,
  FrameParser,
  FrameType,
  HeaderEncoder,
  HeaderInflater,
  RstStatus,
  SpdyProtocolError,
  encodeControlFrame,
  encodeDataFrame,
  encodePing,
  encodeRstStream,
  encodeSynStream,
  parseHeaders,
  parsePing,
  parseRstStream,
  parseStreamHeaders,
  parseSynStream,
  serializeHeaders,
  type ControlFrame,
  type DataFrame,
} from './spdy.js';
import { SpdyConnection, type SpdyStream } from './spdy-connection.js';

function adler32(buf: Buffer): number {
  let a = 1;
  let b = 0;
  for (const x of buf) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** A client-side compressor like spdystream's: one zlib stream with the dictionary, sync-flushed per block. */
function clientCompressor(): (headers: Record<string, string>) => Promise<Buffer> {
  const deflate = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
  return (headers) =>
    new Promise((resolve) => {
      deflate.write(serializeHeaders(headers));
      deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        const out: Buffer[] = [];
        for (let c: Buffer | null; (c = deflate.read() as Buffer | null) !== null; ) out.push(c);
        resolve(Buffer.concat(out));
      });
    });
}

test('the SPDY/3 dictionary has the spec length and Adler-32 (DICTID e3c6a7c2)', () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  assert.equal(adler32(SPDY3_DICTIONARY).toString(16), 'e3c6a7c2');
});

test('control and data frames round-trip through the parser, split at every byte', () => {
  const frames = Buffer.concat([
    encodeControlFrame(FrameType.SETTINGS, 0, Buffer.from([0, 0, 0, 0])),
    encodeDataFrame(5, FLAG_FIN, Buffer.from('hello')),
    encodePing(7),
    encodeRstStream(3, RstStatus.CANCEL),
    encodeDataFrame(1, 0),
  ]);
  const parser = new FrameParser();
  const got = [];
  for (let i = 0; i < frames.length; i++) got.push(...parser.push(frames.subarray(i, i + 1)));
  assert.equal(got.length, 5);
  assert.equal(parser.pending, 0);
  const [settings, data, ping, rst, empty] = got as [ControlFrame, DataFrame, ControlFrame, ControlFrame, DataFrame];
  assert.deepEqual([settings.kind, settings.version, settings.type], ['control', 3, FrameType.SETTINGS]);
  assert.deepEqual([data.kind, data.streamId, data.flags, data.data.toString()], ['data', 5, FLAG_FIN, 'hello']);
  assert.equal(parsePing(ping.payload), 7);
  assert.deepEqual(parseRstStream(rst.payload), { streamId: 3, status: RstStatus.CANCEL });
  assert.deepEqual([empty.streamId, empty.data.length], [1, 0]);
});

test('the parser rejects frames above its limit', () => {
  const parser = new FrameParser(16);
  assert.throws(() => parser.push(encodeDataFrame(1, 0, Buffer.alloc(17))), SpdyProtocolError);
});

test('header blocks serialize and parse; repeated names join with NUL', () => {
  const raw = serializeHeaders({ streamtype: 'data', port: '8080', requestid: '0' });
  assert.deepEqual(parseHeaders(raw), { streamtype: 'data', port: '8080', requestid: '0' });
  const dup = Buffer.concat([serializeHeaders({ a: '1' }).subarray(0, 0), Buffer.from([0, 0, 0, 2]), serializeHeaders({ a: '1' }).subarray(4), serializeHeaders({ A: '2' }).subarray(4)]);
  assert.deepEqual(parseHeaders(dup), { a: '1\u00002' });
  assert.throws(() => parseHeaders(Buffer.from([0, 0, 0, 1, 0, 0, 0, 9, 65])), SpdyProtocolError);
});

test('HeaderInflater decodes consecutive blocks of one dictionary-primed zlib stream', async () => {
  const compress = clientCompressor();
  const inflater = new HeaderInflater();
  const blocks = [
    await compress({ streamtype: 'error', port: '80', requestid: '0' }),
    await compress({ streamtype: 'data', port: '80', requestid: '0' }),
    await compress({ streamtype: 'error', port: '80', requestid: '1' }),
  ];
  // The first block names the dictionary (FDICT set, DICTID = e3c6a7c2).
  assert.equal(blocks[0]![1]! & 0x20, 0x20);
  assert.equal(blocks[0]!.readUInt32BE(2).toString(16), 'e3c6a7c2');
  const decoded = await Promise.all(blocks.map((b) => inflater.decode(b)));
  assert.deepEqual(decoded.map((h) => `${h.streamtype}/${h.requestid}`), ['error/0', 'data/0', 'error/1']);
  inflater.close();
});

test('HeaderInflater rejects garbage with a protocol error', async () => {
  const inflater = new HeaderInflater();
  await assert.rejects(inflater.decode(Buffer.from('not zlib at all')), SpdyProtocolError);
  inflater.close();
});

test('HeaderEncoder writes stored blocks with a sync flush that any inflater reads block by block', async () => {
  const enc = new HeaderEncoder();
  const first = enc.encode({});
  const second = enc.encode({ status: '200' });
  assert.deepEqual([...first.subarray(0, 2)], [0x78, 0x01]);
  assert.deepEqual([...first.subarray(-5)], [0, 0, 0, 0xff, 0xff]);
  assert.deepEqual([...second.subarray(0, 1)], [0]);
  const inflate = zlib.createInflate();
  const read = (block: Buffer): Promise<Buffer> =>
    new Promise((resolve) => {
      inflate.write(block);
      inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        const out: Buffer[] = [];
        for (let c: Buffer | null; (c = inflate.read() as Buffer | null) !== null; ) out.push(c);
        resolve(Buffer.concat(out));
      });
    });
  assert.deepEqual(parseHeaders(await read(first)), {});
  assert.deepEqual(parseHeaders(await read(second)), { status: '200' });
  inflate.close();
});

test('SYN_STREAM payloads keep stream id, priority and header block', () => {
  const frame = encodeSynStream(7, FLAG_FIN, Buffer.from('xyz'), 0, 3);
  const [f] = new FrameParser().push(frame) as [ControlFrame];
  const syn = parseSynStream(f.payload);
  assert.deepEqual([f.type, f.flags, syn.streamId, syn.priority, syn.headerBlock.toString()], [FrameType.SYN_STREAM, FLAG_FIN, 7, 3, 'xyz']);
});

function fakeTransport() {
  const parser = new FrameParser();
  const out: (ControlFrame | DataFrame)[] = [];
  let closed = false;
  return {
    out,
    get closed() {
      return closed;
    },
    transport: {
      write: (b: Buffer) => {
        out.push(...parser.push(b));
        return true;
      },
      pauseInput: () => undefined,
      resumeInput: () => undefined,
      close: () => {
        closed = true;
      },
    },
  };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

test('SpdyConnection replies to SYN_STREAM at once, dispatches data in order, echoes pings, handles FIN and RST', async () => {
  const t = fakeTransport();
  const conn = new SpdyConnection(t.transport);
  const compress = clientCompressor();
  const seen: string[] = [];
  conn.on('stream', (s: SpdyStream) => {
    seen.push(`open ${s.id} ${s.headers.streamtype}`);
    s.on('data', (d: Buffer) => seen.push(`data ${s.id} ${d.toString()}`));
    s.on('end', () => seen.push(`end ${s.id}`));
    s.on('reset', () => seen.push(`reset ${s.id}`));
  });
  // A SYN_STREAM immediately followed by data for it, in one chunk: the data must wait for
  // the asynchronous header decode.
  conn.receive(Buffer.concat([
    encodeSynStream(1, 0, await compress({ streamtype: 'error' })),
    encodeSynStream(3, 0, await compress({ streamtype: 'data' })),
    encodeDataFrame(3, 0, Buffer.from('abc')),
    encodePing(5),
    encodeDataFrame(3, FLAG_FIN),
    encodeRstStream(1, RstStatus.CANCEL),
  ]));
  await tick();
  assert.deepEqual(seen, ['open 1 error', 'open 3 data', 'data 3 abc', 'end 3', 'reset 1']);
  const replies = t.out.filter((f): f is ControlFrame => f.kind === 'control' && f.type === FrameType.SYN_REPLY);
  assert.deepEqual(replies.map((f) => parseStreamHeaders(f.payload).streamId), [1, 3]);
  const pings = t.out.filter((f): f is ControlFrame => f.kind === 'control' && f.type === FrameType.PING);
  assert.deepEqual(pings.map((f) => parsePing(f.payload)), [5]);
  // Writing on a stream produces DATA frames of at most 64 KiB; end() sends a FIN.
  t.out.length = 0;
  const s9 = await new Promise<SpdyStream>((resolve) => {
    conn.once('stream', resolve);
    void compress({ streamtype: 'data' }).then((b) => conn.receive(encodeSynStream(9, 0, b)));
  });
  s9.write(Buffer.alloc(70 * 1024, 1));
  s9.end();
  const writes = t.out.filter((f): f is DataFrame => f.kind === 'data' && f.streamId === 9);
  assert.deepEqual(writes.map((f) => [f.data.length, f.flags]), [[64 * 1024, 0], [6 * 1024, 0], [0, FLAG_FIN]]);
  // Data for a stream never opened is refused.
  t.out.length = 0;
  conn.receive(encodeDataFrame(101, 0, Buffer.from('x')));
  const rst = t.out.find((f): f is ControlFrame => f.kind === 'control' && f.type === FrameType.RST_STREAM);
  assert.deepEqual(rst && parseRstStream(rst.payload), { streamId: 101, status: RstStatus.INVALID_STREAM });
  conn.close();
  assert.equal(t.closed, true);
});

test('SpdyConnection answers a garbage header block with GOAWAY and closes', async () => {
  const t = fakeTransport();
  const conn = new SpdyConnection(t.transport);
  let closed = false;
  conn.on('close', () => (closed = true));
  conn.on('protocolError', () => undefined);
  conn.receive(encodeSynStream(1, 0, Buffer.from('garbage')));
  await tick();
  assert.equal(closed, true);
  assert.ok(t.out.some((f) => f.kind === 'control' && f.type === FrameType.GOAWAY));
});
