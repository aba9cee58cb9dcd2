import { httpDate, type ObjectRecord } from '../../object-store/logic/index.js';
import type { S3Error } from '../errors.js';
import { toWire } from '../request.js';
import { escapeXml, S3_NS, xmlDocument, type XmlNode } from '../xml.js';
import { isoTime, ownerNode, quoted } from './common.js';

export type HeaderMap = Record<string, string>;

/** Metadata values outside printable ASCII go out RFC 2047-encoded, as S3 sends them. */
export function metaValue(v: string): string {
  return /^[\x20-\x7e]*$/.test(v) ? v : `=?UTF-8?B?${Buffer.from(v, 'utf8').toString('base64')}?=`;
}

/** GET/HEAD headers of an object: user metadata as x-amz-meta-*, etag quoted. */
export function objectHeaders(rec: ObjectRecord, etag: string): HeaderMap {
  const h: HeaderMap = {
    'Content-Type': toWire(rec.contentType),
    ETag: quoted(etag),
    'Last-Modified': httpDate(rec.timestamp),
    'Accept-Ranges': 'bytes',
  };
  if (rec.contentDisposition !== undefined) h['Content-Disposition'] = toWire(rec.contentDisposition);
  if (rec.contentEncoding !== undefined) h['Content-Encoding'] = toWire(rec.contentEncoding);
  for (const [k, v] of Object.entries(rec.meta)) h[`x-amz-meta-${k}`] = metaValue(v);
  return h;
}

/** GetObject's response-* query parameters and the headers they override. */
export const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'Content-Type',
  'response-content-language': 'Content-Language',
  'response-expires': 'Expires',
  'response-cache-control': 'Cache-Control',
  'response-content-disposition': 'Content-Disposition',
  'response-content-encoding': 'Content-Encoding',
};

export const copyResultXml = (root: 'CopyObjectResult' | 'CopyPartResult', rec: ObjectRecord, etag: string) =>
  xmlDocument(root, [
    ['LastModified', isoTime(rec.timestamp)],
    ['ETag', quoted(etag)],
  ]);

export const initiateXml = (bucket: string, key: string, uploadId: string) =>
  xmlDocument('InitiateMultipartUploadResult', [
    ['Bucket', bucket],
    ['Key', key],
    ['UploadId', uploadId],
  ]);

export const completeXml = (location: string, bucket: string, key: string, etag: string) =>
  xmlDocument('CompleteMultipartUploadResult', [
    ['Location', location],
    ['Bucket', bucket],
    ['Key', key],
    ['ETag', quoted(etag)],
  ]);

export function deleteResultXml(deleted: string[], errors: { key: string; error: S3Error }[]): string {
  return xmlDocument('DeleteResult', [
    ...deleted.map((k): XmlNode => ['Deleted', [['Key', k]]]),
    ...errors.map(
      (x): XmlNode => [
        'Error',
        [
          ['Key', x.key],
          ['Code', x.error.code],
          ['Message', x.error.message],
        ],
      ],
    ),
  ]);
}

export const locationXml = (region: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="${S3_NS}">${escapeXml(region)}</LocationConstraint>`;

export const versioningXml = () => xmlDocument('VersioningConfiguration', []);

/** The only ACL there is: the project owns everything with FULL_CONTROL. */
export function aclXml(projectId: string): string {
  return xmlDocument('AccessControlPolicy', [
    ownerNode(projectId),
    [
      'AccessControlList',
      [
        [
          'Grant',
          [
            ['Grantee', [['ID', projectId], ['DisplayName', projectId]]],
            ['Permission', 'FULL_CONTROL'],
          ],
        ],
      ],
    ],
  ]);
}

export const taggingXml = () => xmlDocument('Tagging', [['TagSet', []]]);
