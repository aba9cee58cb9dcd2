import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { blobUnknown, digestInvalid, manifestUnknown, nameUnknown, RegistryError, uploadUnknown } from './errors.js';
import { FsRegistryStorage } from './fs-storage.js';
import { DEFAULT_GC_GRACE_MS, isCollectable, startGarbageCollector, type GarbageCollector, type GcReport } from './gc.js';
import { acceptable, MAX_MANIFEST_BYTES, parseManifest, type Descriptor } from './manifests.js';
import { isDigest, isIndexType, isName, isTag, looksLikeDigest, sha256Digest } from './names.js';
import type { ManifestRecord, RegistryStorage } from './storage.js';

/**
 * The OCI distribution API (v2) over a RegistryStorage: blobs (HEAD/GET with Range, DELETE),
 * uploads (monolithic POST, POST+PUT, chunked PATCH with Content-Range, status, cancel,
 * cross-repository mount), manifests by tag or digest (GET/HEAD with Accept negotiation,
 * PUT with reference checks, DELETE), tag listing and the catalog, both paginated (`n`, `last`).
 *
 * NOTE: there is no authentication. The registry is meant to listen on loopback (or inside the
 * underlay) where only this machine's users reach it; anyone who can reach it can push.
 */
export interface RegistryHandlerOptions {
  log?: (line: string) => void;
  /** Serves `POST /v2/_stratus/gc[?dry_run=true]` (a collection now, with its configured grace period; answers the report). */
  collector?: GarbageCollector;
}

const API_HEADER = { 'Docker-Distribution-API-Version': 'registry/2.0' };

type Route =
  | { kind: 'base' }
  | { kind: 'gc' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; ref: string }
  | { kind: 'uploads'; name: string; id: string }
  | { kind: 'blob'; name: string; digest: string };

const ROUTE_RE = /^\/v2\/(.+?)\/(tags\/list|manifests\/([^/]+)|blobs\/uploads\/?([^/]*)|blobs\/([^/]+))$/;

function route(path: string): Route | undefined {
  if (path === '/v2/' || path === '/v2') return { kind: 'base' };
  if (path === '/v2/_catalog') return { kind: 'catalog' };
  // Repository name components never start with '_', so this cannot shadow a repository.
  if (path === '/v2/_stratus/gc') return { kind: 'gc' };
  const m = ROUTE_RE.exec(path);
  if (!m) return undefined;
  const name = m[1]!;
  if (!isName(name)) throw new RegistryError('NAME_INVALID', 400, `invalid repository name ${name}: use lower-case path components like library/busybox`, { name });
  if (m[2] === 'tags/list') return { kind: 'tags', name };
  if (m[3] !== undefined) return { kind: 'manifest', name, ref: m[3] };
  if (m[4] !== undefined) return { kind: 'uploads', name, id: m[4] };
  return { kind: 'blob', name, digest: m[5]! };
}

/** Creates the request handler; `startRegistry` puts it behind an HTTP server. */
export function createRegistryHandler(storage: RegistryStorage, opts: RegistryHandlerOptions = {}) {
  const log = opts.log ?? (() => {});
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    try {
      await handle(storage, req, res, opts.collector);
    } catch (e) {
      if (res.headersSent || res.destroyed || !req.socket || req.socket.destroyed) {
        // The client went away (or the answer was already under way): nothing left to tell it.
        res.destroy();
      } else if (e instanceof RegistryError) {
        sendError(res, req, e);
      } else {
        log(`registry: ${req.method} ${req.url} failed: ${(e as Error).stack ?? e}`);
        send(res, req, 500, {}, { errors: [{ code: 'UNKNOWN', message: 'internal error (see the Stratus log)' }] });
      }
    } finally {
      log(`registry: ${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`);
    }
  };
}

function send(res: ServerResponse, req: IncomingMessage, status: number, headers: Record<string, string | number>, body?: unknown): void {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const h: Record<string, string | number> = { ...API_HEADER, 'Content-Length': Buffer.byteLength(text), ...headers };
  if (body !== undefined && !h['Content-Type']) h['Content-Type'] = 'application/json';
  res.writeHead(status, h);
  res.end(req.method === 'HEAD' ? undefined : text);
}

function sendError(res: ServerResponse, req: IncomingMessage, e: RegistryError): void {
  const err: Record<string, unknown> = { code: e.code === 'RANGE_INVALID' ? 'BLOB_UPLOAD_INVALID' : e.code, message: e.message };
  if (e.detail !== undefined) err.detail = e.detail;
  send(res, req, e.status, {}, { errors: [err] });
}

async function handle(storage: RegistryStorage, req: IncomingMessage, res: ServerResponse, collector?: GarbageCollector): Promise<void> {
  let url: URL;
  let path: string;
  try {
    url = new URL(req.url ?? '/', 'http://registry');
    path = decodeURIComponent(url.pathname);
  } catch {
    throw new RegistryError('UNSUPPORTED', 400, `malformed request path ${req.url}`);
  }
  const r = route(path);
  if (!r) throw new RegistryError('UNSUPPORTED', 404, `no registry endpoint ${path}; the API lives under /v2/`);
  const method = req.method ?? 'GET';
  const allow = (...ms: string[]) => {
    if (!ms.includes(method)) throw new RegistryError('UNSUPPORTED', 405, `${method} is not supported on ${path} (use ${ms.join(', ')})`);
  };
  switch (r.kind) {
    case 'base':
      allow('GET', 'HEAD');
      return send(res, req, 200, {}, {});
    case 'gc': {
      allow('POST');
      if (!collector) throw new RegistryError('UNSUPPORTED', 404, 'garbage collection is not enabled on this registry (start it with a storage that supports it)');
      const dry = url.searchParams.get('dry_run');
      return send(res, req, 200, {}, await collector.run({ dryRun: dry === 'true' || dry === '1' }));
    }
    case 'catalog': {
      allow('GET');
      const page = paginate(await storage.repositories(), url, '/v2/_catalog');
      return send(res, req, 200, page.headers, { repositories: page.items });
    }
    case 'tags': {
      allow('GET');
      const tags = await storage.tags(r.name);
      if (!tags) throw nameUnknown(r.name);
      const page = paginate(tags, url, `/v2/${r.name}/tags/list`);
      return send(res, req, 200, page.headers, { name: r.name, tags: page.items });
    }
    case 'blob':
      allow('GET', 'HEAD', 'DELETE');
      return blob(storage, req, res, r.name, r.digest);
    case 'uploads':
      return upload(storage, req, res, url, r.name, r.id);
    case 'manifest':
      allow('GET', 'HEAD', 'PUT', 'DELETE');
      if (method === 'PUT') return putManifest(storage, req, res, r.name, r.ref);
      if (method === 'DELETE') return deleteManifest(storage, req, res, r.name, r.ref);
      return getManifest(storage, req, res, r.name, r.ref);
  }
}

/** `n` and `last` pagination with a `Link: <…>; rel="next"` header when more remain. */
function paginate(all: string[], url: URL, base: string): { items: string[]; headers: Record<string, string> } {
  const nRaw = url.searchParams.get('n');
  const last = url.searchParams.get('last');
  let items = last ? all.filter((x) => x > last) : all;
  if (nRaw === null || nRaw === '') return { items, headers: {} };
  if (!/^\d{1,9}$/.test(nRaw)) throw new RegistryError('UNSUPPORTED', 400, `n must be a non-negative integer, not ${nRaw}`);
  const n = Number(nRaw);
  const more = items.length > n;
  items = items.slice(0, n);
  const headers: Record<string, string> = {};
  if (more && items.length) headers.Link = `<${base}?n=${n}&last=${encodeURIComponent(items[items.length - 1]!)}>; rel="next"`;
  return { items, headers };
}

function checkDigest(digest: string): string {
  if (!isDigest(digest)) throw digestInvalid(`invalid digest ${digest}: this registry takes sha256:<64 lower-case hex>`, { digest });
  return digest;
}

/** Parses one `bytes=a-b`, `bytes=a-` or `bytes=-n` range; undefined to send the whole blob. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return 'unsatisfiable';
  return { start, end };
}

async function blob(storage: RegistryStorage, req: IncomingMessage, res: ServerResponse, name: string, digest: string): Promise<void> {
  checkDigest(digest);
  if (req.method === 'DELETE') {
    if (!(await storage.unlinkBlob(name, digest))) throw blobUnknown(digest);
    return send(res, req, 202, {});
  }
  const size = (await storage.hasBlob(name, digest)) ? await storage.blobSize(digest) : undefined;
  if (size === undefined) throw blobUnknown(digest);
  const base = { 'Docker-Content-Digest': digest, 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes', ETag: `"${digest}"` };
  const range = parseRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...API_HEADER, 'Content-Range': `bytes */${size}`, 'Content-Length': 0 });
    return void res.end();
  }
  const status = range ? 206 : 200;
  const headers: Record<string, string | number> = { ...API_HEADER, ...base, 'Content-Length': range ? range.end - range.start + 1 : size };
  if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
  if (req.method === 'HEAD' || size === 0) {
    res.writeHead(status, headers);
    return void res.end();
  }
  const stream = await storage.openBlob(digest, range);
  res.writeHead(status, headers);
  await pipeline(stream, res).catch(() => res.destroy());
}

function uploadHeaders(name: string, id: string, size: number): Record<string, string | number> {
  return { Location: `/v2/${name}/blobs/uploads/${id}`, Range: `0-${Math.max(0, size - 1)}`, 'Docker-Upload-UUID': id };
}

async function upload(storage: RegistryStorage, req: IncomingMessage, res: ServerResponse, url: URL, name: string, id: string): Promise<void> {
  const method = req.method;
  const digest = url.searchParams.get('digest');
  if (id === '') {
    if (method !== 'POST') throw new RegistryError('UNSUPPORTED', 405, `${method} is not supported on /v2/${name}/blobs/uploads/ (use POST to start an upload)`);
    const mount = url.searchParams.get('mount');
    const from = url.searchParams.get('from');
    // The check and the link in one referencing section: a collection never runs in between.
    const mounted =
      !!mount &&
      !!from &&
      isDigest(mount) &&
      isName(from) &&
      (await storage.referencing(async () => {
        if (!(await storage.hasBlob(from, mount))) return false;
        await storage.linkBlob(name, mount);
        return true;
      }));
    if (mounted) return send(res, req, 201, { Location: `/v2/${name}/blobs/${mount}`, 'Docker-Content-Digest': mount });
    if (digest !== null) {
      checkDigest(digest);
      const uid = await storage.createUpload(name);
      try {
        await storage.appendUpload(uid, req);
        await storage.commitUpload(uid, digest);
      } finally {
        await storage.cancelUpload(uid);
      }
      return send(res, req, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
    }
    const uid = await storage.createUpload(name);
    return send(res, req, 202, uploadHeaders(name, uid, 0));
  }
  const state = await storage.upload(id);
  if (!state || state.name !== name) throw uploadUnknown(id);
  switch (method) {
    case 'GET':
      return send(res, req, 204, uploadHeaders(name, id, state.size));
    case 'DELETE':
      await storage.cancelUpload(id);
      return send(res, req, 204, {});
    case 'PATCH': {
      const cr = req.headers['content-range'];
      if (cr !== undefined) {
        const m = /^(?:bytes )?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(cr.trim());
        if (!m) throw new RegistryError('BLOB_UPLOAD_INVALID', 400, `malformed Content-Range ${cr}: use <start>-<end>`);
        if (Number(m[1]) !== state.size) {
          res.writeHead(416, { ...API_HEADER, ...uploadHeaders(name, id, state.size), 'Content-Type': 'application/json' });
          return void res.end(JSON.stringify({ errors: [{ code: 'BLOB_UPLOAD_INVALID', message: `chunk starts at ${m[1]} but the upload has ${state.size} bytes; resume from ${state.size}` }] }));
        }
      }
      const size = await storage.appendUpload(id, req);
      return send(res, req, 202, uploadHeaders(name, id, size));
    }
    case 'PUT': {
      if (digest === null) throw digestInvalid('finish an upload with PUT …?digest=sha256:<hex>');
      checkDigest(digest);
      await storage.appendUpload(id, req);
      await storage.commitUpload(id, digest);
      return send(res, req, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
    }
    default:
      throw new RegistryError('UNSUPPORTED', 405, `${method} is not supported on an upload (use PATCH, PUT, GET or DELETE)`);
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  const tooBig = () => new RegistryError('SIZE_INVALID', 413, `a manifest may be at most ${limit} bytes`);
  if (declared > limit) throw tooBig();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) throw tooBig();
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

async function resolve(storage: RegistryStorage, name: string, ref: string): Promise<ManifestRecord> {
  let digest: string | undefined;
  if (looksLikeDigest(ref)) digest = checkDigest(ref);
  else if (isTag(ref)) digest = await storage.resolveTag(name, ref);
  else throw new RegistryError('MANIFEST_INVALID', 400, `invalid reference ${ref}: a tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127}) or a sha256 digest`);
  const m = digest ? await storage.getManifest(name, digest) : undefined;
  if (m) return m;
  if (!(await storage.tags(name))) throw nameUnknown(name);
  throw manifestUnknown(ref);
}

async function getManifest(storage: RegistryStorage, req: IncomingMessage, res: ServerResponse, name: string, ref: string): Promise<void> {
  let m = await resolve(storage, name, ref);
  const accept = req.headers.accept;
  if (!acceptable(accept, m.mediaType)) {
    // A client that cannot read indexes gets the linux/amd64 image, as Docker registries do.
    const child = isIndexType(m.mediaType) ? await platformChild(storage, name, m, accept) : undefined;
    if (!child) throw manifestUnknown(ref, `is ${m.mediaType}, which the request's Accept header (${accept}) does not allow`);
    m = child;
  }
  const headers = { 'Content-Type': m.mediaType, 'Docker-Content-Digest': m.digest, ETag: `"${m.digest}"`, 'Content-Length': m.bytes.length };
  res.writeHead(200, { ...API_HEADER, ...headers });
  res.end(req.method === 'HEAD' ? undefined : m.bytes);
}

async function platformChild(storage: RegistryStorage, name: string, index: ManifestRecord, accept: string | undefined): Promise<ManifestRecord | undefined> {
  const list = (JSON.parse(index.bytes.toString('utf8')) as { manifests?: Descriptor[] }).manifests ?? [];
  const d = list.find((x) => x.platform?.os === 'linux' && x.platform?.architecture === 'amd64' && acceptable(accept, x.mediaType));
  return d ? storage.getManifest(name, d.digest) : undefined;
}

async function putManifest(storage: RegistryStorage, req: IncomingMessage, res: ServerResponse, name: string, ref: string): Promise<void> {
  const byDigest = looksLikeDigest(ref);
  if (byDigest) checkDigest(ref);
  else if (!isTag(ref)) throw new RegistryError('MANIFEST_INVALID', 400, `invalid tag ${ref}: use [A-Za-z0-9_][A-Za-z0-9._-]{0,127}`);
  const bytes = await readBody(req, MAX_MANIFEST_BYTES);
  const parsed = parseManifest(bytes, req.headers['content-type']);
  const digest = sha256Digest(bytes);
  if (byDigest && digest !== ref) throw digestInvalid(`the manifest's digest is ${digest}, not ${ref}`, { expected: ref, actual: digest });
  // The checks and the put in one referencing section: a collection never runs in between.
  await storage.referencing(async () => {
    for (const b of parsed.blobs) {
      const size = (await storage.hasBlob(name, b.digest)) ? await storage.blobSize(b.digest) : undefined;
      if (size === undefined) throw new RegistryError('MANIFEST_BLOB_UNKNOWN', 400, `blob ${b.digest} is not in repository ${name}: push it before the manifest`, { digest: b.digest });
      if (size !== b.size) throw new RegistryError('MANIFEST_INVALID', 400, `blob ${b.digest} has ${size} bytes, but the manifest says ${b.size}`);
    }
    for (const c of parsed.manifests) {
      if (!(await storage.getManifest(name, c.digest))) throw new RegistryError('MANIFEST_BLOB_UNKNOWN', 400, `manifest ${c.digest} listed in the index is not in repository ${name}: push it first`, { digest: c.digest });
    }
    await storage.putManifest(name, { digest, mediaType: parsed.mediaType, bytes }, byDigest ? undefined : ref);
  });
  send(res, req, 201, { Location: `/v2/${name}/manifests/${digest}`, 'Docker-Content-Digest': digest });
}

async function deleteManifest(storage: RegistryStorage, req: IncomingMessage, res: ServerResponse, name: string, ref: string): Promise<void> {
  if (looksLikeDigest(ref)) {
    if (!(await storage.deleteManifest(name, checkDigest(ref)))) throw manifestUnknown(ref);
  } else if (!isTag(ref) || !(await storage.deleteTag(name, ref))) {
    throw manifestUnknown(ref);
  }
  send(res, req, 202, {});
}

export interface StartRegistryOptions {
  /** Where blobs, uploads and repository metadata live (an FsRegistryStorage); ignored when `storage` is given. */
  dir?: string;
  /**
   * The storage to serve, e.g. `blobBackedStorage(blobs, dir)` to keep content in Stratus's
   * BlobStore. Default: `new FsRegistryStorage(dir)`. Its `recover()` runs before listening.
   */
  storage?: RegistryStorage;
  /** Listen address; keep it on loopback (there is no authentication). */
  host: string;
  /** 0 picks a free port. */
  port: number;
  log?: (line: string) => void;
  /**
   * Garbage collection of unreferenced blobs (gc.ts): every `intervalMs` (default 1 h; 0 = only
   * on demand) and on `POST /v2/_stratus/gc`, keeping unreferenced blobs younger than `graceMs`
   * (default 1 h). `false` turns both off.
   */
  gc?: { intervalMs?: number; graceMs?: number } | false;
}

export interface RunningRegistry {
  /** `http://<host>:<port>`. */
  url: string;
  port: number;
  /** Runs a garbage collection now; undefined when collection is off. */
  collectGarbage?: (opts?: { dryRun?: boolean }) => Promise<GcReport>;
  close(): Promise<void>;
}

/** Starts the registry over `storage` (or a directory, see FsRegistryStorage), after removing a crash's temporary files. */
export async function startRegistry(opts: StartRegistryOptions): Promise<RunningRegistry> {
  if (!opts.storage && opts.dir === undefined) throw new Error('startRegistry needs a storage or a dir to keep images in');
  const storage = opts.storage ?? new FsRegistryStorage(opts.dir!);
  await storage.recover();
  const gc = opts.gc === false ? undefined : (opts.gc ?? {});
  const collector = gc && isCollectable(storage) ? startGarbageCollector(storage, { intervalMs: gc.intervalMs ?? 3600_000, graceMs: gc.graceMs ?? DEFAULT_GC_GRACE_MS, log: opts.log }) : undefined;
  const handler = createRegistryHandler(storage, { log: opts.log, collector });
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  if (!/^(127\.|::1$|localhost$)/.test(opts.host)) opts.log?.(`registry: listening on ${opts.host} without authentication: anyone who reaches it can push`);
  return {
    url: `http://${host}:${port}`,
    port,
    collectGarbage: collector && ((o) => collector.run(o)),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await collector?.stop();
    },
  };
}
