import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkDecoder } from './chunked.js';
import { canonicalQuery, canonicalRequest, parseAmzDate, parseCredential, scopeString, signHex, signingKey, stringToSign, uriEncode } from './sigv4.js';

// The worked examples of the AWS documentation ("Signature Calculations for the Authorization
// Header" and "Signature Calculation: Transfer Payload in Multiple Chunks").
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SCOPE = { accessKey: 'AKIAIOSFODNN7EXAMPLE', date: '20130524', region: 'us-east-1', service: 's3' };
const DATE = '20130524T000000Z';

describe('sigv4', () => {
  it('signs the documented GET Object example', () => {
    const raw = ['Host', 'examplebucket.s3.amazonaws.com', 'Range', 'bytes=0-9', 'x-amz-content-sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'x-amz-date', DATE];
    const canonical = canonicalRequest({
      method: 'GET',
      path: '/test.txt',
      query: [],
      rawHeaders: raw,
      signedHeaders: ['host', 'range', 'x-amz-content-sha256', 'x-amz-date'],
      payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
    const sig = signHex(signingKey(SECRET, SCOPE), stringToSign(DATE, SCOPE, canonical));
    assert.equal(sig, 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
  });

  it('canonical query: encoded, sorted, empty values kept', () => {
    assert.equal(canonicalQuery([['prefix', 'a b/c'], ['list-type', '2'], ['acl', '']]), 'acl=&list-type=2&prefix=a%20b%2Fc');
    assert.equal(uriEncode('a b/ü~', true), 'a%20b/%C3%BC~');
  });

  it('parses credentials and dates strictly', () => {
    assert.deepEqual(parseCredential('AKID/20240101/RegionOne/s3/aws4_request'), { accessKey: 'AKID', date: '20240101', region: 'RegionOne', service: 's3' });
    for (const bad of ['AKID/2024/r/s3/aws4_request', 'AKID/20240101/r/s3', '/20240101/r/s3/aws4_request', 'AKID/20240101/r/s3/aws5_request']) assert.equal(parseCredential(bad), undefined, bad);
    assert.equal(parseAmzDate('20130524T000000Z'), Date.UTC(2013, 4, 24));
    for (const bad of ['20130532T000000Z', '2013-05-24T00:00:00Z', '']) assert.equal(parseAmzDate(bad), undefined, bad);
  });
});

describe('aws-chunked', () => {
  const signing = () => ({
    key: signingKey(SECRET, SCOPE),
    amzDate: DATE,
    scope: scopeString(SCOPE),
    seed: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
  });
  const frame = (data: Buffer, sig: string) => Buffer.concat([Buffer.from(`${data.length.toString(16)};chunk-signature=${sig}\r\n`), data, Buffer.from('\r\n')]);
  const example = (first = 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648') =>
    Buffer.concat([
      frame(Buffer.alloc(65536, 'a'), first),
      frame(Buffer.alloc(1024, 'a'), '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497'),
      frame(Buffer.alloc(0), 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9'),
    ]);

  /** Feeds the body in small, odd-sized pieces, as a socket would. */
  function decode(d: ChunkDecoder, body: Buffer): Buffer {
    const out: Buffer[] = [];
    for (let i = 0; i < body.length; i += 1000) out.push(...d.push(body.subarray(i, i + 1000)));
    d.end();
    return Buffer.concat(out);
  }

  it('verifies the documented example chunk by chunk', () => {
    const data = decode(new ChunkDecoder(signing(), false), example());
    assert.equal(data.length, 66560);
    assert.ok(data.every((b) => b === 0x61));
  });

  it('refuses a wrong chunk signature, a truncated body and trailing garbage', () => {
    assert.throws(() => decode(new ChunkDecoder(signing(), false), example('0'.repeat(64))), /signature/i);
    assert.throws(() => decode(new ChunkDecoder(signing(), false), example().subarray(0, 60000)), { code: 'IncompleteBody' });
    assert.throws(() => decode(new ChunkDecoder(signing(), false), Buffer.concat([example(), Buffer.from('x')])), { code: 'IncompleteBody' });
  });

  it('reads unsigned chunks with trailers', () => {
    const trailers = new Map<string, string>();
    const body = Buffer.from('5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n');
    assert.equal(decode(new ChunkDecoder(undefined, true, trailers), body).toString(), 'hello world');
    assert.equal(trailers.get('x-amz-checksum-crc32'), 'DUoRhQ==');
  });
});
