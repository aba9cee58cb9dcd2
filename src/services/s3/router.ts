import { invalidArgument, methodNotAllowed, notImplemented } from './errors.js';
import { checkBucketRef } from './logic/names.js';
import { locationOf, type Handler, type S3Call, type S3Target } from './request.js';
import { sendEmpty, sendXml } from './respond.js';
import {
  createBucket,
  deleteBucket,
  getAcl,
  getBucketLocation,
  getBucketVersioning,
  getMissingConfig,
  headBucket,
  listBuckets,
  NO_CONFIG_SUBRESOURCES,
  bucketOf,
} from './handlers/buckets.js';
import { deleteObjects } from './handlers/delete-many.js';
import { listObjectsV1, listObjectsV2, listParts, listUploads } from './handlers/list.js';
import { abortUpload, completeUpload, createUpload, uploadPart } from './handlers/multipart.js';
import { getObject, headObject } from './handlers/read.js';
import { copyObject, deleteObject, putObject } from './handlers/write.js';
import { taggingXml } from './views/objects.js';

/** One S3 operation: its name (for logs), whether it writes, and its handler. */
export interface Operation {
  name: string;
  write: boolean;
  run: Handler;
}

/** Subresources S3 has and this cloud does not implement: 501 NotImplemented, as S3 gateways answer. */
const UNIMPLEMENTED = [
  'accelerate',
  'analytics',
  'attributes',
  'intelligent-tiering',
  'inventory',
  'legal-hold',
  'logging',
  'metrics',
  'notification',
  'ownershipControls',
  'policyStatus',
  'publicAccessBlock',
  'requestPayment',
  'restore',
  'retention',
  'select',
  'torrent',
  'versions',
];

type Query = Map<string, string>;
const op = (name: string, write: boolean, run: Handler): Operation => ({ name, write, run });
const unimplemented = (what: string) => op(what, false, async () => Promise.reject(notImplemented(`?${what}`)));
const firstOf = (q: Query, names: string[]) => names.find((n) => q.has(n));

function bucketGet(q: Query): Operation {
  if (q.has('uploads')) return op('ListMultipartUploads', false, listUploads);
  if (q.has('location')) return op('GetBucketLocation', false, getBucketLocation);
  if (q.has('versioning')) return op('GetBucketVersioning', false, getBucketVersioning);
  if (q.has('acl')) return op('GetBucketAcl', false, getAcl);
  const missing = firstOf(q, NO_CONFIG_SUBRESOURCES);
  if (missing) return op(`GetBucket:${missing}`, false, (c) => getMissingConfig(c, missing));
  const other = firstOf(q, UNIMPLEMENTED);
  if (other) return unimplemented(other);
  const lt = q.get('list-type');
  if (lt === undefined) return op('ListObjects', false, listObjectsV1);
  if (lt === '2') return op('ListObjectsV2', false, listObjectsV2);
  return op('ListObjects', false, async () => Promise.reject(invalidArgument('Invalid list type', 'list-type', lt)));
}

const notAllowed = (name: string) => op(name, false, async (c) => Promise.reject(methodNotAllowed(c.req.method)));

/** Bucket configurations one may PUT in S3 but not here (501), as opposed to nonsense (405). */
const CONFIGURABLE = [...NO_CONFIG_SUBRESOURCES, 'acl', 'versioning', ...UNIMPLEMENTED];

function bucketOp(method: string, q: Query): Operation {
  const sub = firstOf(q, [...CONFIGURABLE, 'location', 'uploads', 'delete']);
  switch (method) {
    case 'GET':
      return bucketGet(q);
    case 'HEAD':
      return op('HeadBucket', false, headBucket);
    case 'PUT':
      if (!sub) return op('CreateBucket', true, createBucket);
      return CONFIGURABLE.includes(sub) ? unimplemented(sub) : notAllowed(`PUT ?${sub}`);
    case 'DELETE':
      if (sub && NO_CONFIG_SUBRESOURCES.includes(sub)) return op(`DeleteBucket:${sub}`, true, async (c) => bucketOf(c).then(() => sendEmpty(c.reply, 204)));
      return sub ? notAllowed(`DELETE ?${sub}`) : op('DeleteBucket', true, deleteBucket);
    case 'POST':
      return q.has('delete') ? op('DeleteObjects', true, deleteObjects) : notAllowed('POST');
    default:
      return notAllowed(method);
  }
}

/** Objects carry no tags: an existing key has an empty tag set (and deleting it is a no-op). */
async function getTagging(c: S3Call, status = 200) {
  await bucketOf(c);
  await c.deps.storage.objects.head(locationOf(c));
  return status === 204 ? sendEmpty(c.reply, 204) : sendXml(c.reply, 200, taggingXml());
}

function objectOp(method: string, q: Query, copy: boolean): Operation {
  const other = firstOf(q, UNIMPLEMENTED);
  switch (method) {
    case 'GET':
      if (q.has('uploadId')) return op('ListParts', false, listParts);
      if (q.has('acl')) return op('GetObjectAcl', false, getAcl);
      if (q.has('tagging')) return op('GetObjectTagging', false, getTagging);
      return other ? unimplemented(other) : op('GetObject', false, getObject);
    case 'HEAD':
      return op('HeadObject', false, headObject);
    case 'PUT':
      if (q.has('uploadId') || q.has('partNumber')) return op('UploadPart', true, uploadPart);
      if (q.has('acl') || q.has('tagging') || other) return unimplemented(other ?? (q.has('acl') ? 'acl' : 'tagging'));
      return copy ? op('CopyObject', true, copyObject) : op('PutObject', true, putObject);
    case 'DELETE':
      if (q.has('uploadId')) return op('AbortMultipartUpload', true, abortUpload);
      if (q.has('tagging')) return op('DeleteObjectTagging', true, async (c) => getTagging(c, 204));
      return other ? notAllowed(`DELETE ?${other}`) : op('DeleteObject', true, deleteObject);
    case 'POST':
      if (q.has('uploads')) return op('CreateMultipartUpload', true, createUpload);
      if (q.has('uploadId')) return op('CompleteMultipartUpload', true, completeUpload);
      return other ? unimplemented(other) : notAllowed('POST');
    default:
      return notAllowed(method);
  }
}

/**
 * Picks the operation for a request from its method, path level (service, bucket, object),
 * subresource query parameters and, for PUT, x-amz-copy-source. Bucket names that cannot
 * address a bucket are refused here, before authentication, as S3 does.
 */
export function operationOf(method: string, t: S3Target, q: Query, copySource: boolean): Operation {
  if (!t.bucket) {
    if (method === 'GET' || method === 'HEAD') return op('ListBuckets', false, listBuckets);
    return notAllowed(method);
  }
  if (method === 'PUT' && !t.key && !q.size) return bucketOp(method, q);
  checkBucketRef(t.bucket);
  return t.key ? objectOp(method, q, copySource) : bucketOp(method, q);
}
