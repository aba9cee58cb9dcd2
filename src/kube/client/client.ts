import * as http from 'node:http';
import * as https from 'node:https';
import type { DeleteOptions, GetOptions, ListOptions, PatchOptions, PatchType, Watch, WatchOptions, WriteOptions } from '../api.js';
import { KubeError } from '../errors.js';
import type { ResourceType } from '../resources.js';
import type { KubeList, KubeObject, Status, WatchEvent } from '../types.js';
import { NdjsonParser } from './ndjson.js';

/**
 * How to reach and authenticate to an API server. `server` is `https://host:port` (or
 * `http://` for tests); `caPem` is the cluster CA that signed the server certificate. Give a
 * bearer `token`, or a client certificate (`certPem` + `keyPem`), or both.
 */
export interface KubeClientOptions {
  server: string;
  caPem?: string;
  token?: string;
  certPem?: string;
  keyPem?: string;
  userAgent?: string;
  /** Per-request timeout for everything but watches (default 30 s). */
  timeoutMs?: number;
}

/** One watch stream. `error` says why it ended when it did not end by `stop()` or a clean close. */
export interface ClientWatch extends Watch {
  readonly error: KubeError | undefined;
}

const PATCH_TYPES: Record<PatchType, string> = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

/**
 * A small typed Kubernetes REST client over `node:http(s)` with a keep-alive agent. It speaks
 * the same verbs as the in-process `KubeApi` (minus `revision()`), so code written against
 * `Pick<KubeApi, …>` runs unchanged in the API server's process or over the network.
 *
 * Contract: every method rejects with `KubeError` only. A non-2xx answer becomes the
 * `KubeError` of its Status body (code, reason, message, details); an answer that is not a
 * Status keeps the HTTP code with reason `Unknown`; a connection failure is 503
 * `ServiceUnavailable` and a timeout 504 `Timeout`, both naming the server.
 *
 * @example
 *   const c = new KubeClient({ server: 'https://127.0.0.1:6443', caPem, token });
 *   const pod = await c.get(POD, 'default', 'web-0');
 *   await c.patch(POD, 'default', 'web-0', 'merge', { status: { phase: 'Running' } }, { subresource: 'status' });
 */
export class KubeClient {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly mod: typeof http | typeof https;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(readonly opts: KubeClientOptions) {
    this.base = new URL(opts.server);
    const tls = this.base.protocol === 'https:';
    if (!tls && this.base.protocol !== 'http:') throw new KubeError(400, 'BadRequest', `server URL must be http(s)://host:port, got ${opts.server}`);
    this.mod = tls ? https : http;
    this.agent = tls
      ? new https.Agent({ keepAlive: true, ca: opts.caPem, cert: opts.certPem, key: opts.keyPem })
      : new http.Agent({ keepAlive: true });
    this.headers = { 'user-agent': opts.userAgent ?? 'stratus-kube-client/0.1', accept: 'application/json' };
    if (opts.token) this.headers.authorization = `Bearer ${opts.token}`;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  get server(): string {
    return this.base.origin;
  }

  async get(res: ResourceType, namespace: string | undefined, name: string, opts: GetOptions = {}): Promise<KubeObject> {
    return (await this.request('GET', resourcePath(res, namespace, name, opts.subresource))) as KubeObject;
  }

  async list(res: ResourceType, namespace: string | undefined, opts: ListOptions = {}): Promise<KubeList> {
    return (await this.request('GET', resourcePath(res, namespace), { query: listQuery(opts) })) as KubeList;
  }

  async create(res: ResourceType, namespace: string | undefined, body: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const name = opts.subresource ? (body.metadata?.name ?? '') : undefined;
    return (await this.request('POST', resourcePath(res, namespace, name, opts.subresource), { query: writeQuery(opts), body })) as KubeObject;
  }

  async update(res: ResourceType, namespace: string | undefined, name: string, body: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    return (await this.request('PUT', resourcePath(res, namespace, name, opts.subresource), { query: writeQuery(opts), body })) as KubeObject;
  }

  async patch(res: ResourceType, namespace: string | undefined, name: string, type: PatchType, patch: unknown, opts: PatchOptions = {}): Promise<KubeObject> {
    const query = writeQuery(opts);
    if (opts.force !== undefined) query.force = String(opts.force);
    return (await this.request('PATCH', resourcePath(res, namespace, name, opts.subresource), { query, body: patch, contentType: PATCH_TYPES[type] })) as KubeObject;
  }

  async delete(res: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KubeObject | Status> {
    return (await this.request('DELETE', resourcePath(res, namespace, name), { query: writeQuery(opts), body: deleteBody(opts) })) as KubeObject | Status;
  }

  async deleteCollection(res: ResourceType, namespace: string | undefined, opts: DeleteOptions & ListOptions = {}): Promise<KubeList> {
    const query = { ...writeQuery(opts), ...listQuery(opts) };
    return (await this.request('DELETE', resourcePath(res, namespace), { query, body: deleteBody(opts) })) as KubeList;
  }

  /**
   * One watch stream (`?watch=true`): resolves once the server answered 200, then calls
   * `onEvent` for every event in order, ERROR events included (their object is a Status). It
   * does not reconnect; `Informer` does. A non-200 answer rejects with its KubeError.
   */
  watch(res: ResourceType, namespace: string | undefined, opts: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<ClientWatch> {
    const query = listQuery(opts);
    query.watch = 'true';
    if (opts.allowWatchBookmarks) query.allowWatchBookmarks = 'true';
    if (opts.timeoutSeconds !== undefined) query.timeoutSeconds = String(opts.timeoutSeconds);
    if (opts.sendInitialEvents !== undefined) query.sendInitialEvents = String(opts.sendInitialEvents);
    const url = this.url(resourcePath(res, namespace), query);
    return new Promise((resolve, reject) => {
      let error: KubeError | undefined;
      let stopped = false;
      let settled = false;
      let finish: () => void = () => undefined;
      const done = new Promise<void>((r) => (finish = r));
      const req = this.mod.request(url, { method: 'GET', agent: this.agent, headers: this.headers });
      const guardMs = opts.timeoutSeconds !== undefined ? (opts.timeoutSeconds + 30) * 1000 : 0;
      const guard = guardMs ? setTimeout(() => req.destroy(new Error(`watch ran ${guardMs} ms past its timeout`)), guardMs) : undefined;
      guard?.unref();
      const end = (err?: Error) => {
        if (guard) clearTimeout(guard);
        if (err && !stopped && !error) error = connectionError(this.server, err);
        finish();
      };
      req.on('error', (err) => {
        if (!settled) {
          settled = true;
          if (guard) clearTimeout(guard);
          reject(connectionError(this.server, err));
        } else end(err);
      });
      req.on('response', (resp) => {
        if (resp.statusCode !== 200) {
          readBody(resp).then((text) => {
            settled = true;
            if (guard) clearTimeout(guard);
            reject(errorFromBody(resp.statusCode ?? 500, text));
          }, (err: Error) => {
            settled = true;
            reject(connectionError(this.server, err));
          });
          return;
        }
        settled = true;
        const parser = new NdjsonParser();
        const deliver = (values: unknown[]) => {
          for (const v of values) {
            if (stopped) return;
            if (isWatchEvent(v)) onEvent(v);
          }
        };
        resp.on('data', (chunk: Buffer) => deliver(parser.push(chunk)));
        resp.on('end', () => {
          deliver(parser.end());
          end();
        });
        resp.on('error', (err) => end(err));
        resp.on('close', () => end(resp.complete ? undefined : new Error('watch stream closed before its end')));
        resolve({
          stop() {
            stopped = true;
            req.destroy();
            end();
          },
          done,
          get error() {
            return error;
          },
        });
      });
      req.end();
    });
  }

  /**
   * Any request: `path` is absolute (`/api/v1/nodes`); a body is sent as JSON unless it is a
   * string. Resolves with the parsed JSON answer (or its text when not JSON).
   */
  async request(method: string, path: string, o: { query?: Record<string, string>; body?: unknown; contentType?: string } = {}): Promise<unknown> {
    const url = this.url(path, o.query ?? {});
    const headers: Record<string, string> = { ...this.headers };
    let payload: string | undefined;
    if (o.body !== undefined) {
      payload = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      headers['content-type'] = o.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = this.mod.request(url, { method, agent: this.agent, headers, timeout: this.timeoutMs });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (err) => reject(connectionError(this.server, err)));
      req.on('response', (resp) => readBody(resp).then((t) => resolve({ status: resp.statusCode ?? 500, text: t }), (err: Error) => reject(connectionError(this.server, err))));
      req.end(payload);
    });
    if (status >= 400) throw errorFromBody(status, text);
    if (!text) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  /** Closes idle keep-alive sockets (open watches end too). */
  close(): void {
    this.agent.destroy();
  }

  private url(path: string, query: Record<string, string>): URL {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url;
  }
}

/** `/api/v1/namespaces/ns/pods/name/status`, `/apis/apps/v1/deployments`… */
export function resourcePath(res: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  let path = res.group ? `/apis/${res.group}/${res.version}` : `/api/${res.version}`;
  if (res.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${res.resource}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}

function listQuery(opts: ListOptions): Record<string, string> {
  const q: Record<string, string> = {};
  if (opts.labelSelector) q.labelSelector = opts.labelSelector;
  if (opts.fieldSelector) q.fieldSelector = opts.fieldSelector;
  if (opts.limit !== undefined) q.limit = String(opts.limit);
  if (opts.continue) q.continue = opts.continue;
  if (opts.resourceVersion !== undefined) q.resourceVersion = opts.resourceVersion;
  if (opts.resourceVersionMatch) q.resourceVersionMatch = opts.resourceVersionMatch;
  return q;
}

function writeQuery(opts: WriteOptions): Record<string, string> {
  const q: Record<string, string> = {};
  if (opts.dryRun) q.dryRun = 'All';
  if (opts.fieldManager) q.fieldManager = opts.fieldManager;
  if (opts.fieldValidation) q.fieldValidation = opts.fieldValidation;
  return q;
}

function deleteBody(opts: DeleteOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
  if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
  if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
  if (opts.preconditions) body.preconditions = opts.preconditions;
  if (opts.dryRun) body.dryRun = ['All'];
  return body;
}

function readBody(resp: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    resp.on('data', (c: Buffer) => chunks.push(c));
    resp.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    resp.on('error', reject);
  });
}

/** The KubeError of a non-2xx answer: its Status body when it has one. */
export function errorFromBody(code: number, text: string): KubeError {
  try {
    const body = JSON.parse(text) as Partial<Status>;
    if (body && body.kind === 'Status') return errorFromStatus(body, code);
  } catch {
    // not JSON: fall through
  }
  const snippet = text.trim().slice(0, 200);
  return new KubeError(code, 'Unknown', `the server answered ${code}${snippet ? `: ${snippet}` : ' with no body'}`);
}

/** A Status (from an answer or a watch ERROR event) as a KubeError. */
export function errorFromStatus(status: Partial<Status>, fallbackCode = 500): KubeError {
  return new KubeError(status.code ?? fallbackCode, status.reason ?? 'Unknown', status.message ?? `the server answered ${status.code ?? fallbackCode}`, status.details);
}

function connectionError(server: string, err: Error & { code?: string }): KubeError {
  if (err.code === 'ETIMEDOUT') return new KubeError(504, 'Timeout', `the API server at ${server} did not answer in time: ${err.message}`);
  return new KubeError(503, 'ServiceUnavailable', `cannot reach the API server at ${server} (${err.code ?? err.message}); check that it runs and that the URL, CA and credentials are right`);
}

function isWatchEvent(v: unknown): v is WatchEvent {
  return typeof v === 'object' && v !== null && typeof (v as WatchEvent).type === 'string' && typeof (v as WatchEvent).object === 'object';
}
