import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { assertS3Error, bucketName, bytesOf, createEc2, startS3Cloud, type S3TestCloud } from './s3-support.js';
import { presign, sha256Hex, sign, signedChunks, unsignedTrailerChunks } from './s3-signer.js';

/** Authentication (SigV4 headers, presigned URLs, aws-chunked bodies) and authorization. */
describe('s3: authentication and access', () => {
  let env: S3TestCloud;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    env = await startS3Cloud();
    s3 = env.client();
    bucket = bucketName('auth');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'readable', Body: 'for readers' }));
  });
  after(async () => {
    await env?.close();
  });

  const url = (key: string, q = '') => `${env.endpoint}/${bucket}/${key}${q}`;
  const errorCode = async (r: Response) => /<Code>([^<]+)<\/Code>/.exec(await r.text())?.[1];
  const exists = async (key: string) => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })).then(() => true, () => false);

  describe('presigned URLs', () => {
    it('GET and PUT through SDK-presigned URLs with plain fetch', async () => {
      const body = randomBytes(64 * 1024);
      const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: 'presigned' }), { expiresIn: 300 });
      assert.match(putUrl, /X-Amz-Signature=/);
      const p = await fetch(putUrl, { method: 'PUT', body });
      assert.equal(p.status, 200, await p.text());
      const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'presigned' }), { expiresIn: 300 });
      const g = await fetch(getUrl);
      assert.equal(g.status, 200);
      assert.deepEqual(Buffer.from(await g.arrayBuffer()), body);
      assert.ok(g.headers.get('x-amz-request-id'));
    });

    it('expired, tampered and malformed presigned URLs are refused', async () => {
      const old = presign({ method: 'GET', url: url('readable'), key: env.keys.demo, expires: 60, now: new Date(Date.now() - 3600_000) });
      let r = await fetch(old);
      assert.equal(r.status, 403);
      assert.equal(await errorCode(r), 'AccessDenied');
      const good = presign({ method: 'GET', url: url('readable'), key: env.keys.demo, expires: 60 });
      assert.equal((await fetch(good)).status, 200);
      r = await fetch(good.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`));
      assert.equal(r.status, 403);
      assert.equal(await errorCode(r), 'SignatureDoesNotMatch');
      r = await fetch(good.replace('readable', 'other-key'));
      assert.equal(await errorCode(r), 'SignatureDoesNotMatch');
      r = await fetch(presign({ method: 'GET', url: url('readable'), key: env.keys.demo, expires: 700000 }));
      assert.equal(r.status, 400);
      assert.equal(await errorCode(r), 'AuthorizationQueryParametersError');
      r = await fetch(good.replace(/&X-Amz-Date=[^&]+/, ''));
      assert.equal(await errorCode(r), 'AuthorizationQueryParametersError');
      // A URL signed for GET does not allow a PUT.
      r = await fetch(good, { method: 'PUT', body: 'x' });
      assert.equal(await errorCode(r), 'SignatureDoesNotMatch');
    });
  });

  describe('credentials', () => {
    it('a wrong secret is SignatureDoesNotMatch; an unknown access key is InvalidAccessKeyId', async () => {
      const wrong = env.client({ ...env.keys.demo, secret: 'not-the-secret' });
      const e = await assertS3Error(wrong.send(new ListBucketsCommand({})), 'SignatureDoesNotMatch', 403);
      assert.match(e.CanonicalRequest ?? '', /^GET\n\/s3\//);
      await assertS3Error(env.client({ ...env.keys.demo, access: 'AKIDUNKNOWN0000' }).send(new ListBucketsCommand({})), 'InvalidAccessKeyId', 403);
    });

    it('a deleted EC2 credential stops working at once', async () => {
      const key = await createEc2(env.tc, 'demo', 'demo');
      const c = env.client(key);
      await c.send(new ListBucketsCommand({}));
      const token = await env.tc.token('demo');
      const d = await env.tc.req('DELETE', `/identity/v3/users/${key.userId}/credentials/OS-EC2/${key.access}`, { token });
      assert.equal(d.status, 204);
      await assertS3Error(c.send(new ListBucketsCommand({})), 'InvalidAccessKeyId', 403);
    });

    it('anonymous requests and other signature versions are refused', async () => {
      let r = await fetch(url('readable'));
      assert.equal(r.status, 403);
      assert.equal(await errorCode(r), 'AccessDenied');
      r = await fetch(url('readable'), { headers: { authorization: `AWS ${env.keys.demo.access}:c2lnbmF0dXJl` } });
      assert.equal(r.status, 400);
      assert.equal(await errorCode(r), 'InvalidRequest');
    });

    it('clock skew, unsigned x-amz headers and missing x-amz-content-sha256 are refused', async () => {
      let h = sign({ method: 'GET', url: url('readable'), key: env.keys.demo, now: new Date(Date.now() - 3600_000) }).headers;
      let r = await fetch(url('readable'), { headers: h });
      assert.equal(r.status, 403);
      assert.equal(await errorCode(r), 'RequestTimeTooSkewed');
      h = sign({ method: 'GET', url: url('readable'), key: env.keys.demo }).headers;
      r = await fetch(url('readable'), { headers: { ...h, 'x-amz-meta-sneaky': '1' } });
      assert.equal(r.status, 403);
      assert.equal(await errorCode(r), 'AccessDenied');
      const { 'x-amz-content-sha256': _drop, ...rest } = h;
      r = await fetch(url('readable'), { headers: rest });
      assert.equal(r.status, 400);
    });
  });

  describe('roles', () => {
    it('a reader can list and read but not write', async () => {
      const reader = env.client(env.keys.reader);
      assert.ok((await reader.send(new ListBucketsCommand({}))).Buckets?.some((b) => b.Name === bucket));
      assert.ok((await reader.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents?.length);
      const g = await reader.send(new GetObjectCommand({ Bucket: bucket, Key: 'readable' }));
      assert.equal((await bytesOf(g.Body)).toString(), 'for readers');
      await assertS3Error(reader.send(new PutObjectCommand({ Bucket: bucket, Key: 'by-reader', Body: 'no' })), 'AccessDenied', 403);
      await assertS3Error(reader.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'readable' })), 'AccessDenied', 403);
      await assertS3Error(reader.send(new CreateBucketCommand({ Bucket: bucketName('reader') })), 'AccessDenied', 403);
      assert.equal(await exists('by-reader'), false);
      assert.equal(await exists('readable'), true);
    });

    it('a credential for a project the user has no role on gets AccessDenied', async () => {
      const key = await createEc2(env.tc, 'alt_demo_reader', 'demo', true);
      await assertS3Error(env.client(key).send(new ListBucketsCommand({})), 'AccessDenied', 403);
    });
  });

  describe('payload signing', () => {
    it('a signed payload hash is verified; a mismatch stores nothing', async () => {
      const body = Buffer.from('hashed body');
      let s = sign({ method: 'PUT', url: url('hashed'), key: env.keys.demo, payloadHash: sha256Hex(body) });
      assert.equal((await fetch(url('hashed'), { method: 'PUT', headers: s.headers, body })).status, 200);
      s = sign({ method: 'PUT', url: url('mismatch'), key: env.keys.demo, payloadHash: sha256Hex('something else') });
      const r = await fetch(url('mismatch'), { method: 'PUT', headers: s.headers, body });
      assert.equal(r.status, 400);
      assert.equal(await errorCode(r), 'XAmzContentSHA256Mismatch');
      assert.equal(await exists('mismatch'), false);
      s = sign({ method: 'PUT', url: url('unsigned'), key: env.keys.demo, payloadHash: 'UNSIGNED-PAYLOAD' });
      assert.equal((await fetch(url('unsigned'), { method: 'PUT', headers: s.headers, body })).status, 200);
    });

    const chunkedPut = async (key: string, data: Buffer, corrupt?: number) => {
      const s = sign({
        method: 'PUT',
        url: url(key),
        key: env.keys.demo,
        payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length) },
      });
      return fetch(url(key), { method: 'PUT', headers: s.headers, body: signedChunks(data, 64 * 1024, s, corrupt) });
    };

    it('STREAMING-AWS4-HMAC-SHA256-PAYLOAD: chunk signatures are verified', async () => {
      const data = randomBytes(300 * 1024 + 17);
      const ok = await chunkedPut('chunked', data);
      assert.equal(ok.status, 200, await ok.text());
      assert.equal(ok.headers.get('etag'), `"${createHash('md5').update(data).digest('hex')}"`);
      const g = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'chunked' }));
      assert.deepEqual(await bytesOf(g.Body), data);
      assert.equal(g.ContentEncoding, undefined);
      const bad = await chunkedPut('chunked-bad', data, 2);
      assert.equal(bad.status, 403);
      assert.equal(await errorCode(bad), 'SignatureDoesNotMatch');
      assert.equal(await exists('chunked-bad'), false);
    });

    it('STREAMING-UNSIGNED-PAYLOAD-TRAILER: the trailing checksum is verified', async () => {
      const data = randomBytes(100_000);
      const sum = Buffer.alloc(4);
      sum.writeUInt32BE(crc32(data));
      const put = async (key: string, trailer: string) => {
        const s = sign({
          method: 'PUT',
          url: url(key),
          key: env.keys.demo,
          payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
          headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length), 'x-amz-trailer': 'x-amz-checksum-crc32' },
        });
        return fetch(url(key), { method: 'PUT', headers: s.headers, body: unsignedTrailerChunks(data, 16 * 1024, trailer) });
      };
      const ok = await put('trailer', `x-amz-checksum-crc32:${sum.toString('base64')}`);
      assert.equal(ok.status, 200, await ok.text());
      const bad = await put('trailer-bad', 'x-amz-checksum-crc32:AAAAAA==');
      assert.equal(bad.status, 400);
      assert.equal(await errorCode(bad), 'BadDigest');
      assert.equal(await exists('trailer-bad'), false);
    });

    it('a body shorter than its declared length stores nothing', async () => {
      const data = randomBytes(1000);
      const s = sign({
        method: 'PUT',
        url: url('short'),
        key: env.keys.demo,
        payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        headers: { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '2000' },
      });
      const r = await fetch(url('short'), { method: 'PUT', headers: s.headers, body: signedChunks(data, 512, s) });
      assert.equal(r.status, 400);
      assert.equal(await errorCode(r), 'IncompleteBody');
      assert.equal(await exists('short'), false);
    });
  });
});
