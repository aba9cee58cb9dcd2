import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { assertS3Error, bucketName, bytesOf, startS3Cloud, type S3TestCloud } from './s3-support.js';

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

/** S3 and Swift share one store: buckets are the containers of the project's Swift account. */
describe('s3: the same objects through Swift', () => {
  let env: S3TestCloud;
  let s3: S3Client;
  let token: string;
  let account: string;

  before(async () => {
    env = await startS3Cloud();
    s3 = env.client();
    token = await env.tc.token('demo');
    account = `/swift/v1/AUTH_${env.keys.demo.projectId}`;
  });
  after(async () => {
    await env?.close();
  });

  const swift = (method: string, path: string, opts: { raw?: string; headers?: Record<string, string> } = {}) => env.tc.req(method, `${account}${path}`, { token, ...opts });
  const swiftBytes = async (path: string) => {
    const r = await fetch(`${env.tc.url}${account}${path}`, { headers: { 'x-auth-token': token } });
    assert.equal(r.status, 200, path);
    return { body: Buffer.from(await r.arrayBuffer()), headers: r.headers };
  };

  it('an object put through S3 is read through Swift, metadata included', async () => {
    const bucket = bucketName('s3-to-swift');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const data = randomBytes(50_000);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/obj', Body: data, ContentType: 'image/x-test', Metadata: { color: 'blue' } }));
    const got = await swiftBytes(`/${bucket}/dir/obj`);
    assert.deepEqual(got.body, data);
    assert.equal(got.headers.get('etag'), md5(data));
    assert.equal(got.headers.get('content-type'), 'image/x-test');
    assert.equal(got.headers.get('x-object-meta-color'), 'blue');
    const list = await swift('GET', `/${bucket}?format=json`);
    assert.deepEqual(list.body.map((o: any) => o.name), ['dir/obj']);
    const containers = await swift('GET', '?format=json');
    assert.ok(containers.body.some((c: any) => c.name === bucket));
    // Deleting through S3 removes it for Swift too.
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'dir/obj' }));
    assert.equal((await swift('HEAD', `/${bucket}/dir/obj`)).status, 404);
  });

  it('an object put through Swift is read through S3, metadata included', async () => {
    const container = `Swift_Made-${Date.now()}`;
    assert.equal((await swift('PUT', `/${container}`)).status, 201);
    const r = await swift('PUT', `/${container}/from swift.txt`, {
      raw: 'swift bytes',
      headers: { 'content-type': 'text/plain', 'x-object-meta-origin': 'swift' },
    });
    assert.equal(r.status, 201, r.text);
    const buckets = await s3.send(new ListBucketsCommand({}));
    assert.ok(buckets.Buckets?.some((b) => b.Name === container), 'Swift containers are buckets, whatever their name');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: container }));
    assert.deepEqual(listed.Contents?.map((c) => c.Key), ['from swift.txt']);
    const g = await s3.send(new GetObjectCommand({ Bucket: container, Key: 'from swift.txt' }));
    assert.equal((await bytesOf(g.Body)).toString(), 'swift bytes');
    assert.equal(g.ContentType, 'text/plain');
    assert.deepEqual(g.Metadata, { origin: 'swift' });
    assert.equal(g.ETag, `"${md5('swift bytes')}"`);
    // Deleting through Swift removes it for S3 too.
    assert.equal((await swift('DELETE', `/${container}/from swift.txt`)).status, 204);
    await assertS3Error(s3.send(new GetObjectCommand({ Bucket: container, Key: 'from swift.txt' })), 'NoSuchKey', 404);
  });

  it('a multipart object reads through Swift; its segments container is hidden from S3', async () => {
    const bucket = bucketName('mp-swift');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(1234)];
    const id = (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp' }))).UploadId!;
    const etags: string[] = [];
    for (const [i, Body] of parts.entries()) {
      etags.push((await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'mp', UploadId: id, PartNumber: i + 1, Body }))).ETag!);
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mp', UploadId: id, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }));
    const got = await swiftBytes(`/${bucket}/mp`);
    assert.equal(md5(got.body), md5(Buffer.concat(parts)));
    const containers = (await swift('GET', '?format=json')).body.map((c: any) => c.name);
    assert.ok(containers.includes(`${bucket}+segments`));
    const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
    assert.ok(buckets?.includes(bucket));
    assert.ok(!buckets?.some((b) => b?.endsWith('+segments')));
  });

  it('a Swift static large object reads through S3 with a multipart-style ETag', async () => {
    const container = `slo-${Date.now()}`;
    await swift('PUT', `/${container}`);
    const segs = ['first segment ', 'second segment'];
    for (const [i, s] of segs.entries()) assert.equal((await swift('PUT', `/${container}/seg/${i}`, { raw: s })).status, 201);
    const manifest = segs.map((s, i) => ({ path: `/${container}/seg/${i}`, etag: md5(s), size_bytes: s.length }));
    const m = await swift('PUT', `/${container}/big?multipart-manifest=put`, { raw: JSON.stringify(manifest) });
    assert.equal(m.status, 201, m.text);
    const g = await s3.send(new GetObjectCommand({ Bucket: container, Key: 'big' }));
    assert.equal((await bytesOf(g.Body)).toString(), segs.join(''));
    const partMd5s = Buffer.concat(segs.map((s) => createHash('md5').update(s).digest()));
    assert.equal(g.ETag, `"${md5(partMd5s)}-2"`);
  });
});
