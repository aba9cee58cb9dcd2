import { StratusError } from '../../../core/errors.js';
import type { ContainerRecord } from '../logic/index.js';
import { authorize, type Action } from '../policy.js';
import { webListingHtml } from '../views/staticweb.js';
import { getObject, headObject, locationOf } from './object-read.js';
import { header, truthy, type SwiftCall } from './request.js';
import { respond } from './respond.js';
import { sendError } from '../views/errors.js';

/** A container's StaticWeb settings, from its X-Container-Meta-Web-* metadata. */
interface WebConfig {
  index?: string | undefined;
  error?: string | undefined;
  listings: boolean;
  css?: string | undefined;
  label?: string | undefined;
  dirType: string;
}

function webConfig(meta: Record<string, string>): WebConfig {
  return {
    index: meta['web-index'] || undefined,
    error: meta['web-error'] || undefined,
    listings: truthy(meta['web-listings']),
    css: meta['web-listings-css'] || undefined,
    label: meta['web-listings-label'] || undefined,
    dirType: meta['web-directory-type'] || 'application/directory',
  };
}

/**
 * StaticWeb: serves a container as a web site (index pages, error pages, HTML listings) for
 * anonymous GET/HEAD requests, and for token requests that send `X-Web-Mode: true`. Returns
 * undefined when the request is not one for it, and the normal handler answers.
 * The caller still needs read access: a public container (`X-Container-Read: .r:*`), and
 * `.rlistings` for listings.
 */
export async function staticWeb(c: SwiftCall): Promise<unknown> {
  if ((c.req.method !== 'GET' && c.req.method !== 'HEAD') || !c.path.container) return undefined;
  const webMode = truthy(header(c.req, 'x-web-mode'));
  if ((c.caller.auth || c.caller.tempUrl) && !webMode) return undefined;
  const rec = await c.deps.storage.containers.find(c.path.account, c.path.container);
  if (!rec) return undefined;
  const web = webConfig(rec.meta);
  return c.path.object ? webObject(c, rec, web) : webContainer(c, rec, web, webMode);
}

const slashed = (c: SwiftCall) => c.path.raw.endsWith('/');

/** 301 to the same path with a trailing slash (relative links in pages resolve against it). */
function redirectToDir(c: SwiftCall) {
  const qi = c.req.url.indexOf('?');
  const location = `${c.deps.prefix}${c.path.raw}/${qi < 0 ? '' : c.req.url.slice(qi)}`;
  return respond(c.reply, 301, { Location: location });
}

async function webContainer(c: SwiftCall, rec: ContainerRecord, web: WebConfig, webMode: boolean) {
  if (!web.index && !web.listings) {
    if (webMode) return errorPage(c, rec, web, 404);
    return undefined;
  }
  if (!slashed(c)) return redirectToDir(c);
  if (web.index) {
    const served = await serveIfPresent(c, rec, web, web.index);
    if (served !== undefined) return served;
  }
  return listing(c, rec, web, '');
}

async function webObject(c: SwiftCall, rec: ContainerRecord, web: WebConfig) {
  const { storage } = c.deps;
  if (!allowed(c, 'object:read', rec)) return errorPage(c, rec, web, 401);
  const obj = await storage.objects.find(locationOf(c));
  const dirMarker = obj !== undefined && obj.contentType === web.dirType && obj.size <= 1;
  if ((obj && !dirMarker) || (!web.index && !web.listings)) return undefined;
  const name = c.path.object;
  if (web.index) {
    const index = `${name}${name.endsWith('/') ? '' : '/'}${web.index}`;
    if (await storage.objects.find({ ...locationOf(c), name: index })) {
      return slashed(c) ? serveIfPresent(c, rec, web, index) : redirectToDir(c);
    }
  }
  if (!slashed(c)) {
    // A pseudo-directory (objects under `name/`) gets a redirect to its listing; anything else is missing.
    const under = allowed(c, 'container:read', rec)
      ? await storage.containers.listObjects(c.path.account, rec.name, { prefix: `${name}/`, delimiter: '/', limit: 1 })
      : [];
    return under.length > 0 ? redirectToDir(c) : errorPage(c, rec, web, 404);
  }
  return listing(c, rec, web, name);
}

/** The HTML listing of the container or of the pseudo-directory `prefix` (ending in '/'). */
async function listing(c: SwiftCall, rec: ContainerRecord, web: WebConfig, prefix: string) {
  if (!web.listings) return errorPage(c, rec, web, 404);
  if (!allowed(c, 'container:read', rec)) return errorPage(c, rec, web, 401);
  const entries = await c.deps.storage.containers.listObjects(c.path.account, rec.name, { prefix, delimiter: '/' });
  if (prefix && entries.length === 0) return errorPage(c, rec, web, 404);
  const base = web.label ?? `/${c.path.version}/${c.path.account}`;
  const body = webListingHtml({ label: `${base}/${rec.name}/${prefix}`, prefix, css: web.css, entries });
  const headers = { 'Content-Type': 'text/html; charset=UTF-8', 'Content-Length': String(Buffer.byteLength(body)) };
  return respond(c.reply, 200, headers, c.req.method === 'HEAD' ? undefined : body);
}

function allowed(c: SwiftCall, action: Action, rec: ContainerRecord): boolean {
  try {
    authorize(c.caller, c.path.account, action, rec);
    return true;
  } catch {
    return false;
  }
}

/** Serves object `name` of the container as the response (GET or HEAD), or undefined if absent. */
async function serveIfPresent(c: SwiftCall, rec: ContainerRecord, web: WebConfig, name: string): Promise<unknown> {
  if (!allowed(c, 'object:read', rec)) return errorPage(c, rec, web, 401);
  if (!(await c.deps.storage.objects.find({ ...locationOf(c), name }))) return undefined;
  const sub: SwiftCall = { ...c, path: { ...c.path, object: name } };
  return c.req.method === 'HEAD' ? headObject(sub) : getObject(sub);
}

/**
 * An error answer: with X-Container-Meta-Web-Error set, the object `<status><web-error>`
 * (e.g. `404error.html`) as the body, if it exists and is readable; else Swift's short page.
 */
async function errorPage(c: SwiftCall, rec: ContainerRecord, web: WebConfig, status: 401 | 404) {
  const { storage } = c.deps;
  const page = web.error && allowed(c, 'object:read', rec) ? await storage.objects.find({ ...locationOf(c), name: `${status}${web.error}` }) : undefined;
  if (!page) {
    if (status === 401) throw new StratusError('Unauthorized', 'This server could not verify that you are authorized to access the document you requested.');
    return sendError(c.req, c.reply, status);
  }
  const plan = await storage.plan(page, async () => undefined);
  const headers = { 'Content-Type': page.contentType, 'Content-Length': String(plan.size) };
  if (c.req.method === 'HEAD' || plan.size === 0) return respond(c.reply, status, headers);
  return c.reply.code(status).headers(headers).send(await storage.open(plan));
}
