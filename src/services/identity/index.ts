import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TITLE_OF, toStratusError, StratusError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { authHook } from '../../http/auth.js';
import type { GatewayContext, ServiceModule } from '../../http/service.js';
import type { Identity } from './logic/index.js';
import { authRoutes } from './routes/auth.js';
import { domainRoutes } from './routes/domains.js';
import { projectRoutes } from './routes/projects.js';
import { userRoutes } from './routes/users.js';
import { groupRoutes } from './routes/groups.js';
import { roleRoutes } from './routes/roles.js';
import { assignmentRoutes } from './routes/assignments.js';
import { catalogRoutes } from './routes/catalog.js';
import { credentialRoutes } from './routes/credentials.js';
import { domainConfigRoutes } from './routes/domain-config.js';
import { endpointFilterRoutes } from './routes/endpoint-filter.js';
import { policyRoutes } from './routes/policies.js';
import { oauthConsumerRoutes } from './routes/oauth1.js';
import { oauthFlowRoutes } from './routes/oauth1-flow.js';
import type { Link } from './views/resources.js';

/** Keystone's own request limit (max_request_body_size). */
const BODY_LIMIT = 114_688;

export interface IdentityRouteDeps {
  identity: Identity;
  link: Link;
  v3: () => string;
}

export function versionDoc(base: string) {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${base}/identity/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

/** Renders any error as Keystone does: `{"error": {"code", "message", "title"}}`. */
export function keystoneErrorHandler(log: Logger) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const e = toStratusError(err);
    if (!e) {
      log.error(`${req.id} ${req.method} ${req.url} failed: ${(err as Error)?.stack ?? String(err)}`);
      return reply.code(500).send({ error: { code: 500, title: TITLE_OF.Internal, message: 'An unexpected error prevented the server from fulfilling your request.' } });
    }
    return reply.code(e.status).send({ error: { code: e.status, title: TITLE_OF[e.kind], message: e.message } });
  };
}

export function identityService(identity: Identity, log: Logger): ServiceModule {
  return {
    name: 'identity',
    prefix: '/identity',
    catalog: [{ type: 'identity', name: 'keystone', path: '/identity' }],
    health: () => ({ status: 'up' }),
    async plugin(app: FastifyInstance, ctx: GatewayContext) {
      app.setErrorHandler(keystoneErrorHandler(log));
      app.setNotFoundHandler((req, reply) =>
        keystoneErrorHandler(log)(new StratusError('NotFound', `The resource could not be found: ${req.method} ${req.url}.`), req, reply),
      );
      app.addHook('onRequest', authHook(ctx.verifier));
      app.addHook('onRoute', (route) => {
        route.bodyLimit ??= BODY_LIMIT;
      });

      app.get('/', { config: { public: true } }, async (_req, reply) => {
        reply.code(300);
        return { versions: { values: [versionDoc(ctx.baseUrl())] } };
      });
      app.get('/v3', { config: { public: true } }, async () => ({ version: versionDoc(ctx.baseUrl()) }));

      const deps: IdentityRouteDeps = {
        identity,
        link: (path) => `${ctx.baseUrl()}/identity/v3${path}`,
        v3: () => `${ctx.baseUrl()}/identity/v3`,
      };
      await app.register(
        async (v3) => {
          for (const routes of [authRoutes, domainRoutes, projectRoutes, userRoutes, groupRoutes, roleRoutes, assignmentRoutes, catalogRoutes, credentialRoutes,
            domainConfigRoutes, endpointFilterRoutes, policyRoutes, oauthConsumerRoutes, oauthFlowRoutes]) {
            routes(v3, deps);
          }
        },
        { prefix: '/v3' },
      );
    },
  };
}

export { BODY_LIMIT as IDENTITY_BODY_LIMIT };
