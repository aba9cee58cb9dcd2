import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StratusError } from '../../core/errors.js';
import { authHook } from '../../http/auth.js';
import { methodNotAllowedRoutes } from '../../http/methods.js';
import type { GatewayContext, ServiceHealth, ServiceModule } from '../../http/service.js';
import { glanceErrorHandler, glanceNotFound } from './errors.js';
import { ImageLogic, type ImageDeps } from './logic/index.js';
import { dataRoutes } from './routes/data.js';
import type { ImageRouteDeps } from './routes/deps.js';
import { imageRoutes } from './routes/images.js';
import { memberRoutes } from './routes/members.js';
import { metaRoutes } from './routes/meta.js';
import { PATCH_MEDIA_TYPES } from './schemas/patch.js';

/** Body limit for JSON and json-patch bodies (image data is streamed and has none). */
const JSON_BODY_LIMIT = 1024 * 1024;

/** The v2 minor versions listed at /image: those whose behaviour Stratus implements. */
const VERSIONS: [string, string][] = [
  ['2.9', 'CURRENT'],
  ...['2.7', '2.6', '2.5', '2.4', '2.3', '2.2', '2.1', '2.0'].map((v): [string, string] => [v, 'SUPPORTED']),
];

export function versionsDoc(base: string) {
  return { versions: VERSIONS.map(([v, status]) => ({ id: `v${v}`, status, links: [{ rel: 'self', href: `${base}/image/v2/` }] })) };
}

/** Paths and the methods they serve; any other method is a 405, as in Glance. */
const ALLOWED: [string, string[]][] = [
  ['/images', ['GET', 'POST']],
  ['/images/:id', ['GET', 'PATCH', 'DELETE']],
  ['/images/:id/file', ['GET', 'PUT']],
  ['/images/:id/stage', ['PUT']],
  ['/images/:id/import', ['POST']],
  ['/images/:id/actions/deactivate', ['POST']],
  ['/images/:id/actions/reactivate', ['POST']],
  ['/images/:id/tags/:tag', ['PUT', 'DELETE']],
  ['/images/:id/members', ['GET', 'POST']],
  ['/images/:id/members/:member', ['GET', 'PUT', 'DELETE']],
];

/**
 * Body parsing for the image API: the two json-patch media types parse as JSON, and every
 * other non-JSON body is left unread for the streaming data routes (`config.rawBody`) and
 * refused (415) elsewhere.
 */
function bodyParsers(app: FastifyInstance): void {
  app.addContentTypeParser(Object.keys(PATCH_MEDIA_TYPES), { parseAs: 'string', bodyLimit: JSON_BODY_LIMIT }, (_req, text, done) => {
    const s = typeof text === 'string' ? text : text.toString('utf8');
    if (s.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(s));
    } catch {
      done(new StratusError('BadRequest', 'Malformed request body: the body is not valid JSON.'), undefined);
    }
  });
  app.addContentTypeParser('*', (req: FastifyRequest, payload, done) => {
    if (req.routeOptions.config?.rawBody) return done(null, payload);
    const type = (req.headers['content-type'] ?? '').slice(0, 60);
    done(new StratusError('UnsupportedMediaType', `Content-Type '${type}' is not supported here; send application/json.`), undefined);
  });
}

export type ImageServiceDeps = ImageDeps;

export interface ImageServiceModule extends ServiceModule {
  /** The image logic, for other services (compute boots from images). */
  logic: ImageLogic;
}

/** Glance v2 at `/image`. Reconciles image records with their blobs before it serves. */
export function imageService(deps: ImageServiceDeps): ImageServiceModule {
  const logic = new ImageLogic(deps);
  let health: ServiceHealth = { status: 'down', detail: 'starting' };
  return {
    name: 'image',
    prefix: '/image',
    catalog: [{ type: 'image', name: 'glance', path: '/image' }],
    logic,
    health: () => health,
    async plugin(app: FastifyInstance, ctx: GatewayContext) {
      const report = await logic.recover();
      if (report.orphans || report.reset || report.imported)
        deps.log.info(`recovered: ${report.orphans} orphan blobs removed, ${report.reset} interrupted uploads reset, ${report.imported} imports completed`);
      app.setErrorHandler(glanceErrorHandler(deps.log));
      app.setNotFoundHandler(glanceNotFound(deps.log));
      app.addHook('onRequest', authHook(ctx.verifier));
      app.addHook('onRoute', (route) => {
        route.bodyLimit ??= JSON_BODY_LIMIT;
      });
      bodyParsers(app);

      const versions = async (req: FastifyRequest, reply: FastifyReply) => {
        reply.code(req.url.replace(/\?.*$/, '').endsWith('/versions') ? 200 : 300);
        return versionsDoc(ctx.baseUrl());
      };
      for (const url of ['/', '/versions', '/v2']) app.get(url, { config: { public: true } }, versions);

      const routeDeps: ImageRouteDeps = { logic, log: deps.log, root: () => `${ctx.baseUrl()}/image` };
      await app.register(
        async (v2) => {
          // `images/` with an empty id is a 404 in Glance (tempest checks), not the list.
          v2.addHook('onRequest', async (req) => {
            if (/\/images\/(\?|$)/.test(req.url)) throw new StratusError('NotFound', 'The resource could not be found.');
          });
          for (const routes of [imageRoutes, dataRoutes, memberRoutes, metaRoutes]) routes(v2, routeDeps);
          methodNotAllowedRoutes(v2, ALLOWED, () => 'The method specified is not allowed for this resource.', { rawBody: true });
        },
        { prefix: '/v2' },
      );
      health = { status: 'up' };
    },
  };
}
