import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toStratusError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { authHook } from '../../http/auth.js';
import type { GatewayContext, ServiceModule } from '../../http/service.js';
import type { RouteDeps } from './api/reply.js';
import { E } from './errors.js';
import type { Networking } from './logic/index.js';
import { agentRoutes } from './routes/agents.js';
import { discoveryRoutes } from './routes/discovery.js';
import { floatingIpRoutes } from './routes/floatingips.js';
import { meteringRoutes } from './routes/metering.js';
import { networkRoutes } from './routes/networks.js';
import { portRoutes } from './routes/ports.js';
import { quotaRoutes } from './routes/quotas.js';
import { routerRoutes } from './routes/routers.js';
import { securityGroupRoutes } from './routes/security-groups.js';
import { subnetpoolRoutes } from './routes/subnetpools.js';
import { subnetRoutes } from './routes/subnets.js';
import { tagRoutes } from './routes/tags.js';

/** Neutron's default max_request_body_size (api-paste request size limit). */
const BODY_LIMIT = 114_688;

/** Renders every error as Neutron does: `{"NeutronError": {"type", "message", "detail"}}`. */
export function neutronErrorHandler(log: Logger) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const e = toStratusError(err);
    if (!e) {
      log.error(`${req.id} ${req.method} ${req.url} failed: ${(err as Error)?.stack ?? String(err)}`);
      return reply.code(500).send({ NeutronError: { type: 'HTTPInternalServerError', message: 'Request Failed: internal server error while processing your request.', detail: '' } });
    }
    // Neutron's own types pass through; framework and gateway errors become webob's HTTP* names.
    const generic = e.code.startsWith('FST_') || e.code === 'MalformedJSON' || (e.code === e.kind && e.kind !== 'BadRequest');
    const type = generic ? `HTTP${e.kind}` : e.code;
    return reply.code(e.status).send({ NeutronError: { type, message: e.message, detail: '' } });
  };
}

/** The Neutron v2.0 API at /networking (catalog type `network`, name `neutron`). */
export function networkService(net: Networking, log: Logger): ServiceModule {
  return {
    name: 'network',
    prefix: '/networking',
    catalog: [{ type: 'network', name: 'neutron', path: '/networking' }],
    health: () => net.health(),
    async plugin(app: FastifyInstance, ctx: GatewayContext) {
      const onError = neutronErrorHandler(log);
      app.setErrorHandler(onError);
      app.setNotFoundHandler((req, reply) => onError(E.notFoundPath(), req, reply));
      app.addHook('onRequest', authHook(ctx.verifier));
      app.addHook('onRoute', (route) => {
        route.bodyLimit ??= BODY_LIMIT;
      });

      const version = () => ({ id: 'v2.0', status: 'CURRENT', links: [{ href: `${ctx.baseUrl()}/networking/v2.0/`, rel: 'self' }] });
      app.get('/', { config: { public: true } }, async () => ({ versions: [version()] }));

      const deps: RouteDeps = { net, root: () => `${ctx.baseUrl()}/networking/v2.0` };
      await app.register(
        async (v2) => {
          for (const routes of [
            discoveryRoutes,
            networkRoutes,
            subnetRoutes,
            subnetpoolRoutes,
            portRoutes,
            routerRoutes,
            floatingIpRoutes,
            securityGroupRoutes,
            quotaRoutes,
            agentRoutes,
            meteringRoutes,
            tagRoutes,
          ])
            routes(v2, deps);
        },
        { prefix: '/v2.0' },
      );
    },
  };
}
