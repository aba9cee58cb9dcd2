import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { assertS3Error, bucketName, bytesOf, rejection, startS3Cloud, type S3TestCloud } from './s3-support.js';
import { sign } from './s3-signer.js';

/** Buckets and objects through @aws-sdk/client-s3: the everyday operations. */
describe('s3: buckets and objects', () => {
  let env: S3TestCloud;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    env = await startS3Cloud();
    s3 = env.client();
    bucket = bucketName('objects');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(async () => {
    await env?.close();
  });

  const put = (Key: string, Body: string | Buffer, extra: Record<string, unknown> = {}) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ...extra }));
  const get = (Key: string, extra: Record<string, unknown> = {}) => s3.send(new GetObjectCommand({ Bucket: bucket, Key, ...extra }));

  describe('buckets', () => {
    it('create, head, list, locate and delete a bucket', async () => {
      const b = bucketName('life');
      await s3.send(new CreateBucketCommand({ Bucket: b, CreateBucketConfiguration: { LocationConstraint: 'RegionOne' as never } }));
      const head = await s3.send(new HeadBucketCommand({ Bucket: b }));
      assert.equal(head.$metadata.httpStatusCode, 200);
      const list = await s3.send(new ListBucketsCommand({}));
      assert.ok(list.Buckets?.some((x) => x.Name === b && x.CreationDate instanceof Date));
      assert.equal(list.Owner?.ID, env.keys.demo.projectId);
      const loc = await s3.send(new GetBucketLocationCommand({ Bucket: b }));
      assert.equal(loc.LocationConstraint, 'RegionOne');
      await s3.send(new DeleteBucketCommand({ Bucket: b }));
      await assertS3Error(s3.send(new HeadBucketCommand({ Bucket: b })), 'NotFound', 404);
      await assertS3Error(s3.send(new DeleteBucketCommand({ Bucket: b })), 'NoSuchBucket', 404);
    });

    it('refuses a second create, a non-empty delete and invalid names', async () => {
      await assertS3Error(s3.send(new CreateBucketCommand({ Bucket: bucket })), 'BucketAlreadyOwnedByYou', 409);
      await put('keep-me', 'x');
      await assertS3Error(s3.send(new DeleteBucketCommand({ Bucket: bucket })), 'BucketNotEmpty', 409);
      for (const bad of ['ab', 'UPPER-case', 'under_score', 'a..b', '192.168.1.1', 'x'.repeat(64), '-leading']) {
        await assertS3Error(s3.send(new CreateBucketCommand({ Bucket: bad })), 'InvalidBucketName', 400);
      }
    });

    it('buckets are per project: another project does not see them', async () => {
      const alt = env.client(env.keys.alt);
      const list = await alt.send(new ListBucketsCommand({}));
      assert.ok(!list.Buckets?.some((x) => x.Name === bucket));
      await assertS3Error(alt.send(new GetObjectCommand({ Bucket: bucket, Key: 'keep-me' })), 'NoSuchBucket', 404);
    });
  });

  describe('objects', () => {
    it('put, get, head and delete keep bytes, type and ETag', async () => {
      const data = randomBytes(100_000);
      const md5 = createHash('md5').update(data).digest('hex');
      const r = await put('dir/data.bin', data, { ContentType: 'application/x-test' });
      assert.equal(r.ETag, `"${md5}"`);
      const g = await get('dir/data.bin');
      assert.deepEqual(await bytesOf(g.Body), data);
      assert.equal(g.ContentType, 'application/x-test');
      assert.equal(g.ContentLength, data.length);
      assert.equal(g.ETag, `"${md5}"`);
      assert.ok(g.LastModified instanceof Date);
      const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dir/data.bin' }));
      assert.equal(h.ContentLength, data.length);
      assert.equal(h.AcceptRanges, 'bytes');
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'dir/data.bin' }));
      await assertS3Error(get('dir/data.bin'), 'NoSuchKey', 404);
      await assertS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dir/data.bin' })), 'NotFound', 404);
      // Deleting an absent key is a 204, as in S3.
      const d = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'dir/data.bin' }));
      assert.equal(d.$metadata.httpStatusCode, 204);
    });

    it('keeps keys exactly: spaces, unicode, slashes, plus signs', async () => {
      for (const key of ['a b/c d.txt', 'ünï/cødé ☃.txt', 'a//b///c', 'trailing/', 'plus+sign&amp=1?x#y', '%2F literal', ' lead']) {
        await put(key, `body of ${key}`);
        const g = await get(key);
        assert.equal((await bytesOf(g.Body)).toString(), `body of ${key}`, key);
      }
    });

    it('an empty object has the empty md5; without Content-Type it is binary/octet-stream', async () => {
      const r = await put('empty', Buffer.alloc(0));
      assert.equal(r.ETag, '"d41d8cd98f00b204e9800998ecf8427e"');
      assert.equal((await bytesOf((await get('empty')).Body)).length, 0);
      const url = `${env.endpoint}/${bucket}/untyped`;
      const res = await fetch(url, { method: 'PUT', headers: sign({ method: 'PUT', url, key: env.keys.demo }).headers });
      assert.equal(res.status, 200, await res.text());
      assert.equal((await get('untyped')).ContentType, 'binary/octet-stream');
    });

    it('user metadata and content headers round-trip', async () => {
      const Metadata = { color: 'blue', 'multi-word': 'a value with spaces', unicode: 'héllo wörld' };
      await put('meta', 'x', { Metadata, ContentDisposition: 'attachment; filename="m.txt"', ContentEncoding: 'identity' });
      const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'meta' }));
      // Non-ASCII values come back RFC 2047-encoded, as S3 sends them.
      const unicode = `=?UTF-8?B?${Buffer.from(Metadata.unicode).toString('base64')}?=`;
      assert.deepEqual(h.Metadata, { ...Metadata, unicode });
      assert.equal(h.ContentDisposition, 'attachment; filename="m.txt"');
      assert.equal(h.ContentEncoding, 'identity');
      // Overwriting replaces the metadata.
      await put('meta', 'y', { Metadata: { other: '1' } });
      assert.deepEqual((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'meta' }))).Metadata, { other: '1' });
      await assertS3Error(put('meta-big', 'x', { Metadata: { big: 'v'.repeat(2100) } }), 'MetadataTooLarge', 400);
    });

    it('response-* parameters override GET headers', async () => {
      await put('override', 'o', { ContentType: 'text/plain' });
      const g = await get('override', { ResponseContentType: 'application/json', ResponseContentDisposition: 'inline', ResponseCacheControl: 'no-cache' });
      assert.equal(g.ContentType, 'application/json');
      assert.equal(g.ContentDisposition, 'inline');
      assert.equal(g.CacheControl, 'no-cache');
    });

    it('Content-MD5 is checked', async () => {
      const body = Buffer.from('checked body');
      const good = createHash('md5').update(body).digest('base64');
      await put('md5-ok', body, { ContentMD5: good });
      const wrong = createHash('md5').update('other').digest('base64');
      await assertS3Error(put('md5-bad', body, { ContentMD5: wrong }), 'BadDigest', 400);
      await assertS3Error(get('md5-bad'), 'NoSuchKey', 404);
    });
  });

  describe('ranges and conditions', () => {
    const data = Buffer.from('0123456789abcdefghij');
    before(async () => {
      await put('ranged', data);
    });

    it('Range GETs return 206 with Content-Range', async () => {
      for (const [range, want] of [
        ['bytes=0-4', '01234'],
        ['bytes=10-', 'abcdefghij'],
        ['bytes=-3', 'hij'],
        ['bytes=15-100', 'fghij'],
      ] as const) {
        const g = await get('ranged', { Range: range });
        assert.equal(g.$metadata.httpStatusCode, 206, range);
        assert.equal((await bytesOf(g.Body)).toString(), want, range);
        assert.match(g.ContentRange ?? '', new RegExp(`/${data.length}$`));
      }
      await assertS3Error(get('ranged', { Range: 'bytes=50-60' }), 'InvalidRange', 416);
    });

    it('If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since', async () => {
      const { ETag, LastModified } = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'ranged' }));
      assert.equal((await get('ranged', { IfMatch: ETag })).$metadata.httpStatusCode, 200);
      await assertS3Error(get('ranged', { IfMatch: '"nope"' }), 'PreconditionFailed', 412);
      const e = await rejection(get('ranged', { IfNoneMatch: ETag }));
      assert.equal(e.$metadata.httpStatusCode, 304);
      const later = new Date(LastModified!.getTime() + 60_000);
      assert.equal((await rejection(get('ranged', { IfModifiedSince: later }))).$metadata.httpStatusCode, 304);
      const earlier = new Date(LastModified!.getTime() - 60_000);
      assert.equal((await get('ranged', { IfModifiedSince: earlier })).$metadata.httpStatusCode, 200);
      await assertS3Error(get('ranged', { IfUnmodifiedSince: earlier }), 'PreconditionFailed', 412);
    });

    it('If-None-Match: * on PUT refuses to overwrite', async () => {
      await assertS3Error(put('ranged', 'new', { IfNoneMatch: '*' }), 'PreconditionFailed', 412);
      await put('fresh-key', 'new', { IfNoneMatch: '*' });
    });
  });

  describe('copy and multi-delete', () => {
    it('CopyObject keeps metadata (COPY) or replaces it (REPLACE)', async () => {
      await put('src', 'copy me', { Metadata: { a: '1' }, ContentType: 'text/x-src' });
      const c1 = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'dst1', CopySource: `${bucket}/src` }));
      assert.equal(c1.CopyObjectResult?.ETag, `"${createHash('md5').update('copy me').digest('hex')}"`);
      const h1 = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dst1' }));
      assert.deepEqual(h1.Metadata, { a: '1' });
      assert.equal(h1.ContentType, 'text/x-src');
      await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'dst2', CopySource: `/${bucket}/src`, MetadataDirective: 'REPLACE', Metadata: { b: '2' }, ContentType: 'text/x-new' }));
      const h2 = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dst2' }));
      assert.deepEqual(h2.Metadata, { b: '2' });
      assert.equal(h2.ContentType, 'text/x-new');
      assert.equal((await bytesOf((await get('dst2')).Body)).toString(), 'copy me');
    });

    it('copies across buckets, with an encoded source key, and checks conditions', async () => {
      const other = bucketName('copy-dst');
      await s3.send(new CreateBucketCommand({ Bucket: other }));
      await put('with space/ü.txt', 'unicode source');
      await s3.send(new CopyObjectCommand({ Bucket: other, Key: 'copied', CopySource: `${bucket}/${encodeURIComponent('with space/ü.txt')}` }));
      const g = await s3.send(new GetObjectCommand({ Bucket: other, Key: 'copied' }));
      assert.equal((await bytesOf(g.Body)).toString(), 'unicode source');
      await assertS3Error(s3.send(new CopyObjectCommand({ Bucket: other, Key: 'c2', CopySource: `${bucket}/absent` })), 'NoSuchKey', 404);
      await assertS3Error(s3.send(new CopyObjectCommand({ Bucket: other, Key: 'c2', CopySource: `no-such-bucket-x/k` })), 'NoSuchBucket', 404);
      await assertS3Error(
        s3.send(new CopyObjectCommand({ Bucket: other, Key: 'c3', CopySource: `${bucket}/src`, CopySourceIfMatch: '"0000"' })),
        'PreconditionFailed',
        412,
      );
      await assertS3Error(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'src', CopySource: `${bucket}/src` })), 'InvalidRequest', 400);
    });

    it('DeleteObjects deletes many keys and reports each', async () => {
      const keys = ['md/1', 'md/2', 'md/3'];
      for (const k of keys) await put(k, k);
      const r = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [...keys, 'md/absent'].map((Key) => ({ Key })) } }));
      assert.deepEqual(r.Deleted?.map((d) => d.Key).sort(), [...keys, 'md/absent'].sort());
      assert.equal(r.Errors, undefined);
      for (const k of keys) await assertS3Error(get(k), 'NoSuchKey', 404);
      const quiet = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'x' }], Quiet: true } }));
      assert.equal(quiet.Deleted, undefined);
    });
  });

  it('every response carries x-amz-request-id, errors included', async () => {
    for (const path of [`/${bucket}`, `/${bucket}/absent-key`, '/no-such-bucket-zz/k']) {
      const url = `${env.endpoint}${path}`;
      const r = await fetch(url, { headers: sign({ method: 'GET', url, key: env.keys.demo }).headers });
      assert.ok(r.headers.get('x-amz-request-id'), path);
      if (r.status >= 400) {
        const text = await r.text();
        assert.match(text, /^<\?xml[^>]*>\s*<Error><Code>\w+<\/Code><Message>[^<]+<\/Message>/);
        assert.match(text, /<Resource>[^<]+<\/Resource><RequestId>[^<]+<\/RequestId><\/Error>$/);
      } else await r.arrayBuffer();
    }
  });
});
