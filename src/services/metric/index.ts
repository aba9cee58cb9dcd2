import type { FastifyInstance } from 'fastify';
import { authHook } from '../../http/auth.js';
import type { GatewayContext, ServiceModule } from '../../http/service.js';
import { gnocchiErrorHandler, notFoundHandler } from './errors.js';
import { MetricLogic, type MetricDeps } from './logic/index.js';
import { Collector, type CollectorSources } from './logic/collector.js';
import type { MetricRouteDeps } from './routes/deps.js';
import { metricRoutes } from './routes/metrics.js';
import { miscRoutes } from './routes/misc.js';
import { policyRoutes } from './routes/policies.js';
import { resourceTypeRoutes } from './routes/resource-types.js';
import { resourceRoutes } from './routes/resources.js';

export { metricSource, type MetricSource } from './logic/index.js';

/** Measures bodies can be large (batches); Gnocchi has no small limit either. */
const BODY_LIMIT = 16 * 1024 * 1024;

export interface MetricServiceDeps extends MetricDeps {
  /** Where the collector reads usage; without it nothing is collected. */
  sources?: CollectorSources;
  /** Collection period, ms (STRATUS_TELEMETRY_MS, default 10 s; 0 disables). */
  intervalMs?: number;
}

export interface MetricServiceModule extends ServiceModule {
  logic: MetricLogic;
  collector: Collector | undefined;
}

/**
 * Telemetry storage (Gnocchi v1) at /metric: archive policies, resource types, resources,
 * metrics and measures, search and aggregates. The plugin starts the usage collector and
 * stops it (and flushes pending writes) when the gateway closes.
 */
export function metricService(deps: MetricServiceDeps): MetricServiceModule {
  const logic = new MetricLogic(deps);
  const collector = deps.sources ? new Collector(logic, deps.sources, { intervalMs: deps.intervalMs ?? 10_000, log: deps.log }) : undefined;
  let ready = false;
  return {
    name: 'metric',
    prefix: '/metric',
    catalog: [{ type: 'metric', name: 'gnocchi', path: '/metric' }],
    logic,
    collector,
    health: () => (ready ? { status: 'up', detail: collector ? `collector every ${collector.intervalMs} ms, last cycle ${collector.lastCycleMs.toFixed(1)} ms` : 'no collector' } : { status: 'down', detail: 'starting' }),
    async plugin(app: FastifyInstance, ctx: GatewayContext) {
      const log = deps.log;
      app.setErrorHandler(gnocchiErrorHandler(log));
      app.setNotFoundHandler(notFoundHandler(log));
      app.addHook('onRequest', authHook(ctx.verifier));
      app.addHook('onRoute', (route) => {
        route.bodyLimit ??= BODY_LIMIT;
      });
      await logic.init();
      const routeDeps: MetricRouteDeps = { logic, base: () => `${ctx.baseUrl()}/metric` };
      for (const routes of [miscRoutes, policyRoutes, resourceTypeRoutes, resourceRoutes, metricRoutes]) routes(app, routeDeps);
      collector?.start();
      ready = true;
      app.addHook('onClose', async () => {
        ready = false;
        await collector?.stop();
        await logic.close();
      });
    },
  };
}
