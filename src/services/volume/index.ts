import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, StratusError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { authHook } from '../../http/auth.js';
import type { GatewayContext, ServiceModule } from '../../http/service.js';
import { cinderErrorHandler, notFoundHandler } from './errors.js';
import type { BlockStorage } from './logic/index.js';
import { echoVersion, versionDoc, versionHook } from './microversion.js';
import { volumeActionRoutes } from './routes/actions.js';
import { adminRoutes } from './routes/admin.js';
import type { VolumeRouteDeps } from './routes/deps.js';
import { miscRoutes } from './routes/misc.js';
import { snapshotRoutes } from './routes/snapshots.js';
import { encryptionRoutes } from './routes/encryption.js';
import { qosRoutes } from './routes/qos.js';
import { serviceRoutes } from './routes/services.js';
import { transferRoutes } from './routes/transfers.js';
import { typeRoutes } from './routes/types.js';
import { volumeRoutes } from './routes/volumes.js';

/** Cinder's osapi_max_request_body_size. */
const BODY_LIMIT = 114_688;

const CATALOG_PATH = '/volume/v3/$(project_id)s';

/** Every v3 route group; registered twice, with and without the project id in the path. */
const ROUTES = [volumeRoutes, volumeActionRoutes, snapshotRoutes, typeRoutes, miscRoutes, adminRoutes, transferRoutes, serviceRoutes, qosRoutes, encryptionRoutes];

/** The URL's project must be the token's (Cinder: "Malformed request url"). */
async function sameProject(req: FastifyRequest): Promise<void> {
  const { project_id: projectId } = req.params as { project_id?: string };
  if (projectId !== undefined && req.auth?.projectId !== undefined && projectId !== req.auth.projectId) {
    throw badRequest("Malformed request url: the URL's project_id does not match the token's project.");
  }
}

/**
 * A collection URL with a trailing slash names an empty id (`GET /volumes/`): 404 as in Cinder,
 * although the gateway's router otherwise ignores trailing slashes.
 */
async function noEmptyId(req: FastifyRequest): Promise<void> {
  const path = req.url.split('?')[0]!;
  if (path.endsWith('/')) throw new StratusError('NotFound', 'The resource could not be found.');
}

/**
 * Block storage (Cinder v3) at /volume/v3/<project_id> and /volume/v3. The plugin starts the
 * reconciler of `bs` (resuming what a previous run left unfinished) and stops it when the
 * gateway closes.
 */
export function volumeService(bs: BlockStorage, log: Logger): ServiceModule {
  return {
    name: 'volume',
    prefix: '/volume',
    catalog: [
      { type: 'volumev3', name: 'cinderv3', path: CATALOG_PATH },
      { type: 'block-storage', name: 'cinder', path: CATALOG_PATH },
    ],
    health: () => ({ status: 'up', detail: `block driver ${bs.ctx.driver.name}` }),
    async plugin(app: FastifyInstance, ctx: GatewayContext) {
      app.setErrorHandler(cinderErrorHandler(log));
      app.setNotFoundHandler(notFoundHandler(log));
      app.addHook('onRequest', authHook(ctx.verifier));
      app.addHook('onRoute', (route) => {
        route.bodyLimit ??= BODY_LIMIT;
      });

      app.get('/', { config: { public: true } }, async (_req, reply) => {
        reply.code(300);
        return { versions: [versionDoc(ctx.baseUrl())] };
      });
      app.get('/v3', { config: { public: true } }, async () => ({ versions: [versionDoc(ctx.baseUrl())] }));

      const deps: VolumeRouteDeps = { bs, base: () => ctx.baseUrl() };
      for (const prefix of ['/v3', '/v3/:project_id']) {
        await app.register(
          async (v3) => {
            v3.addHook('onRequest', noEmptyId);
            v3.addHook('onRequest', versionHook);
            v3.addHook('onRequest', sameProject);
            v3.addHook('onSend', echoVersion);
            for (const routes of ROUTES) routes(v3, deps);
          },
          { prefix },
        );
      }

      await bs.start();
      app.addHook('onClose', async () => {
        await bs.stop();
      });
    },
  };
}
