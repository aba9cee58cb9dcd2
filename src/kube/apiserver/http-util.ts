import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { PatchType } from '../api.js';
import { KubeError } from '../errors.js';
import type { Status } from '../types.js';
import { decodeProtobufBody, PROTOBUF_MEDIA_TYPE } from './protobuf/index.js';

/** Largest accepted request body, like kube-apiserver's 3 MiB limit. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

const PATCH_TYPES: Record<string, PatchType> = {
  'application/strategic-merge-patch+json': 'strategic',
  'application/merge-patch+json': 'merge',
  'application/json-patch+json': 'json',
  'application/apply-patch+yaml': 'apply',
};

/** The media type of a Content-Type header, lower-case, without parameters. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The PatchType of a PATCH request's Content-Type, or a 415 Status. */
export function patchTypeOf(contentType: string | undefined): PatchType {
  const t = PATCH_TYPES[mediaType(contentType)];
  if (!t) throw KubeError.unsupportedMediaType(contentType ?? '(none)');
  return t;
}

/** Reads the whole body, refusing more than MAX_BODY_BYTES with 413. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(KubeError.badRequest(`reading the request body failed: ${e.message}`));
    });
  });
}

function tooLarge(): KubeError {
  return new KubeError(413, 'RequestEntityTooLarge', `the request body is larger than the limit of ${MAX_BODY_BYTES} bytes; split the object or keep large data out of it`);
}

/**
 * Decodes a request body as JSON, YAML or Kubernetes protobuf (sent by kubectl's typed clients,
 * e.g. `kubectl create deployment`; see ./protobuf) by its Content-Type. Other protobuf media
 * types, and protobuf of types without a table, are refused with 415 and a hint. Empty body →
 * undefined.
 */
export function parseBody(buf: Buffer, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  if (type === PROTOBUF_MEDIA_TYPE) return buf.length === 0 ? undefined : decodeProtobufBody(buf);
  if (type.includes('protobuf')) {
    throw new KubeError(415, 'UnsupportedMediaType', 'this server accepts JSON and YAML request bodies, not protobuf (kubectl\'s `create <generator>` commands send protobuf): use `kubectl create ... --dry-run=client -o yaml | kubectl apply -f -` instead');
  }
  if (buf.length === 0) return undefined;
  const text = buf.toString('utf8');
  const yamlish = type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml' || type === 'application/apply-patch+yaml';
  if (type && !yamlish && !type.endsWith('json') && type !== 'text/plain' && type !== 'application/octet-stream') {
    throw KubeError.unsupportedMediaType(contentType ?? '');
  }
  if (yamlish) {
    try {
      return JSON.parse(text);
    } catch {
      try {
        return parseYaml(text, { maxAliasCount: 100 });
      } catch (e) {
        throw KubeError.badRequest(`the request body is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw KubeError.badRequest(`the request body is not valid JSON: ${(e as Error).message}`);
  }
}

/** Writes a JSON answer. */
export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

/** Renders any error as a Status; non-KubeErrors become a generic 500 (logged by the caller). */
export function toKubeError(e: unknown): KubeError {
  if (e instanceof KubeError) return e;
  return KubeError.internal('an unexpected error happened; the server log has the details');
}

export function sendStatus(res: ServerResponse, e: unknown): number {
  const err = toKubeError(e);
  const status: Status = err.toStatus();
  if (!res.headersSent) sendJson(res, err.code, status);
  else res.end();
  return err.code;
}

/** `application/json;as=Table;v=v1;g=meta.k8s.io` (or v1beta1) anywhere in Accept. */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((r) => {
    const p = r.split(';').map((s) => s.trim().toLowerCase());
    return p.includes('as=table') && p.includes('g=meta.k8s.io');
  });
}

export const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

/** A non-negative integer query parameter, 400 when malformed. */
export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw KubeError.badRequest(`query parameter ${name} must be an integer, not "${v}"`);
  return Number(v);
}

export function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}
