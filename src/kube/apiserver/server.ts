import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { KubeApi } from '../api.js';
import { RESOURCES, type ResourceCatalog } from '../resources.js';
import { KubeError } from '../errors.js';
import type { Status, UserInfo } from '../types.js';
import type { Authenticator, RequestAuthorizer } from './auth.js';
import { AGGREGATED_CONTENT_TYPE, aggregatedDiscovery, apiGroupDoc, apiGroupList, apiResourceList, apiVersions, discoveryFormat, versionInfo } from './discovery.js';
import { handleResource } from './handlers.js';
import { sendJson, sendStatus, toKubeError } from './http-util.js';
import { buildOpenApiV3 } from './openapi.js';
import { podTarget, type StreamHooks, type StreamKind } from './pods.js';
import { route } from './router.js';
import type { ServiceAccountTokens } from './sa-tokens.js';

// NOTE: plain node:https with a small router instead of Fastify. The API server needs raw
// control that Fastify would mostly be worked around for: `upgrade` events handed over as raw
// sockets (WebSocket v5/v4 and SPDY/3.1, including kubectl's POST+Upgrade fallback), watch
// responses that flush headers at once and stay open for minutes, and one error shape (Status)
// for every failure including unknown paths and body-parser errors.

export const DEFAULT_KUBE_VERSION = '1.32.4';

export interface ApiServerOptions {
  api: KubeApi;
  /** PEM server key/certificate and the cluster CA (client certificates are verified against it). Absent → plain HTTP (tests only). */
  tls?: { key: string; cert: string; ca: string };
  /** Absent → every request runs as the cluster admin (tests only). */
  authenticator?: Authenticator;
  /** RBAC and impersonation (`./rbac`); absent → every authenticated user may do everything (tests only). */
  authorizer?: RequestAuthorizer;
  /** What `/version` reports, e.g. `1.32.4` or `1.29.14` (the kubectl dispatcher picks by minor). */
  kubeVersion?: string;
  streams?: StreamHooks;
  /** Issues and checks bound service-account tokens (TokenRequest); absent: `serviceaccounts/<sa>/token` answers 503. */
  tokens?: ServiceAccountTokens;
  /** Access log and errors, one line each. */
  log?: (line: string) => void;
  /** Extra readiness check for `/readyz` (e.g. controllers started). */
  ready?: () => boolean;
  /** The kinds this cluster serves (static table + custom resources); default the static table. */
  catalog?: ResourceCatalog;
}

export interface KubeApiServer {
  readonly server: Server;
  /**
   * Serves one connection that arrived another way than the TCP listener (the in-cluster path:
   * a pod's connection through a node API proxy and the control plane's unix socket). Same
   * TLS certificate, client-certificate and token authentication and handlers as the listener;
   * the TLS policy is relaxed to security level 0 (see the NOTE in `createApiServer`).
   */
  acceptInCluster(socket: Duplex): void;
  /** Listens and resolves with the base URL (`https://127.0.0.1:6443`). */
  listen(port: number, host?: string): Promise<string>;
  /** Stops accepting, ends watches and upgraded streams, closes every connection. */
  close(): Promise<void>;
}

const ANON: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
const ADMIN: UserInfo = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
const HEALTH_CHECKS = ['ping', 'log', 'etcd', 'informer-sync', 'poststarthook/start-apiserver-admission-initializer'];
const STREAM_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);

/** Paths any caller may read, authenticated or not (as the system:public-info-viewer role allows upstream). */
function isPublic(path: string): boolean {
  return path === '/version' || /^\/(healthz|livez|readyz)(\/|$)/.test(path);
}

export function createApiServer(opts: ApiServerOptions): KubeApiServer {
  const kubeVersion = opts.kubeVersion ?? DEFAULT_KUBE_VERSION;
  const all = () => opts.catalog?.all() ?? RESOURCES;
  let openapi = buildOpenApiV3(kubeVersion, all());
  let openapiAt = opts.catalog?.version ?? 0;
  /** OpenAPI documents, rebuilt when the catalog changed (a CRD established or removed). */
  const currentOpenApi = () => {
    const v = opts.catalog?.version ?? 0;
    if (v !== openapiAt) {
      openapi = buildOpenApiV3(kubeVersion, all());
      openapiAt = v;
    }
    return openapi;
  };
  const log = opts.log ?? (() => {});
  const sockets = new Set<Duplex>();
  let closing = false;
  const api = opts.authorizer ? opts.authorizer.guard(opts.api) : opts.api;

  async function authenticate(req: IncomingMessage): Promise<UserInfo | undefined> {
    if (!opts.authenticator) return ADMIN;
    return opts.authenticator.authenticate(req);
  }

  function health(res: ServerResponse, url: URL): number {
    const which = url.pathname.split('/')[1]!;
    const ok = which !== 'readyz' || !opts.ready || opts.ready();
    const sub = url.pathname.split('/').slice(2).join('/');
    if (sub && !HEALTH_CHECKS.includes(sub)) {
      sendStatus(res, new KubeError(404, 'NotFound', `no ${which} check named "${sub}"; checks: ${HEALTH_CHECKS.join(', ')}`));
      return 404;
    }
    let text: string;
    if (url.searchParams.has('verbose')) {
      const lines = HEALTH_CHECKS.map((c) => `[+]${c} ok`);
      if (which === 'readyz') lines.push(ok ? '[+]stratus-controllers ok' : '[-]stratus-controllers failed: not started yet');
      text = `${lines.join('\n')}\n${which} check ${ok ? 'passed' : 'failed'}\n`;
    } else {
      text = ok ? 'ok' : `[-]stratus-controllers failed: not started yet\n${which} check failed\n`;
    }
    const code = ok ? 200 : 500;
    res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    return code;
  }

  function notFound(): KubeError {
    return new KubeError(404, 'NotFound', 'the server could not find the requested resource');
  }

  /** Non-resource paths; undefined when the path is a resource path. */
  function documents(req: IncomingMessage, res: ServerResponse, url: URL): number | undefined {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (path === '/api' || path === '/apis' || path === '/version' || path.startsWith('/openapi')) throw KubeError.methodNotAllowed();
      return undefined;
    }
    if (path === '/version') {
      sendJson(res, 200, versionInfo(kubeVersion));
      return 200;
    }
    if (path === '/api' || path === '/apis') {
      const core = path === '/api';
      const format = discoveryFormat(req.headers.accept);
      if (format === 'legacy') {
        sendJson(res, 200, core ? apiVersions(req.headers.host ?? 'localhost') : apiGroupList(all()));
      } else {
        sendJson(res, 200, aggregatedDiscovery(core, format, all()), AGGREGATED_CONTENT_TYPE[format]);
      }
      return 200;
    }
    if (path === '/openapi/v2') {
      throw new KubeError(404, 'NotFound', 'this server publishes OpenAPI v3 only (/openapi/v3)');
    }
    if (path === '/openapi/v3') {
      sendJson(res, 200, currentOpenApi().root);
      return 200;
    }
    if (path.startsWith('/openapi/v3/')) {
      const doc = currentOpenApi().documents.get(path.slice('/openapi/v3/'.length));
      if (!doc) throw notFound();
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(doc), 'Cache-Control': 'public, immutable' });
      res.end(doc);
      return 200;
    }
    if (path === '/') {
      const paths = ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/openapi/v3', '/readyz', '/version'];
      sendJson(res, 200, { paths });
      return 200;
    }
    return undefined;
  }

  async function serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<number> {
    if (/^\/(healthz|livez|readyz)(\/|$)/.test(url.pathname) && req.method === 'GET') return health(res, url);
    const caller = isPublic(url.pathname) ? (await authenticate(req)) ?? ANON : await authenticate(req);
    if (!caller) throw KubeError.unauthorized();
    const user = opts.authorizer ? opts.authorizer.authorize(req, url, caller) : caller;
    const doc = documents(req, res, url);
    if (doc !== undefined) return doc;
    const r = route(url.pathname, all());
    switch (r.kind) {
      case 'resource':
        return handleResource({ req, res, query: url.searchParams, api, user, streams: opts.streams, ...(opts.tokens ? { tokens: opts.tokens } : {}) }, r.route);
      case 'groupVersion': {
        const list = req.method === 'GET' ? apiResourceList(r.group, r.version, all()) : undefined;
        if (!list) throw notFound();
        sendJson(res, 200, list);
        return 200;
      }
      case 'group': {
        const g = req.method === 'GET' ? apiGroupDoc(r.group, all()) : undefined;
        if (!g) throw notFound();
        sendJson(res, 200, g);
        return 200;
      }
      default:
        throw notFound();
    }
  }

  function accessLog(req: IncomingMessage, path: string, code: number, t0: number): void {
    log(`${req.method} ${path} ${code} ${(performance.now() - t0).toFixed(1)}ms ${JSON.stringify(req.headers['user-agent'] ?? '')}`);
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const t0 = performance.now();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'https://localhost');
    } catch {
      sendStatus(res, KubeError.badRequest('malformed request URL'));
      accessLog(req, req.url ?? '', 400, t0);
      return;
    }
    serve(req, res, url).then(
      (code) => accessLog(req, url.pathname, code, t0),
      (e) => {
        const code = sendStatus(res, e);
        if (!(e instanceof KubeError)) log(`ERROR ${req.method} ${url.pathname}: ${(e as Error)?.stack ?? String(e)}`);
        accessLog(req, url.pathname, code, t0);
      },
    );
  }

  /** Writes an HTTP error answer with a Status body on a not-yet-upgraded socket. */
  function rejectUpgrade(socket: Duplex, e: unknown): number {
    const err = toKubeError(e);
    const status: Status = err.toStatus();
    const body = JSON.stringify(status);
    const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 503: 'Service Unavailable' }[err.code] ?? 'Error';
    if (socket.writable) {
      socket.end(`HTTP/1.1 ${err.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    }
    return err.code;
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<number> {
    const user = await authenticate(req);
    if (!user) throw KubeError.unauthorized();
    opts.authorizer?.authorize(req, url, user);
    const r = route(url.pathname, all());
    if (r.kind !== 'resource' || r.route.res.resource !== 'pods' || !r.route.subresource || !STREAM_SUBRESOURCES.has(r.route.subresource) || !r.route.name) {
      throw KubeError.badRequest(`connection upgrades are served only for pods/exec, pods/attach and pods/portforward, not ${url.pathname}`);
    }
    if (req.method !== 'GET' && req.method !== 'POST') throw KubeError.methodNotAllowed();
    const kind = r.route.subresource as StreamKind;
    const q = url.searchParams;
    if (kind === 'exec' && q.getAll('command').length === 0) throw KubeError.badRequest('you must specify at least one command for the container');
    if (kind !== 'portforward' && !['stdin', 'stdout', 'stderr'].some((k) => q.get(k) === 'true' || q.get(k) === '1')) {
      throw KubeError.badRequest('you must specify at least 1 of stdin, stdout, stderr');
    }
    const target = await podTarget(opts.api, r.route.namespace!, r.route.name, kind, q.get('container'));
    if (!opts.streams) throw new KubeError(503, 'ServiceUnavailable', 'this API server has no stream layer (logs, exec, port-forward) configured');
    opts.streams.upgrade(req, socket, head, kind, target);
    return 101;
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const t0 = performance.now();
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'https://localhost');
    } catch {
      accessLog(req, req.url ?? '', rejectUpgrade(socket, KubeError.badRequest('malformed request URL')), t0);
      return;
    }
    upgrade(req, socket, head, url).then(
      (code) => accessLog(req, url.pathname, code, t0),
      (e) => {
        if (!(e instanceof KubeError)) log(`ERROR upgrade ${url.pathname}: ${(e as Error)?.stack ?? String(e)}`);
        accessLog(req, url.pathname, rejectUpgrade(socket, e), t0);
      },
    );
  }

  const server: Server = opts.tls
    ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert, ca: opts.tls.ca, requestCert: true, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, onRequest)
    : createHttpServer(onRequest);
  server.on('upgrade', onUpgrade);
  // NOTE: a second TLS server, never listening, for in-cluster connections (`acceptInCluster`).
  // BusyBox's built-in TLS client (what `wget` in busybox pods uses) signs the handshake
  // with RSA+SHA-1 only, which OpenSSL 3's default security level 1 refuses ("no suitable
  // signature algorithm"). Only connections that come through the node API proxies get
  // `@SECLEVEL=0` (still TLS 1.2 or newer; modern clients keep negotiating SHA-256 and AEAD);
  // the host listener keeps the defaults.
  const inCluster: Server | undefined = opts.tls
    ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert, ca: opts.tls.ca, requestCert: true, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], ciphers: 'DEFAULT:@SECLEVEL=0', minVersion: 'TLSv1.2' }, onRequest)
    : undefined;
  for (const srv of inCluster ? [server, inCluster] : [server]) {
    if (srv !== server) srv.on('upgrade', onUpgrade);
    // Long watches must not be cut by Node's request timeouts (they cover receiving the request
    // only, but keep them generous for slow uploads too).
    srv.requestTimeout = 0;
    srv.headersTimeout = 60_000;
    srv.keepAliveTimeout = 65_000;
    srv.on(opts.tls ? 'secureConnection' : 'connection', (s: Socket) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    srv.on('tlsClientError', () => {
      // handshake failures (wrong CA on the client, port scans): nothing to answer
    });
    srv.on('clientError', (_e, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  return {
    server,
    acceptInCluster(socket) {
      if (closing) {
        socket.destroy();
        return;
      }
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      (inCluster ?? server).emit('connection', socket);
    },
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const a = server.address() as AddressInfo;
          const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
          resolve(`${opts.tls ? 'https' : 'http'}://${h === '0.0.0.0' ? '127.0.0.1' : h}:${a.port}`);
        });
      });
    },
    async close() {
      if (closing) return;
      closing = true;
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      inCluster?.closeAllConnections();
      await done;
    },
  };
}
