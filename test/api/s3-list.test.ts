import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, ListObjectsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { assertS3Error, bucketName, startS3Cloud, type S3TestCloud } from './s3-support.js';
import { sign } from './s3-signer.js';

/** ListObjects v1 and v2: prefixes, delimiters, pagination, encoding. */
describe('s3: listing objects', () => {
  let env: S3TestCloud;
  let s3: S3Client;
  let bucket: string;
  const keys = ['a.txt', 'b/1.txt', 'b/2.txt', 'b/c/3.txt', 'c d/4.txt', 'd', 'e/', 'f/5.txt', 'z ü.txt'];

  before(async () => {
    env = await startS3Cloud();
    s3 = env.client();
    bucket = bucketName('list');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
  });
  after(async () => {
    await env?.close();
  });

  const v2 = (extra: Record<string, unknown> = {}) => s3.send(new ListObjectsV2Command({ Bucket: bucket, ...extra }));
  const v1 = (extra: Record<string, unknown> = {}) => s3.send(new ListObjectsCommand({ Bucket: bucket, ...extra }));

  it('v2 lists every key in order with size, etag and time', async () => {
    const r = await v2();
    assert.deepEqual(r.Contents?.map((c) => c.Key), [...keys].sort());
    assert.equal(r.KeyCount, keys.length);
    assert.equal(r.IsTruncated, false);
    const a = r.Contents!.find((c) => c.Key === 'a.txt')!;
    assert.equal(a.Size, 'a.txt'.length);
    assert.match(a.ETag!, /^"[0-9a-f]{32}"$/);
    assert.ok(a.LastModified instanceof Date);
    assert.equal(a.StorageClass, 'STANDARD');
    assert.equal(a.Owner, undefined);
    assert.equal((await v2({ FetchOwner: true })).Contents![0]!.Owner?.ID, env.keys.demo.projectId);
  });

  it('prefix and delimiter roll keys up into CommonPrefixes', async () => {
    const top = await v2({ Delimiter: '/' });
    assert.deepEqual(top.Contents?.map((c) => c.Key), ['a.txt', 'd', 'z ü.txt']);
    assert.deepEqual(top.CommonPrefixes?.map((p) => p.Prefix), ['b/', 'c d/', 'e/', 'f/']);
    assert.equal(top.KeyCount, 7);
    const b = await v2({ Prefix: 'b/', Delimiter: '/' });
    assert.deepEqual(b.Contents?.map((c) => c.Key), ['b/1.txt', 'b/2.txt']);
    assert.deepEqual(b.CommonPrefixes?.map((p) => p.Prefix), ['b/c/']);
    assert.equal(b.Prefix, 'b/');
    const e = await v2({ Prefix: 'e/', Delimiter: '/' });
    assert.deepEqual(e.Contents?.map((c) => c.Key), ['e/']);
    const none = await v2({ Prefix: 'nothing-here' });
    assert.equal(none.KeyCount, 0);
    assert.equal(none.Contents, undefined);
  });

  it('v2 pages with max-keys and continuation tokens, rolled-up prefixes counted once', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await v2({ MaxKeys: 2, Delimiter: '/', ContinuationToken: token });
      assert.ok((r.KeyCount ?? 0) <= 2);
      seen.push(...(r.Contents ?? []).map((c) => c.Key!), ...(r.CommonPrefixes ?? []).map((p) => p.Prefix!));
      token = r.NextContinuationToken;
      assert.equal(r.IsTruncated, token !== undefined);
      pages++;
    } while (token);
    assert.equal(pages, 4);
    assert.deepEqual(seen.sort(), ['a.txt', 'b/', 'c d/', 'd', 'e/', 'f/', 'z ü.txt']);
    await assertS3Error(v2({ ContinuationToken: 'not-a-token' }), 'InvalidArgument', 400);
  });

  it('v2 start-after and max-keys=0', async () => {
    const r = await v2({ StartAfter: 'b/c/3.txt' });
    assert.deepEqual(r.Contents?.map((c) => c.Key), ['c d/4.txt', 'd', 'e/', 'f/5.txt', 'z ü.txt']);
    assert.equal(r.StartAfter, 'b/c/3.txt');
    const zero = await v2({ MaxKeys: 0 });
    assert.equal(zero.KeyCount, 0);
    assert.equal(zero.IsTruncated, false);
  });

  it('v1 pages with markers; NextMarker comes with a delimiter', async () => {
    const first = await v1({ MaxKeys: 3 });
    assert.deepEqual(first.Contents?.map((c) => c.Key), ['a.txt', 'b/1.txt', 'b/2.txt']);
    assert.equal(first.IsTruncated, true);
    assert.equal(first.NextMarker, undefined);
    const second = await v1({ MaxKeys: 3, Marker: 'b/2.txt' });
    assert.deepEqual(second.Contents?.map((c) => c.Key), ['b/c/3.txt', 'c d/4.txt', 'd']);
    assert.equal(second.Marker, 'b/2.txt');
    const rolled = await v1({ MaxKeys: 2, Delimiter: '/' });
    assert.deepEqual(rolled.CommonPrefixes?.map((p) => p.Prefix), ['b/']);
    assert.equal(rolled.NextMarker, 'b/');
    const next = await v1({ MaxKeys: 2, Delimiter: '/', Marker: rolled.NextMarker });
    assert.deepEqual(next.CommonPrefixes?.map((p) => p.Prefix), ['c d/']);
    assert.deepEqual(next.Contents?.map((c) => c.Key), ['d']);
    assert.equal((await v1()).Contents?.[0]?.Owner?.ID, env.keys.demo.projectId);
  });

  it('encoding-type=url percent-encodes keys and prefixes', async () => {
    const url = `${env.endpoint}/${bucket}?list-type=2&encoding-type=url&delimiter=%2F`;
    const r = await fetch(url, { headers: sign({ method: 'GET', url, key: env.keys.demo }).headers });
    const xml = await r.text();
    assert.equal(r.status, 200, xml);
    assert.match(xml, /<EncodingType>url<\/EncodingType>/);
    assert.match(xml, /<Key>z%20%C3%BC.txt<\/Key>/);
    assert.match(xml, /<Prefix>c%20d\/<\/Prefix>/);
    const bad = `${env.endpoint}/${bucket}?encoding-type=base64`;
    const b = await fetch(bad, { headers: sign({ method: 'GET', url: bad, key: env.keys.demo }).headers });
    assert.equal(b.status, 400);
    assert.match(await b.text(), /<Code>InvalidArgument<\/Code>/);
  });

  it('listing a missing bucket is NoSuchBucket; bad parameters are InvalidArgument', async () => {
    await assertS3Error(s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket-here' })), 'NoSuchBucket', 404);
    for (const q of ['max-keys=-1', 'max-keys=abc', 'list-type=3']) {
      const url = `${env.endpoint}/${bucket}?${q}`;
      const r = await fetch(url, { headers: sign({ method: 'GET', url, key: env.keys.demo }).headers });
      assert.equal(r.status, 400, q);
      assert.match(await r.text(), /<Code>InvalidArgument<\/Code>/, q);
    }
  });
});
