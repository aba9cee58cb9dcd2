import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { StratusError, badRequest } from '../../../core/errors.js';
import type { BulkResult } from '../logic/index.js';
import { authorize } from '../policy.js';
import { tarEntries } from '../tar.js';
import { bulkReport } from '../views/bulk.js';
import { bulkFormat } from './bulk.js';
import { guessContentType } from './mime.js';
import { query, type SwiftCall } from './request.js';
import { respond } from './respond.js';

const FORMATS = ['tar', 'tar.gz', 'tgz'];
const MAX_CONTAINERS = 10_000;

/** `<upload path>/<member name>` as container and object; member names lose `./` and `/`. */
function target(c: SwiftCall, member: string): { container: string; name: string } | undefined {
  const clean = member.replace(/^(\.\/|\/)+/, '');
  const full = [c.path.container, c.path.object, clean].filter(Boolean).join('/');
  const slash = full.indexOf('/');
  if (slash <= 0 || slash === full.length - 1) return undefined;
  return { container: full.slice(0, slash), name: full.slice(slash + 1) };
}

/**
 * PUT `?extract-archive=tar|tar.gz` (Swift's bulk upload): every file in the archive becomes an
 * object, its first path component the container (created as needed) when uploading to the
 * account. Answers 200 with a report whose "Response Status" is 201 Created on success.
 */
export async function extractArchive(c: SwiftCall) {
  const format = query(c.req, 'extract-archive') ?? '';
  if (!FORMATS.includes(format)) throw badRequest(`Unsupported archive format ${JSON.stringify(format)}; use tar or tar.gz.`);
  authorize(c.caller, c.path.account, c.path.container ? 'object:write' : 'container:write');
  const res: BulkResult = { deleted: 0, notFound: 0, errors: [] };
  const created = await extract(c, archiveSource(c.req.body as Readable | undefined, format), res).catch((e: unknown) => {
    const code = (e as { code?: string })?.code ?? '';
    throw code.startsWith('Z_') || code === 'ERR_INVALID_ARG_TYPE' ? badRequest('Invalid gzip data in the archive.') : e;
  });
  const r = bulkReport(res, bulkFormat(c), undefined, { created });
  return respond(c.reply, 200, { 'Content-Type': r.contentType }, r.body);
}

/** The archive bytes, gunzipped for tar.gz; a failing request body fails the gunzip too. */
function archiveSource(body: Readable | undefined, format: string): AsyncIterable<Uint8Array> {
  if (!body) return Readable.from([]);
  if (format === 'tar') return body;
  const gunzip = createGunzip();
  body.once('error', (e) => gunzip.destroy(e));
  return body.pipe(gunzip);
}

/** Stores every file member; returns how many were created and records per-member errors. */
async function extract(c: SwiftCall, source: AsyncIterable<Uint8Array>, res: BulkResult): Promise<number> {
  const known = new Set<string>();
  let created = 0;
  for await (const entry of tarEntries(source)) {
    if (entry.type !== 'file') continue;
    const t = target(c, entry.name);
    if (!t) {
      res.errors.push({ path: entry.name, error: badRequest('Invalid path') });
      continue;
    }
    try {
      if (!known.has(t.container)) {
        if (known.size >= MAX_CONTAINERS) throw badRequest('Too many containers in one archive.');
        if (!(await c.deps.storage.containers.find(c.path.account, t.container))) await c.deps.storage.containers.create(c.path.account, t.container);
        known.add(t.container);
      }
      const loc = { account: c.path.account, ...t };
      await c.deps.storage.objects.put(loc, entry.size ? entry.body : undefined, { contentType: guessContentType(t.name), meta: {} }, { expectedSize: entry.size });
      created++;
    } catch (e) {
      if (!(e instanceof StratusError)) throw e;
      res.errors.push({ path: entry.name, error: e });
    }
  }
  return created;
}
