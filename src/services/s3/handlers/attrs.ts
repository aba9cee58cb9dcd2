import { storedContentEncoding } from '../body.js';
import { invalidArgument, metadataTooLarge } from '../errors.js';
import type { UploadAttrs } from '../logic/uploads.js';
import { fromWire, header, type S3Call } from '../request.js';

/** S3 limits user metadata to 2 KB: the UTF-8 bytes of every name and value. */
export const MAX_USER_METADATA = 2048;

/** S3's Content-Type when a client sends none. */
export const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

/** An RFC 2047 encoded word (`=?UTF-8?B?…?=` or `=?UTF-8?Q?…?=`) decoded; other values as they are. */
export function decodeMimeWord(v: string): string {
  const m = /^=\?utf-8\?([bq])\?([^?]*)\?=$/i.exec(v);
  if (!m) return v;
  if (m[1]!.toLowerCase() === 'b') return Buffer.from(m[2]!, 'base64').toString('utf8');
  const bytes = m[2]!.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** `x-amz-meta-*` headers as object metadata (lower-case names without the prefix). */
export function userMeta(c: S3Call): Record<string, string> {
  const meta: Record<string, string> = {};
  let size = 0;
  for (const [name, value] of Object.entries(c.req.headers)) {
    if (!name.startsWith('x-amz-meta-')) continue;
    const k = name.slice('x-amz-meta-'.length);
    if (!k) throw invalidArgument('A metadata name cannot be empty.', name, '');
    const v = decodeMimeWord(fromWire(Array.isArray(value) ? value.join(',') : (value ?? '')).trim());
    meta[k] = v;
    size += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (size > MAX_USER_METADATA) throw metadataTooLarge(MAX_USER_METADATA);
  return meta;
}

/** The attributes a PutObject, CopyObject (REPLACE) or CreateMultipartUpload sets. */
export function writeAttrs(c: S3Call): UploadAttrs {
  const attrs: UploadAttrs = { contentType: fromWire(header(c, 'content-type') ?? '').trim() || DEFAULT_CONTENT_TYPE, meta: userMeta(c) };
  const disposition = header(c, 'content-disposition');
  const encoding = storedContentEncoding(c.req.headers);
  if (disposition !== undefined) attrs.contentDisposition = fromWire(disposition);
  if (encoding !== undefined) attrs.contentEncoding = encoding;
  return attrs;
}
