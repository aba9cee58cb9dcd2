import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StratusError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { authHook } from '../../http/auth.js';
import { methodNotAllowedRoutes, type AllowedMethods } from '../../http/methods.js';
import type { GatewayContext, ServiceModule } from '../../http/service.js';
import { aodhErrorHandler, aodhNotFound } from './errors.js';
import { AlarmingLogic, type AlarmingLogicDeps } from './logic/index.js';
import { alarmRoutes } from './routes/alarms.js';
import { miscRoutes } from './routes/misc.js';

export type { MetricSource } from './logic/ports.js';

const BODY_LIMIT = 1024 * 1024;

/** Paths and the methods they serve; any other method is a 405, as pecan answers. */
const ALLOWED: AllowedMethods = [
  ['/alarms', ['GET', 'POST']],
  ['/alarms/:id', ['GET', 'PUT', 'DELETE']],
  ['/alarms/:id/state', ['GET', 'PUT']],
  ['/alarms/:id/history', ['GET']],
  ['/query/alarms', ['POST']],
  ['/query/alarms/history', ['POST']],
  ['/capabilities', ['GET']],
  ['/quotas', ['GET', 'POST', 'DELETE']],
];

/** Aodh's version document at `/alarming/`. */
function versionsDoc(base: string) {
  return {
    versions: {
      values: [
        {
          id: 'v2',
          links: [
            { href: `${base}/alarming/v2`, rel: 'self' },
            { href: 'https://docs.openstack.org/', rel: 'describedby', type: 'text/html' },
          ],
          'media-types': [
            { base: 'application/json', type: 'application/vnd.openstack.telemetry-v2+json' },
            { base: 'application/xml', type: 'application/vnd.openstack.telemetry-v2+xml' },
          ],
          status: 'stable',
          updated: '2013-02-13T00:00:00Z',
        },
      ],
    },
  };
}

export interface AlarmingServiceDeps extends AlarmingLogicDeps {
  /** Evaluation period (ms); `STRATUS_ALARM_EVAL_MS` in main.ts, default 10 s. 0: no evaluator. */
  evalIntervalMs: number;
}

export interface AlarmingServiceModule extends ServiceModule {
  logic: AlarmingLogic;
}

/**
 * Aodh v2 at `/alarming`: alarm definitions, state and history, complex queries, the evaluator
 * (started with the plugin, stopped when the gateway closes) and its notifiers.
 */
export function alarmingService(deps: AlarmingServiceDeps): AlarmingServiceModule {
  const logic = new AlarmingLogic(deps);
  const log: Logger = deps.log;
  return {
    name: 'alarming',
    prefix: '/alarming',
    catalog: [{ type: 'alarming', name: 'aodh', path: '/alarming' }],
    logic,
    health: () => ({ status: 'up', detail: deps.evalIntervalMs > 0 ? `evaluating every ${deps.evalIntervalMs} ms` : 'evaluator off' }),
    frameworkError(err: Error & { statusCode?: number }, req: FastifyRequest, reply: FastifyReply) {
      aodhErrorHandler(log)(new StratusError('BadRequest', `Malformed request: ${err.message}`), req, reply);
    },
    async plugin(app: FastifyInstance, ctx: GatewayContext) {
      app.setErrorHandler(aodhErrorHandler(log));
      app.setNotFoundHandler(aodhNotFound(log));
      app.addHook('onRequest', authHook(ctx.verifier));
      app.addHook('onRoute', (route) => {
        route.bodyLimit ??= BODY_LIMIT;
      });
      app.get('/', { config: { public: true } }, async () => versionsDoc(ctx.baseUrl()));
      const root = () => `${ctx.baseUrl()}/alarming`;
      await app.register(
        async (v2) => {
          alarmRoutes(v2, logic, root);
          miscRoutes(v2, logic);
          methodNotAllowedRoutes(v2, ALLOWED, (methods) => `The method is not allowed for this resource; use ${methods.join(' or ')}.`);
        },
        { prefix: '/v2' },
      );
      if (deps.evalIntervalMs > 0) logic.start(deps.evalIntervalMs);
      app.addHook('onClose', async () => {
        await logic.stop();
      });
    },
  };
}
