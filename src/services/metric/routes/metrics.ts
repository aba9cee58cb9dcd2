import type { FastifyInstance } from 'fastify';
import { measuresQuery, type MetricInput } from '../logic/metrics.js';
import { callerOf } from '../policy.js';
import { measuresView, metricView } from '../views/index.js';
import { bool, limitOf, one, type MetricRouteDeps, type Q } from './deps.js';
import { invalidInput } from '../logic/errors.js';

type I = { Params: { id: string }; Querystring: Q };

export function metricRoutes(app: FastifyInstance, d: MetricRouteDeps): void {
  const metrics = d.logic.metrics;
  const res = d.logic.resources;

  app.get<{ Querystring: Q }>('/v1/metric', async (req, reply) => {
    const caller = callerOf(req.auth);
    const q = req.query;
    const filters: Record<string, string> = {};
    for (const k of ['name', 'unit', 'resource_id', 'archive_policy_name', 'creator', 'id']) {
      const v = one(q, k);
      if (v !== undefined) filters[k] = v;
    }
    let list = (await metrics.list(caller, filters)).map((x) => x.metric);
    const marker = one(q, 'marker');
    if (marker !== undefined) {
      const i = list.findIndex((m) => m.id === marker);
      if (i < 0) throw invalidInput(`Invalid marker: \`${marker}'`);
      list = list.slice(i + 1);
    }
    const limit = Math.min(limitOf(q) ?? 1000, 1000);
    if (list.length > limit) {
      list = list.slice(0, limit);
      const next = new URLSearchParams({ limit: String(limit), marker: list[list.length - 1]!.id });
      reply.header('link', `<${d.base()}/v1/metric?${next}>; rel="next"`);
    }
    const policies = new Map((await d.logic.policies.list()).map((p) => [p.name, p]));
    return list.map((m) => metricView(m, policies.get(m.archivePolicyName)));
  });
  app.post('/v1/metric', async (req, reply) => {
    const caller = callerOf(req.auth);
    const m = await metrics.create(caller, (req.body ?? {}) as MetricInput, (id) => res.find(caller, 'generic', id));
    reply.code(201).header('location', `${d.base()}/v1/metric/${m.id}`);
    return metricView(m, await metrics.policyOf(m));
  });
  app.get<I>('/v1/metric/:id', async (req) => {
    const { metric, resource } = await metrics.find(callerOf(req.auth), req.params.id);
    return metricView(metric, await metrics.policyOf(metric).catch(() => undefined), resource ?? null, true);
  });
  app.delete<I>('/v1/metric/:id', async (req, reply) => {
    await metrics.delete(callerOf(req.auth), req.params.id);
    return reply.code(204).send();
  });
  app.get<I>('/v1/metric/:id/measures', async (req) => {
    const { metric } = await metrics.find(callerOf(req.auth), req.params.id);
    return measuresView(await metrics.measures(metric, measuresQuery(req.query, d.logic.ctx.clock.now())));
  });
  app.post<I>('/v1/metric/:id/measures', async (req, reply) => {
    const caller = callerOf(req.auth);
    const points = metrics.parseMeasures(req.body);
    const { metric } = await metrics.find(caller, req.params.id);
    await metrics.addMeasures(caller, metric, points);
    return reply.code(202).send();
  });

  app.post('/v1/batch/metrics/measures', async (req, reply) => {
    await d.logic.batch.metricsMeasures(callerOf(req.auth), req.body);
    return reply.code(202).send();
  });
  app.post<{ Querystring: Q }>('/v1/batch/resources/metrics/measures', async (req, reply) => {
    await d.logic.batch.resourcesMeasures(callerOf(req.auth), req.body, bool(req.query, 'create_metrics'));
    return reply.code(202).send();
  });
}
