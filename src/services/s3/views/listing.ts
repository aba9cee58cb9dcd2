import type { ContainerRecord, ListEntry, ObjectRecord } from '../../object-store/logic/index.js';
import type { ObjectPage, UploadPage } from '../logic/listing.js';
import type { PartInfo, UploadRecord } from '../logic/uploads.js';
import { xmlDocument, type XmlNode } from '../xml.js';
import { encodeName, isoMs, isoTime, ownerNode, quoted } from './common.js';

export function listBucketsXml(buckets: ContainerRecord[], projectId: string): string {
  return xmlDocument('ListAllMyBucketsResult', [
    ownerNode(projectId),
    [
      'Buckets',
      buckets.map((b): XmlNode => [
        'Bucket',
        [
          ['Name', b.name],
          ['CreationDate', isoTime(b.createdAt)],
        ],
      ]),
    ],
  ]);
}

/** What listings show of one object; `etags` holds the S3 ETag of each record by name. */
function contentsNode(rec: ObjectRecord, etag: string, url: boolean, owner: string | undefined): XmlNode {
  return [
    'Contents',
    [
      ['Key', encodeName(rec.name, url)],
      ['LastModified', isoTime(rec.timestamp)],
      ['ETag', quoted(etag)],
      ['Size', rec.size],
      owner ? ownerNode(owner) : ['Owner', undefined],
      ['StorageClass', 'STANDARD'],
    ],
  ];
}

function entryNodes(entries: ListEntry<ObjectRecord>[], etags: Map<string, string>, url: boolean, owner: string | undefined): XmlNode[] {
  const out: XmlNode[] = [];
  for (const e of entries) {
    if ('item' in e) out.push(contentsNode(e.item, etags.get(e.name) ?? e.item.etag, url, owner));
  }
  for (const e of entries) {
    if ('subdir' in e) out.push(['CommonPrefixes', [['Prefix', encodeName(e.name, url)]]]);
  }
  return out;
}

export interface ListParams {
  bucket: string;
  prefix: string;
  delimiter: string;
  maxKeys: number;
  url: boolean;
}

export function listV1Xml(p: ListParams & { marker: string }, page: ObjectPage, etags: Map<string, string>, projectId: string): string {
  return xmlDocument('ListBucketResult', [
    ['Name', p.bucket],
    ['Prefix', encodeName(p.prefix, p.url)],
    ['Marker', encodeName(p.marker, p.url)],
    ['NextMarker', page.truncated && p.delimiter ? encodeName(page.last, p.url) : undefined],
    ['MaxKeys', p.maxKeys],
    ['Delimiter', p.delimiter ? encodeName(p.delimiter, p.url) : undefined],
    ['IsTruncated', page.truncated],
    ['EncodingType', p.url ? 'url' : undefined],
    ...entryNodes(page.entries, etags, p.url, projectId),
  ]);
}

export interface V2Params extends ListParams {
  token: string | undefined;
  startAfter: string;
  fetchOwner: boolean;
  nextToken: string | undefined;
}

export function listV2Xml(p: V2Params, page: ObjectPage, etags: Map<string, string>, projectId: string): string {
  return xmlDocument('ListBucketResult', [
    ['Name', p.bucket],
    ['Prefix', encodeName(p.prefix, p.url)],
    ['StartAfter', p.startAfter ? encodeName(p.startAfter, p.url) : undefined],
    ['ContinuationToken', p.token],
    ['NextContinuationToken', p.nextToken],
    ['KeyCount', page.entries.length],
    ['MaxKeys', p.maxKeys],
    ['Delimiter', p.delimiter ? encodeName(p.delimiter, p.url) : undefined],
    ['IsTruncated', page.truncated],
    ['EncodingType', p.url ? 'url' : undefined],
    ...entryNodes(page.entries, etags, p.url, p.fetchOwner ? projectId : undefined),
  ]);
}

export interface UploadsParams {
  bucket: string;
  prefix: string;
  delimiter: string;
  keyMarker: string;
  uploadIdMarker: string;
  maxUploads: number;
  url: boolean;
}

export function listUploadsXml(p: UploadsParams, page: UploadPage): string {
  const upload = (u: UploadRecord): XmlNode => [
    'Upload',
    [
      ['Key', encodeName(u.key, p.url)],
      ['UploadId', u.id],
      ['Initiator', [['ID', u.initiatorUserId], ['DisplayName', u.initiatorUserId]]],
      ownerNode(u.projectId),
      ['StorageClass', 'STANDARD'],
      ['Initiated', isoMs(u.initiated)],
    ],
  ];
  return xmlDocument('ListMultipartUploadsResult', [
    ['Bucket', p.bucket],
    ['KeyMarker', encodeName(p.keyMarker, p.url)],
    ['UploadIdMarker', p.uploadIdMarker],
    ['NextKeyMarker', page.truncated ? encodeName(page.nextKeyMarker, p.url) : undefined],
    ['NextUploadIdMarker', page.truncated ? page.nextUploadIdMarker : undefined],
    ['Prefix', encodeName(p.prefix, p.url)],
    ['Delimiter', p.delimiter ? encodeName(p.delimiter, p.url) : undefined],
    ['MaxUploads', p.maxUploads],
    ['IsTruncated', page.truncated],
    ['EncodingType', p.url ? 'url' : undefined],
    ...page.uploads.map(upload),
    ...page.prefixes.map((x): XmlNode => ['CommonPrefixes', [['Prefix', encodeName(x, p.url)]]]),
  ]);
}

export interface PartsParams {
  bucket: string;
  upload: UploadRecord;
  marker: number;
  maxParts: number;
}

export function listPartsXml(p: PartsParams, parts: PartInfo[], truncated: boolean): string {
  const u = p.upload;
  return xmlDocument('ListPartsResult', [
    ['Bucket', p.bucket],
    ['Key', u.key],
    ['UploadId', u.id],
    ['Initiator', [['ID', u.initiatorUserId], ['DisplayName', u.initiatorUserId]]],
    ownerNode(u.projectId),
    ['StorageClass', 'STANDARD'],
    ['PartNumberMarker', p.marker],
    ['NextPartNumberMarker', parts.length ? parts[parts.length - 1]!.partNumber : undefined],
    ['MaxParts', p.maxParts],
    ['IsTruncated', truncated],
    ...parts.map((x): XmlNode => [
      'Part',
      [
        ['PartNumber', x.partNumber],
        ['LastModified', isoTime(x.record.timestamp)],
        ['ETag', quoted(x.etag)],
        ['Size', x.size],
      ],
    ]),
  ]);
}
