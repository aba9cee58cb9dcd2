import { readSmallBody } from '../body.js';
import { bucketAlreadyOwnedByYou, bucketNotEmpty, noSuchBucket, S3Error } from '../errors.js';
import { checkNewBucketName, isBucketName } from '../logic/names.js';
import { header, type S3Call } from '../request.js';
import { sendEmpty, sendXml } from '../respond.js';
import { listBucketsXml } from '../views/listing.js';
import { aclXml, locationXml, versioningXml } from '../views/objects.js';
import { childText, parseXml } from '../xml.js';

const CONFIG_LIMIT = 64 * 1024;

/** GET / — the buckets of the credential's project (segments containers hidden). */
export async function listBuckets(c: S3Call) {
  const { storage } = c.deps;
  const entries = await storage.accounts.listContainers(c.principal.account, {});
  const buckets = entries.flatMap((e) => ('item' in e && isBucketName(e.name) ? [e.item] : []));
  return sendXml(c.reply, 200, listBucketsXml(buckets, c.principal.projectId));
}

/** The bucket's container; NoSuchBucket when absent. */
export async function bucketOf(c: S3Call, bucket = c.target.bucket) {
  const rec = await c.deps.storage.containers.find(c.principal.account, bucket);
  if (!rec) throw noSuchBucket(bucket);
  return rec;
}

/**
 * PUT /<bucket>. An optional CreateBucketConfiguration may name any LocationConstraint: this
 * cloud has one region, and clients send their own region name there.
 */
export async function createBucket(c: S3Call) {
  const { bucket } = c.target;
  checkNewBucketName(bucket);
  const length = header(c, 'content-length');
  if ((length !== undefined && length !== '0') || header(c, 'transfer-encoding') !== undefined) {
    const body = await readSmallBody(c.req.raw, c.req.headers, c.payload, CONFIG_LIMIT);
    if (body.length) childText(parseXml(body.toString('utf8')), 'LocationConstraint');
  }
  const { storage } = c.deps;
  if (await storage.containers.find(c.principal.account, bucket)) throw bucketAlreadyOwnedByYou(bucket);
  const { created } = await storage.containers.create(c.principal.account, bucket);
  if (!created) throw bucketAlreadyOwnedByYou(bucket);
  return sendEmpty(c.reply, 200, { Location: `/${bucket}` });
}

/** DELETE /<bucket>: only when empty; uploads in progress are aborted with it. */
export async function deleteBucket(c: S3Call) {
  const { bucket } = c.target;
  await bucketOf(c);
  try {
    await c.deps.storage.containers.delete(c.principal.account, bucket);
  } catch (e) {
    if ((e as { code?: string }).code === 'ContainerNotEmpty') throw bucketNotEmpty(bucket);
    throw e;
  }
  await c.deps.uploads.purgeBucket(c.principal.account, bucket);
  return sendEmpty(c.reply, 204);
}

export async function headBucket(c: S3Call) {
  await bucketOf(c);
  return sendEmpty(c.reply, 200, { 'x-amz-bucket-region': c.deps.config.region });
}

export async function getBucketLocation(c: S3Call) {
  await bucketOf(c);
  return sendXml(c.reply, 200, locationXml(c.deps.config.region));
}

export async function getBucketVersioning(c: S3Call) {
  await bucketOf(c);
  return sendXml(c.reply, 200, versioningXml());
}

export async function getAcl(c: S3Call) {
  await bucketOf(c);
  if (c.target.key) await c.deps.storage.objects.head({ account: c.principal.account, container: c.target.bucket, name: c.target.key });
  return sendXml(c.reply, 200, aclXml(c.principal.projectId));
}

/** Bucket configurations this cloud never has: S3's "no such configuration" answers. */
const NO_CONFIG: Record<string, [string, string]> = {
  policy: ['NoSuchBucketPolicy', 'The bucket policy does not exist'],
  cors: ['NoSuchCORSConfiguration', 'The CORS configuration does not exist'],
  lifecycle: ['NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist'],
  tagging: ['NoSuchTagSet', 'The TagSet does not exist'],
  website: ['NoSuchWebsiteConfiguration', 'The specified bucket does not have a website configuration'],
  encryption: ['ServerSideEncryptionConfigurationNotFoundError', 'The server side encryption configuration was not found'],
  replication: ['ReplicationConfigurationNotFoundError', 'The replication configuration was not found'],
  'object-lock': ['ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket'],
};

export const NO_CONFIG_SUBRESOURCES = Object.keys(NO_CONFIG);

export async function getMissingConfig(c: S3Call, sub: string) {
  await bucketOf(c);
  const [code, message] = NO_CONFIG[sub]!;
  throw new S3Error(code, 404, message, { BucketName: c.target.bucket });
}
