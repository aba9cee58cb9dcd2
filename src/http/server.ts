import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../core/log.js';
import type { GatewayContext, ServiceHealth, ServiceModule } from './service.js';
import type { TokenVerifier } from './auth.js';
import { registerSite, type SiteOptions } from './static.js';

export interface GatewayOptions {
  log: Logger;
  verifier: TokenVerifier;
  services: ServiceModule[];
  /** Default body limit for JSON APIs, in bytes; services may set their own per route. */
  bodyLimit?: number;
  /** Fixed public URL; otherwise derived from the bound address. */
  publicUrl?: string;
  /** Address of the identity endpoint for `WWW-Authenticate`, relative to the base URL. */
  identityPath?: string;
  /** The dashboard, served at `/` outside every API prefix. */
  site?: SiteOptions;
}

export interface Gateway {
  app: FastifyInstance;
  ctx: GatewayContext;
  listen(host: string, port: number): Promise<string>;
  setReady(ready: boolean): void;
  health(): { status: 'ok' | 'starting'; services: Record<string, ServiceHealth> };
  close(): Promise<void>;
}

/**
 * The single HTTP listener. It owns what is common to every API: request ids, the access log,
 * body limits, JSON parsing that never throws a 500, 401 challenges, and `/health`. Each service
 * is an encapsulated plugin under its own prefix with its own error shape.
 */
export async function createGateway(opts: GatewayOptions): Promise<Gateway> {
  let baseUrl = opts.publicUrl?.replace(/\/+$/, '') ?? '';
  let ready = false;
  const identityPath = opts.identityPath ?? '/identity';
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    genReqId: () => `req-${randomUUID()}`,
    requestIdHeader: false,
    // NOTE: clients (tempest, the SDK) pool connections and reuse them after idle gaps; Node's
    // 5 s default makes them fail with RemoteDisconnected (reference/openstack-api.md §14).
    keepAliveTimeout: 120_000,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    return503OnClosing: true,
    // Malformed URLs (bad percent-encoding, an over-long path segment) are refused before
    // routing; without this they got Fastify's own body shape and no request id.
    frameworkErrors: (err, req, reply) => {
      reply.header('x-openstack-request-id', req.id);
      const owner = opts.services.find((s) => req.url === s.prefix || req.url.startsWith(`${s.prefix}/`) || req.url.startsWith(`${s.prefix}?`));
      if (owner?.frameworkError) return owner.frameworkError(err, req, reply as FastifyReply);
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
      const title = status === 414 ? 'Request-URI Too Long' : 'Bad Request';
      (reply as FastifyReply).code(status).header('x-openstack-request-id', req.id).send({ error: { code: status, title, message: err.message } });
    },
  });

  // Lenient JSON: an empty body is "no body"; a malformed one is a 400 rendered by the service.
  app.removeContentTypeParser(['application/json']);
  // NOTE: Fastify tests a RegExp against the whole header, parameters included, so the optional
  // `; charset=utf-8` must be allowed here or such requests got 415.
  app.addContentTypeParser(/^application\/([\w.+-]*\+)?json\s*(;.*)?$/i, { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      // Deeply nested JSON parses, but then overflows the stack wherever it is walked
      // (JSON.stringify for an error message or a store write): that was a 500.
      if (nestedDeeperThan(text, MAX_JSON_DEPTH)) throw new SyntaxError('nested too deep');
      done(null, JSON.parse(text));
    } catch {
      const err = new SyntaxError('Malformed request body: the body is not valid JSON.') as SyntaxError & {
        statusCode: number;
        code: string;
      };
      err.statusCode = 400;
      err.code = 'MalformedJSON';
      done(err, undefined);
    }
  });

  app.decorateRequest('auth', null);
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-openstack-request-id', req.id);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode === 401 && !reply.hasHeader('www-authenticate')) {
      reply.header('www-authenticate', `Keystone uri="${baseUrl}${identityPath}"`);
    }
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    const len = reply.getHeader('content-length') ?? '-';
    opts.log.info(
      `${req.ip} "${req.method} ${req.url}" ${reply.statusCode} ${len} ${reply.elapsedTime.toFixed(1)}ms ${req.id}`,
    );
  });

  const ctx: GatewayContext = { verifier: opts.verifier, baseUrl: () => baseUrl };
  const health = () => {
    const services: Record<string, ServiceHealth> = {};
    for (const s of opts.services) services[s.name] = s.health();
    return { status: ready ? ('ok' as const) : ('starting' as const), services };
  };
  app.get('/health', async (_req, reply) => {
    reply.code(ready ? 200 : 503);
    return health();
  });
  for (const s of opts.services) {
    await app.register(async (scope) => s.plugin(scope, ctx), { prefix: s.prefix });
  }
  if (opts.site) registerSite(app, opts.site);
  // Anything outside every service prefix.
  app.setNotFoundHandler(async (req, reply) => {
    reply.code(404).send({ error: { code: 404, title: 'Not Found', message: `No API serves ${req.url}.` } });
  });
  app.setErrorHandler(async (err: { statusCode?: number; message?: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) opts.log.error(`${req.id} unhandled: ${(err as Error).stack ?? String(err)}`);
    reply.code(status).send({ error: { code: status, title: 'Error', message: status === 500 ? 'Internal error.' : err.message } });
  });

  return {
    app,
    ctx,
    health,
    setReady: (r) => {
      ready = r;
    },
    async listen(host, port) {
      await app.listen({ host, port });
      const addr = app.server.address();
      if (!opts.publicUrl && addr && typeof addr === 'object') {
        const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
        baseUrl = `http://${h}:${addr.port}`;
      }
      return baseUrl;
    },
    async close() {
      // In-flight requests get a grace period; then stuck connections (a stalled upload, a
      // client that never reads) are cut so a stop never hangs.
      const grace = setTimeout(() => app.server.closeAllConnections(), 5_000);
      try {
        await app.close();
      } finally {
        clearTimeout(grace);
      }
    },
  };
}

const MAX_JSON_DEPTH = 100;

/** Whether JSON text nests arrays and objects more than `max` levels deep (strings skipped). */
function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92) i++; // backslash: skip the escaped character
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 91 || ch === 123) {
      if (++depth > max) return true;
    } else if (ch === 93 || ch === 125) depth--;
  }
  return false;
}
