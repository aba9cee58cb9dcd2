import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { assertS3Error, bucketName, bytesOf, startS3Cloud, type S3TestCloud } from './s3-support.js';

const MiB = 1024 * 1024;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
/** S3's multipart ETag, computed independently. */
const multipartEtag = (parts: Buffer[]) => `"${createHash('md5').update(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()))).digest('hex')}-${parts.length}"`;

/** Multipart uploads: create, upload parts, complete, abort, list. */
describe('s3: multipart uploads', () => {
  let env: S3TestCloud;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    env = await startS3Cloud();
    s3 = env.client();
    bucket = bucketName('multipart');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(async () => {
    await env?.close();
  });

  const create = async (Key: string, extra: Record<string, unknown> = {}) =>
    (await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key, ...extra }))).UploadId!;
  const part = async (Key: string, UploadId: string, PartNumber: number, Body: Buffer | Readable, ContentLength?: number) =>
    (await s3.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber, Body, ContentLength }))).ETag!;
  const complete = (Key: string, UploadId: string, Parts: { PartNumber: number; ETag: string }[]) =>
    s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key, UploadId, MultipartUpload: { Parts } }));

  it('a 20 MiB object in 5 MiB parts comes back byte for byte with the md5-of-md5s ETag', async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(5 * MiB)];
    const id = await create('big.bin', { ContentType: 'application/x-big', Metadata: { kind: 'multipart' } });
    const etags: string[] = [];
    // Parts go up out of order and concurrently; two as streams (aws-chunked with a trailer).
    await Promise.all(
      [3, 1, 4, 2].map(async (n) => {
        const body = parts[n - 1]!;
        etags[n - 1] = n % 2 ? await part('big.bin', id, n, body) : await part('big.bin', id, n, Readable.from([body.subarray(0, MiB), body.subarray(MiB)]), body.length);
      }),
    );
    etags.forEach((e, i) => assert.equal(e, `"${md5(parts[i]!)}"`));
    const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'big.bin', UploadId: id }));
    assert.deepEqual(listed.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size]), etags.map((e, i) => [i + 1, e, 5 * MiB]));
    const done = await complete('big.bin', id, etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })));
    assert.equal(done.ETag, multipartEtag(parts));
    assert.equal(done.Key, 'big.bin');
    assert.match(done.Location ?? '', new RegExp(`/s3/${bucket}/big\\.bin$`));

    const whole = Buffer.concat(parts);
    const g = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big.bin' }));
    assert.equal(g.ContentLength, whole.length);
    assert.equal(g.ETag, multipartEtag(parts));
    assert.equal(g.ContentType, 'application/x-big');
    assert.deepEqual(g.Metadata, { kind: 'multipart' });
    const got = await bytesOf(g.Body);
    assert.equal(md5(got), md5(whole));
    // A range across a part boundary.
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big.bin', Range: `bytes=${5 * MiB - 10}-${5 * MiB + 9}` }));
    assert.deepEqual(await bytesOf(r.Body), whole.subarray(5 * MiB - 10, 5 * MiB + 10));
    // The upload is gone once completed.
    await assertS3Error(s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'big.bin', UploadId: id })), 'NoSuchUpload', 404);
  });

  it('complete checks part ETags, order and sizes', async () => {
    const id = await create('checked');
    const a = randomBytes(5 * MiB);
    const b = randomBytes(1000);
    const ea = await part('checked', id, 1, a);
    const eb = await part('checked', id, 2, b);
    const small = await part('checked', id, 3, randomBytes(10));
    await assertS3Error(complete('checked', id, [{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }]), 'InvalidPart', 400);
    await assertS3Error(complete('checked', id, [{ PartNumber: 9, ETag: ea }]), 'InvalidPart', 400);
    await assertS3Error(complete('checked', id, [{ PartNumber: 2, ETag: eb }, { PartNumber: 1, ETag: ea }]), 'InvalidPartOrder', 400);
    await assertS3Error(complete('checked', id, [{ PartNumber: 2, ETag: eb }, { PartNumber: 3, ETag: small }]), 'EntityTooSmall', 400);
    await assertS3Error(complete('checked', id, []), 'MalformedXML', 400);
    // Still usable after the refusals; the unlisted part 3 is dropped.
    const done = await complete('checked', id, [{ PartNumber: 1, ETag: ea }, { PartNumber: 2, ETag: eb }]);
    assert.equal(done.ETag, multipartEtag([a, b]));
    const got = await bytesOf((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'checked' }))).Body);
    assert.equal(md5(got), md5(Buffer.concat([a, b])));
  });

  it('re-uploading a part number replaces it', async () => {
    const id = await create('replaced');
    await part('replaced', id, 1, Buffer.from('first'));
    const e = await part('replaced', id, 1, Buffer.from('second'));
    await complete('replaced', id, [{ PartNumber: 1, ETag: e }]);
    assert.equal((await bytesOf((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'replaced' }))).Body)).toString(), 'second');
  });

  it('abort removes the upload; its id is then unknown', async () => {
    const id = await create('aborted');
    await part('aborted', id, 1, Buffer.from('bytes'));
    const r = await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'aborted', UploadId: id }));
    assert.equal(r.$metadata.httpStatusCode, 204);
    await assertS3Error(part('aborted', id, 2, Buffer.from('late')), 'NoSuchUpload', 404);
    await assertS3Error(s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'aborted', UploadId: id })), 'NoSuchUpload', 404);
    await assertS3Error(complete('aborted', id, [{ PartNumber: 1, ETag: '"x"' }]), 'NoSuchUpload', 404);
    await assertS3Error(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'aborted' })), 'NotFound', 404);
    await assertS3Error(complete('aborted', 'not-an-id', [{ PartNumber: 1, ETag: '"x"' }]), 'NoSuchUpload', 404);
  });

  it('ListMultipartUploads lists uploads in progress, with prefix, delimiter and paging', async () => {
    const b = bucketName('uploads');
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    const ids: Record<string, string> = {};
    for (const k of ['x/1', 'x/2', 'y', 'z/deep/3']) ids[k] = (await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: k }))).UploadId!;
    const all = await s3.send(new ListMultipartUploadsCommand({ Bucket: b }));
    assert.deepEqual(all.Uploads?.map((u) => [u.Key, u.UploadId]), Object.entries(ids));
    assert.ok(all.Uploads?.every((u) => u.Initiated instanceof Date));
    const rolled = await s3.send(new ListMultipartUploadsCommand({ Bucket: b, Delimiter: '/' }));
    assert.deepEqual(rolled.Uploads?.map((u) => u.Key), ['y']);
    assert.deepEqual(rolled.CommonPrefixes?.map((p) => p.Prefix), ['x/', 'z/']);
    const page = await s3.send(new ListMultipartUploadsCommand({ Bucket: b, MaxUploads: 2 }));
    assert.equal(page.IsTruncated, true);
    const rest = await s3.send(new ListMultipartUploadsCommand({ Bucket: b, KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker }));
    assert.deepEqual(rest.Uploads?.map((u) => u.Key), ['y', 'z/deep/3']);
    const prefixed = await s3.send(new ListMultipartUploadsCommand({ Bucket: b, Prefix: 'x/' }));
    assert.deepEqual(prefixed.Uploads?.map((u) => u.Key), ['x/1', 'x/2']);
    // Deleting the (object-less) bucket aborts what is in progress.
    await s3.send(new DeleteBucketCommand({ Bucket: b }));
  });

  it('UploadPartCopy copies a range of an object into a part', async () => {
    const src = randomBytes(6 * MiB);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'copy-src', Body: src }));
    const id = await create('from-copy');
    const p1 = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'from-copy', UploadId: id, PartNumber: 1, CopySource: `${bucket}/copy-src`, CopySourceRange: `bytes=0-${5 * MiB - 1}` }));
    const p2 = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'from-copy', UploadId: id, PartNumber: 2, CopySource: `${bucket}/copy-src` }));
    assert.equal(p1.CopyPartResult?.ETag, `"${md5(src.subarray(0, 5 * MiB))}"`);
    await complete('from-copy', id, [
      { PartNumber: 1, ETag: p1.CopyPartResult!.ETag! },
      { PartNumber: 2, ETag: p2.CopyPartResult!.ETag! },
    ]);
    const got = await bytesOf((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'from-copy' }))).Body);
    assert.equal(md5(got), md5(Buffer.concat([src.subarray(0, 5 * MiB), src])));
    await assertS3Error(
      s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: 'from-copy', UploadId: id, PartNumber: 1, CopySource: `${bucket}/copy-src`, CopySourceRange: 'bytes=0-99999999' })),
      'NoSuchUpload',
      404,
    );
  });

  it('overwriting or deleting a multipart object removes its parts; the bucket can then go', async () => {
    const b = bucketName('mp-cleanup');
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    const mk = async (body: Buffer) => {
      const id = (await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: 'k' }))).UploadId!;
      const e = (await s3.send(new UploadPartCommand({ Bucket: b, Key: 'k', UploadId: id, PartNumber: 1, Body: body }))).ETag!;
      await s3.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: 'k', UploadId: id, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e }] } }));
    };
    // The parts live in the hidden `<bucket>+segments` container, which Swift shows.
    const token = await env.tc.token('demo');
    const segments = async () => {
      const r = await env.tc.req('GET', `/swift/v1/AUTH_${env.keys.demo.projectId}/${b}+segments?format=json`, { token });
      return r.status === 200 ? (r.body as { name: string }[]).length : r.status === 204 ? 0 : -r.status;
    };
    await mk(Buffer.from('one'));
    assert.equal(await segments(), 1);
    await mk(Buffer.from('two'));
    assert.equal(await segments(), 1);
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'k', Body: 'plain' }));
    assert.equal(await segments(), 0);
    await mk(Buffer.from('three'));
    await s3.send(new DeleteObjectCommand({ Bucket: b, Key: 'k' }));
    assert.equal(await segments(), 0);
    await s3.send(new DeleteBucketCommand({ Bucket: b }));
    assert.equal(await segments(), -404);
  });

  it('bad part numbers and unknown uploads are client errors', async () => {
    const id = await create('bad-parts');
    for (const n of [0, 10001]) await assertS3Error(part('bad-parts', id, n, Buffer.from('x')), 'InvalidArgument', 400);
    await assertS3Error(part('bad-parts', 'f'.repeat(32), 1, Buffer.from('x')), 'NoSuchUpload', 404);
    await assertS3Error(part('other-key', id, 1, Buffer.from('x')), 'NoSuchUpload', 404);
  });
});
