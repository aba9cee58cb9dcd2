import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import { toStratusError } from '../../../core/errors.js';
import { checkObjectName, type ObjectAttrs } from '../logic/index.js';
import { SWIFT_STATUS } from '../logic/errors.js';
import { MultipartError, MultipartReader, formBoundary, parseDisposition, type MultipartPart } from '../multipart.js';
import { parseSignature } from '../tempurl.js';
import { statusLine } from '../views/errors.js';
import { tempUrlKeys } from './access.js';
import { guessContentType } from './mime.js';
import type { SwiftCall } from './request.js';

/** Longest form field value kept (the rest is read and dropped), as Swift's MAX_VALUE_LENGTH. */
const MAX_VALUE_LENGTH = 4096;

/** A form Swift refuses with 400 `FormPost: <why>`. */
class FormInvalid extends Error {}
/** A form Swift refuses with 401 `FormPost: <Why In Title Case>`. */
class FormUnauthorized extends Error {}
/** A file longer than the form's max_file_size. */
class FileTooLarge extends Error {}

/** Whether this request is a FormPost: a POST to a container or object with a multipart/form-data body. */
export function isFormPost(c: SwiftCall): boolean {
  return c.req.method === 'POST' && !!c.path.container && formBoundary(c.contentType) !== undefined;
}

/** Python's str.title(), which Swift applies to the reason of a 401. */
const titleCase = (s: string) => s.replace(/[A-Za-z]+/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase());

function text(c: SwiftCall, status: number, body: string) {
  return c.reply.code(status).headers({ 'Content-Type': 'text/plain', 'Content-Length': String(Buffer.byteLength(body)) }).send(body);
}

/**
 * FormPost: browsers upload files straight into a container with an HTML form signed by the
 * account's or container's Temp-URL key. The form fields `redirect`, `max_file_size`,
 * `max_file_count`, `expires` and `signature` (HMAC-SHA1/256/512 of
 * "path\nredirect\nmax_file_size\nmax_file_count\nexpires") come before the files; each file
 * becomes the object `<path object prefix><filename>`, streamed straight into the store.
 * Without `redirect` the answer is the status as text; with it, a 303 to
 * `redirect?status=<code>&message=<why>`. Bad or expired signatures get 401.
 */
export async function formPost(c: SwiftCall) {
  try {
    const out = await processForm(c);
    if (!out.redirect) {
      return text(c, out.status, statusLine(out.status) + (out.message ? `\r\nFormPost: ${titleCase(out.message)}` : ''));
    }
    const location = `${out.redirect}${out.redirect.includes('?') ? '&' : '?'}status=${out.status}&message=${encodeURIComponent(out.message)}`;
    const href = location.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
    const body = `<html><body><p><a href="${href}">Click to continue...</a></p></body></html>`;
    return c.reply.code(303).headers({ Location: location, 'Content-Type': 'text/html; charset=UTF-8', 'Content-Length': String(Buffer.byteLength(body)) }).send(body);
  } catch (e) {
    if (e instanceof FormUnauthorized) return text(c, 401, `FormPost: ${titleCase(e.message)}`);
    if (e instanceof FormInvalid || e instanceof MultipartError || e instanceof FileTooLarge) return text(c, 400, `FormPost: ${e.message}`);
    throw e;
  }
}

interface FormResult {
  status: number;
  message: string;
  redirect: string | undefined;
}

async function processForm(c: SwiftCall): Promise<FormResult> {
  const reader = new MultipartReader(c.req.body as Readable, formBoundary(c.contentType)!);
  const keys = await tempUrlKeys(c.deps, c.path);
  const fields: Record<string, string> = {};
  let status: number | undefined;
  let message = '';
  let files = 0;
  for (let part = await reader.next(); part; part = await reader.next()) {
    const disp = parseDisposition(part.headers['content-disposition'] ?? '');
    const filename = disp.params.filename;
    if (disp.type === 'form-data' && filename) {
      files++;
      if (files > intField(fields, 'max_file_count', 'max_file_count not an integer')) {
        status = 400;
        message = 'max file count exceeded';
        break;
      }
      status = await upload(c, fields, part, filename, keys);
      if (status < 200 || status > 299) break;
    } else {
      const value = await readValue(part);
      if (disp.params.name) fields[disp.params.name.toLowerCase()] = value;
    }
  }
  if (status === undefined) {
    status = 400;
    message = 'no files to process';
  }
  return { status, message, redirect: fields.redirect || undefined };
}

function intField(fields: Record<string, string>, name: string, why: string): number {
  const v = fields[name]?.trim() || '0';
  if (!/^-?\d+$/.test(v)) throw new FormInvalid(why);
  return Number(v);
}

async function readValue(part: MultipartPart): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of part.body) {
    if (n < MAX_VALUE_LENGTH) chunks.push(chunk.subarray(0, MAX_VALUE_LENGTH - n));
    n += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The form's signature check, against the request path with and without the /swift prefix. */
function checkSignature(c: SwiftCall, fields: Record<string, string>, keys: string[]): void {
  const sig = parseSignature(fields.signature ?? '');
  if (keys.length === 0 || !sig) throw new FormUnauthorized('invalid signature');
  const rest = [fields.redirect ?? '', fields.max_file_size || '0', fields.max_file_count || '0', fields.expires || '0'].join('\n');
  const paths = new Set([c.path.decoded, c.path.raw, `${c.deps.prefix}${c.path.decoded}`, `${c.deps.prefix}${c.path.raw}`]);
  for (const key of keys)
    for (const path of paths) {
      const mac = createHmac(sig.digest, key).update(`${path}\n${rest}`).digest();
      if (mac.length === sig.bytes.length && timingSafeEqual(mac, sig.bytes)) return;
    }
  throw new FormUnauthorized('invalid signature');
}

/** Stores one file of the form; resolves with the status Swift's PUT would have had. */
async function upload(c: SwiftCall, fields: Record<string, string>, part: MultipartPart, filename: string, keys: string[]): Promise<number> {
  if (keys.length === 0) throw new FormUnauthorized('invalid signature');
  const maxSize = intField(fields, 'max_file_size', 'max_file_size not an integer');
  const now = Date.now() / 1000;
  let deleteAt: number | undefined;
  if (fields.x_delete_at !== undefined) deleteAt = intField(fields, 'x_delete_at', 'x_delete_at not an integer: Unix timestamp required.');
  if (fields.x_delete_after !== undefined) deleteAt = Math.floor(now) + intField(fields, 'x_delete_after', 'x_delete_after not an integer: Number of seconds required.');
  if (intField(fields, 'expires', 'expired not an integer') < now) throw new FormUnauthorized('form expired');
  checkSignature(c, fields, keys);

  const loc = { account: c.path.account, container: c.path.container, name: `${c.path.object}${filename}` };
  const attrs: ObjectAttrs = {
    contentType: fields['content-type'] || part.headers['content-type'] || guessContentType(loc.name),
    meta: {},
  };
  const encoding = fields['content-encoding'] ?? part.headers['content-encoding'];
  if (encoding) attrs.contentEncoding = encoding;
  if (deleteAt !== undefined) {
    if (deleteAt <= now) return 400;
    attrs.deleteAt = deleteAt;
  }
  try {
    checkObjectName(loc.name);
    await c.deps.storage.objects.put(loc, capped(part.body, maxSize), attrs);
    return 201;
  } catch (e) {
    if (e instanceof FileTooLarge) throw e;
    const se = toStratusError(e);
    if (!se) throw e;
    return SWIFT_STATUS[se.code] ?? se.status;
  }
}

/** The file's bytes, failing with FileTooLarge past `max` (Swift: 400 max_file_size exceeded). */
async function* capped(body: AsyncIterable<Buffer>, max: number): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const chunk of body) {
    n += chunk.length;
    if (n > max) throw new FileTooLarge('max_file_size exceeded');
    yield chunk;
  }
}
