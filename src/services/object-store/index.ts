import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../../core/log.js';
import type { GatewayContext, ServiceModule } from '../../http/service.js';
import type { ObjectStorage } from './logic/index.js';
import { dispatcher } from './routes/dispatch.js';
import { extraRoutes } from './routes/extras.js';
import { sendError, swiftErrorHandler } from './views/errors.js';
import { transId } from './views/wire.js';

export const SWIFT_PREFIX = '/swift';

/**
 * Swift v1 at `/swift/v1/AUTH_<project>` (catalog type object-store), plus `/swift/info`,
 * `/swift/healthcheck` and `/swift/crossdomain.xml`.
 * Object bodies stream straight into the object store: this scope replaces every body parser
 * with one that hands the raw request stream to the handler, unbuffered.
 */
export function swiftService(storage: ObjectStorage, log: Logger): ServiceModule {
  return {
    name: 'object-store',
    prefix: SWIFT_PREFIX,
    catalog: [{ type: 'object-store', name: 'swift', path: `${SWIFT_PREFIX}/v1/AUTH_$(project_id)s` }],
    health: () => ({ status: 'up' }),
    async plugin(app: FastifyInstance, ctx: GatewayContext) {
      // Orphan recovery may outlast Fastify's plugin timeout on a big store: let it finish while
      // serving (it leaves blobs written meanwhile alone).
      storage.init().catch((e: unknown) => log.error(`object store recovery failed: ${(e as Error)?.stack ?? String(e)}`));
      app.addHook('onClose', async () => storage.close());
      // NOTE: Fastify knows no COPY by default; adding a method is server-wide but harmless.
      if (!app.supportedMethods.includes('COPY')) app.addHttpMethod('COPY', { hasBody: true });

      app.removeAllContentTypeParsers();
      app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
      app.setErrorHandler(swiftErrorHandler(log));
      app.setNotFoundHandler((req, reply) => sendError(req, reply, 404));

      // NOTE: Swift stores any Content-Type string verbatim, while Fastify answers 415 to a value
      // its media-type parser rejects. Take the header off before Fastify looks at it.
      const contentTypes = new WeakMap<IncomingMessage, string>();
      app.addHook('onRequest', async (req, reply) => {
        const ct = req.headers['content-type'];
        if (ct !== undefined) {
          contentTypes.set(req.raw, ct);
          delete req.headers['content-type'];
        }
        const id = transId(randomBytes(11).toString('hex'), Date.now());
        reply.header('X-Trans-Id', id).header('X-Openstack-Request-Id', id);
      });
      const contentTypeOf = (req: FastifyRequest) => contentTypes.get(req.raw);

      extraRoutes(app, storage);
      const deps = { storage, verifier: ctx.verifier, log, prefix: SWIFT_PREFIX };
      const handler = dispatcher(deps, contentTypeOf);
      for (const url of ['/v1', '/v1/*', '/v1.0', '/v1.0/*']) app.route({ method: app.supportedMethods, url, handler });
    },
  };
}
