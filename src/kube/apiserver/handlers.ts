import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DeleteOptions, KubeApi, ListOptions, PatchOptions, WatchOptions, WriteOptions } from '../api.js';
import { KubeError } from '../errors.js';
import { apiVersionOf, type ResourceType } from '../resources.js';
import type { KubeObject, Status, UserInfo } from '../types.js';
import { toTable } from '../printers/index.js';
import { boolParam, intParam, parseBody, patchTypeOf, readBody, sendJson, TABLE_CONTENT_TYPE, wantsTable } from './http-util.js';
import type { ResourceRoute } from './router.js';
import { serveWatch } from './watch.js';
import { serveLogs, type StreamHooks } from './pods.js';
import type { ServiceAccountTokens } from './sa-tokens.js';

/** One resource request after routing and authentication. */
export interface ResourceContext {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  api: KubeApi;
  user: UserInfo;
  streams: StreamHooks | undefined;
  /** Issues TokenRequests (`serviceaccounts/<sa>/token`); absent: that subresource answers 503. */
  tokens?: ServiceAccountTokens;
}

/** Subresources handled through the registry with the parent's verbs. */
const REGISTRY_SUBRESOURCES = new Set(['status', 'scale', 'finalize']);

function listOptions(q: URLSearchParams): ListOptions {
  const o: ListOptions = {};
  const s = (k: keyof ListOptions & string) => {
    const v = q.get(k);
    if (v !== null && v !== '') (o as Record<string, unknown>)[k] = v;
  };
  s('labelSelector');
  s('fieldSelector');
  s('continue');
  s('resourceVersion');
  s('resourceVersionMatch');
  const limit = intParam(q, 'limit');
  if (limit !== undefined && limit > 0) o.limit = limit;
  return o;
}

function watchOptions(q: URLSearchParams): WatchOptions {
  const o: WatchOptions = listOptions(q);
  delete o.limit;
  delete o.continue;
  if (boolParam(q, 'allowWatchBookmarks')) o.allowWatchBookmarks = true;
  if (boolParam(q, 'sendInitialEvents')) o.sendInitialEvents = true;
  const t = intParam(q, 'timeoutSeconds');
  if (t !== undefined && t > 0) o.timeoutSeconds = t;
  return o;
}

function includeObject(q: URLSearchParams): 'None' | 'Metadata' | 'Object' {
  const v = q.get('includeObject');
  if (v === null || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw KubeError.badRequest(`includeObject must be one of None, Metadata, Object, not "${v}"`);
}

function dryRun(q: URLSearchParams, body?: { dryRun?: unknown }): boolean {
  const all = q.getAll('dryRun');
  for (const v of all) if (v !== 'All') throw KubeError.badRequest(`dryRun must be "All", not "${v}"`);
  if (all.length) return true;
  return Array.isArray(body?.dryRun) && body.dryRun.includes('All');
}

function writeOptions(ctx: ResourceContext, subresource: string | undefined): WriteOptions {
  const o: WriteOptions = { user: ctx.user, warnings: warningSink(ctx.res) };
  if (subresource) o.subresource = subresource;
  if (dryRun(ctx.query)) o.dryRun = true;
  const fm = ctx.query.get('fieldManager');
  if (fm) o.fieldManager = fm;
  const fv = ctx.query.get('fieldValidation');
  if (fv) {
    if (!['Strict', 'Warn', 'Ignore'].includes(fv)) throw KubeError.badRequest(`fieldValidation must be one of Strict, Warn, Ignore, not "${fv}"`);
    o.fieldValidation = fv;
  }
  return o;
}

/**
 * The `warnings` list of a request's WriteOptions: what the API pushes (pruned unknown fields,
 * CEL rules not enforced) becomes `Warning: 299 - "…"` headers, which kubectl prints as
 * `Warning: …`. The API runs before the response is written, so the headers still go out.
 */
function warningSink(res: ServerResponse): string[] {
  const list: string[] = [];
  list.push = (...items: string[]) => {
    if (!res.headersSent) {
      const prev = res.getHeader('Warning');
      const had = Array.isArray(prev) ? prev : prev === undefined ? [] : [String(prev)];
      res.setHeader('Warning', [...had, ...items.map((w) => `299 - ${JSON.stringify(w.replace(/[\r\n]+/g, ' '))}`)]);
    }
    return Array.prototype.push.apply(list, items);
  };
  return list;
}

async function objectBody(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const body = parseBody(await readBody(req), req.headers['content-type']);
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) throw KubeError.badRequest('the request body must be a JSON object');
  return body as Record<string, unknown>;
}

/**
 * The object of a create/update body: must be a JSON object; `apiVersion`/`kind` default to the
 * URL's and must match it when given (`expected` differs for Scale and Binding bodies).
 */
async function objectOf(req: IncomingMessage, expected: { apiVersion: string; kind: string }): Promise<KubeObject> {
  const body = await objectBody(req);
  if (!body) throw KubeError.badRequest('the request needs a body: the object to write, as JSON or YAML');
  if (body.apiVersion === undefined || body.apiVersion === '') body.apiVersion = expected.apiVersion;
  if (body.kind === undefined || body.kind === '') body.kind = expected.kind;
  if (body.apiVersion !== expected.apiVersion) {
    throw KubeError.badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${expected.apiVersion})`);
  }
  if (body.kind !== expected.kind) throw KubeError.badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (${expected.kind})`);
  if (body.metadata === undefined || body.metadata === null) body.metadata = {};
  if (typeof body.metadata !== 'object' || Array.isArray(body.metadata)) throw KubeError.badRequest('metadata must be an object');
  return body as KubeObject;
}

function expectedKind(r: ResourceType, subresource: string | undefined): { apiVersion: string; kind: string } {
  const s = subresource ? r.subresources.find((x) => x.name === subresource) : undefined;
  if (s && (s.kind !== r.kind || s.group !== r.group)) return { apiVersion: s.group ? `${s.group}/${s.version}` : s.version, kind: s.kind };
  return { apiVersion: apiVersionOf(r), kind: r.kind };
}

async function deleteOptions(ctx: ResourceContext): Promise<DeleteOptions> {
  const body = await objectBody(ctx.req);
  const o: DeleteOptions = { user: ctx.user };
  const q = ctx.query;
  const policy = (body?.propagationPolicy as string | undefined) ?? q.get('propagationPolicy') ?? undefined;
  if (policy !== undefined && policy !== null) {
    if (policy !== 'Background' && policy !== 'Foreground' && policy !== 'Orphan') {
      throw KubeError.badRequest(`propagationPolicy must be one of Background, Foreground, Orphan, not "${policy}"`);
    }
    o.propagationPolicy = policy;
  } else if (body?.orphanDependents === true || q.get('orphanDependents') === 'true') {
    o.propagationPolicy = 'Orphan';
  }
  const grace = body?.gracePeriodSeconds ?? intParam(q, 'gracePeriodSeconds');
  if (grace !== undefined && grace !== null) {
    if (typeof grace !== 'number' || !Number.isInteger(grace)) throw KubeError.badRequest('gracePeriodSeconds must be an integer');
    o.gracePeriodSeconds = grace;
  }
  if (body?.preconditions && typeof body.preconditions === 'object') o.preconditions = body.preconditions as DeleteOptions['preconditions'];
  if (dryRun(q, body as { dryRun?: unknown })) o.dryRun = true;
  return o;
}

function sendObject(ctx: ResourceContext, r: ResourceType, code: number, obj: KubeObject | Status): void {
  if (wantsTable(ctx.req.headers.accept) && obj.kind !== 'Status' && ctx.req.method === 'GET') {
    const o = obj as KubeObject;
    sendJson(ctx.res, code, toTable(r, [o], { includeObject: includeObject(ctx.query), resourceVersion: o.metadata.resourceVersion ?? '' }), TABLE_CONTENT_TYPE);
    return;
  }
  sendJson(ctx.res, code, obj);
}

/** Serves one resource URL; resolves with the HTTP status written. */
export async function handleResource(ctx: ResourceContext, rt: ResourceRoute): Promise<number> {
  const { req, api, query } = ctx;
  const { res: r, namespace, name, subresource } = rt;
  const method = req.method ?? 'GET';

  if (namespace !== undefined && namespace === '') throw KubeError.badRequest('namespace must not be empty');

  // Collections.
  if (name === undefined) {
    const watching = rt.watchPrefix || boolParam(query, 'watch');
    if (method === 'GET' && watching) {
      const table = wantsTable(req.headers.accept) ? { includeObject: includeObject(query) } : undefined;
      return serveWatch(req, ctx.res, api, r, namespace, watchOptions(query), table);
    }
    if (method === 'GET') {
      // Only serialised or printed here: the registry's frozen, shared items save a deep copy of
      // every object (5,000 pods: ~40 ms), when the API offers them.
      const list = api.listReadOnly ? await api.listReadOnly(r, namespace, listOptions(query)) : await api.list(r, namespace, listOptions(query));
      if (wantsTable(req.headers.accept)) {
        const opts: Parameters<typeof toTable>[2] = { includeObject: includeObject(query), resourceVersion: list.metadata.resourceVersion };
        if (list.metadata.continue) opts.continue = list.metadata.continue;
        sendJson(ctx.res, 200, toTable(r, list.items, opts), TABLE_CONTENT_TYPE);
      } else {
        sendJson(ctx.res, 200, list);
      }
      return 200;
    }
    if (method === 'POST') {
      if (r.namespaced && namespace === undefined) throw KubeError.methodNotAllowed(`create ${r.resource} needs a namespace in the URL: POST /…/namespaces/<ns>/${r.resource}`);
      const body = await objectOf(req, expectedKind(r, undefined));
      const created = await api.create(r, namespace, body, writeOptions(ctx, undefined));
      sendJson(ctx.res, 201, created);
      return 201;
    }
    if (method === 'DELETE') {
      const opts = { ...listOptions(query), ...(await deleteOptions(ctx)) };
      const list = await api.deleteCollection(r, namespace, opts);
      sendJson(ctx.res, 200, list);
      return 200;
    }
    throw KubeError.methodNotAllowed(`${method} is not supported on a collection of ${r.resource}`);
  }

  // Subresources outside the registry.
  if (subresource !== undefined && !REGISTRY_SUBRESOURCES.has(subresource)) {
    const sub = r.subresources.find((s) => s.name === subresource);
    if (!sub) throw new KubeError(404, 'NotFound', `the server could not find the requested resource (${r.resource}/${subresource})`);
    if (r.resource === 'pods' && subresource === 'log') {
      if (method !== 'GET') throw KubeError.methodNotAllowed();
      return serveLogs(ctx, namespace!, name);
    }
    if (r.resource === 'pods' && (subresource === 'exec' || subresource === 'attach' || subresource === 'portforward')) {
      throw KubeError.badRequest(`Upgrade request required: ${subresource} needs a WebSocket (v5.channel.k8s.io, v4.channel.k8s.io) or SPDY/3.1 upgrade`);
    }
    if (r.resource === 'pods' && subresource === 'binding') {
      if (method !== 'POST') throw KubeError.methodNotAllowed();
      const body = await objectOf(req, { apiVersion: 'v1', kind: 'Binding' });
      body.metadata = { ...body.metadata, name, namespace };
      await api.create(r, namespace, body, writeOptions(ctx, 'binding'));
      sendJson(ctx.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
      return 201;
    }
    if (r.resource === 'pods' && subresource === 'eviction') {
      if (method !== 'POST') throw KubeError.methodNotAllowed();
      const body = (await objectBody(req)) ?? {};
      if (body.kind !== undefined && body.kind !== 'Eviction') throw KubeError.badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (Eviction)`);
      const meta = body.metadata && typeof body.metadata === 'object' ? (body.metadata as Record<string, unknown>) : {};
      if (meta.name !== undefined && meta.name !== '' && meta.name !== name) throw KubeError.badRequest('name in URL does not match name in Eviction object');
      // The registry checks the pod's disruption budgets (429 when one would be violated).
      await api.create(r, namespace, { ...body, metadata: { ...meta, name, namespace } } as KubeObject, writeOptions(ctx, 'eviction'));
      sendJson(ctx.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
      return 201;
    }
    if (r.resource === 'serviceaccounts' && subresource === 'token') {
      if (method !== 'POST') throw KubeError.methodNotAllowed(`serviceaccounts/token supports create (POST) only, not ${method}`);
      if (!ctx.tokens) throw new KubeError(503, 'ServiceUnavailable', 'this API server has no service-account signing key configured, so it cannot issue tokens');
      const body = (await objectBody(req)) ?? {};
      if (dryRun(query, body as { dryRun?: unknown })) {
        // Validated like a real request, but nothing is signed.
        const issued = await ctx.tokens.issue(namespace!, name, body);
        (issued.status as { token: string }).token = '';
        sendJson(ctx.res, 201, issued);
        return 201;
      }
      sendJson(ctx.res, 201, await ctx.tokens.issue(namespace!, name, body));
      return 201;
    }
    throw KubeError.methodNotAllowed(`the ${r.resource}/${subresource} subresource is not implemented by this server`);
  }

  if (subresource !== undefined && !r.subresources.some((s) => s.name === subresource)) {
    throw new KubeError(404, 'NotFound', `the server could not find the requested resource (${r.resource}/${subresource})`);
  }

  switch (method) {
    case 'GET': {
      if (subresource === 'finalize') throw KubeError.methodNotAllowed();
      const obj = await api.get(r, namespace, name, subresource ? { subresource } : {});
      sendObject(ctx, r, 200, obj);
      return 200;
    }
    case 'PUT': {
      const body = await objectOf(req, expectedKind(r, subresource));
      const bodyName = body.metadata.name;
      if (bodyName !== undefined && bodyName !== name) {
        throw KubeError.badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${name})`);
      }
      body.metadata.name = name;
      const updated = await api.update(r, namespace, name, body, writeOptions(ctx, subresource));
      sendJson(ctx.res, 200, updated);
      return 200;
    }
    case 'PATCH': {
      if (subresource === 'finalize') throw KubeError.methodNotAllowed();
      const type = patchTypeOf(req.headers['content-type']);
      const patch = parseBody(await readBody(req), req.headers['content-type']);
      if (patch === undefined) throw KubeError.badRequest('the patch body is empty');
      const opts: PatchOptions = writeOptions(ctx, subresource);
      if (type === 'apply') {
        if (!opts.fieldManager) throw KubeError.badRequest('PATCH with application/apply-patch+yaml requires the fieldManager query parameter');
        if (boolParam(query, 'force')) opts.force = true;
      } else if (query.has('force')) {
        throw KubeError.badRequest('force is only allowed for apply patches (application/apply-patch+yaml)');
      }
      const patched = await api.patch(r, namespace, name, type, patch, opts);
      sendJson(ctx.res, 200, patched);
      return 200;
    }
    case 'DELETE': {
      if (subresource !== undefined) throw KubeError.methodNotAllowed();
      const out = await api.delete(r, namespace, name, await deleteOptions(ctx));
      sendJson(ctx.res, 200, out);
      return 200;
    }
    default:
      throw KubeError.methodNotAllowed(`${method} is not supported on ${r.resource}`);
  }
}
