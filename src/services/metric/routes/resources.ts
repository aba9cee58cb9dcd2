import type { FastifyInstance } from 'fastify';
import { searchFilter } from '../logic/aggregates.js';
import { invalidInput } from '../logic/errors.js';
import { measuresQuery } from '../logic/metrics.js';
import { callerOf } from '../policy.js';
import { measuresView, metricView, resourceView } from '../views/index.js';
import { bool, limitOf, many, one, type MetricRouteDeps, type Q } from './deps.js';

type T = { Params: { type: string }; Querystring: Q };
type TI = { Params: { type: string; id: string }; Querystring: Q };
type TIN = { Params: { type: string; id: string; name: string }; Querystring: Q };

export function resourceRoutes(app: FastifyInstance, d: MetricRouteDeps): void {
  const res = d.logic.resources;
  const metrics = d.logic.metrics;
  const location = (type: string, id: string) => `${d.base()}/v1/resource/${encodeURIComponent(type)}/${id}`;

  /** Lists and searches render the same way: generic lists show attributes only with details. */
  async function listing(type: string, q: Q, filter: unknown, caller: ReturnType<typeof callerOf>) {
    const rows = await res.searchRows(caller, type, {
      filter,
      ...(limitOf(q) !== undefined ? { limit: limitOf(q)! } : {}),
      ...(one(q, 'marker') !== undefined ? { marker: one(q, 'marker')! } : {}),
      sort: many(q, 'sort'),
      history: bool(q, 'history'),
    });
    const byRes = await res.metricsByResource();
    const details = type !== 'generic' || bool(q, 'details');
    return rows.map((x) => resourceView(x.resource, x.revisionEnd, byRes.get(x.resource.id) ?? [], details));
  }

  app.get<T>('/v1/resource/:type', async (req) => listing(req.params.type, req.query, undefined, callerOf(req.auth)));
  app.post<T>('/v1/search/resource/:type', async (req) => {
    const caller = callerOf(req.auth);
    const qf = one(req.query, 'filter');
    const filter = qf !== undefined ? searchFilter(qf) : req.body === undefined || (typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body) && Object.keys(req.body).length === 0) ? undefined : req.body;
    return listing(req.params.type, req.query, filter, caller);
  });
  app.delete<T>('/v1/resource/:type', async (req) => {
    const caller = callerOf(req.auth);
    const qf = one(req.query, 'filter');
    const filter = qf !== undefined ? searchFilter(qf) : req.body;
    if (filter === undefined) throw invalidInput('a filter (body or ?filter=) is required to delete resources in batch');
    return { deleted: await res.deleteMatching(caller, req.params.type, filter) };
  });

  app.post<T>('/v1/resource/:type', async (req, reply) => {
    const caller = callerOf(req.auth);
    const r = await res.create(caller, req.params.type, req.body);
    reply.code(201).header('location', location(req.params.type, r.id));
    return resourceView(r, null, await res.metricsOf(r.id));
  });
  app.get<TI>('/v1/resource/:type/:id', async (req) => {
    const r = await res.find(callerOf(req.auth), req.params.type, req.params.id);
    return resourceView(r, null, await res.metricsOf(r.id));
  });
  app.patch<TI>('/v1/resource/:type/:id', async (req) => {
    const r = await res.update(callerOf(req.auth), req.params.type, req.params.id, req.body);
    return resourceView(r, null, await res.metricsOf(r.id));
  });
  app.delete<TI>('/v1/resource/:type/:id', async (req, reply) => {
    await res.delete(callerOf(req.auth), req.params.type, req.params.id);
    return reply.code(204).send();
  });
  app.get<TI>('/v1/resource/:type/:id/history', async (req) => {
    const revs = await res.history(callerOf(req.auth), req.params.type, req.params.id);
    const ms = await res.metricsOf(revs[revs.length - 1]!.resource.id);
    return revs.map((x) => resourceView(x.resource, x.revisionEnd, ms));
  });

  app.get<TI>('/v1/resource/:type/:id/metric', async (req) => {
    const r = await res.find(callerOf(req.auth), req.params.type, req.params.id);
    const list = await res.metricsOf(r.id);
    return Promise.all(list.map(async (m) => metricView(m, await metrics.policyOf(m).catch(() => undefined))));
  });
  app.post<TI>('/v1/resource/:type/:id/metric', async (req) => {
    const list = await res.addMetrics(callerOf(req.auth), req.params.type, req.params.id, req.body);
    return Promise.all(list.map(async (m) => metricView(m, await metrics.policyOf(m).catch(() => undefined))));
  });
  app.get<TIN>('/v1/resource/:type/:id/metric/:name', async (req) => {
    const { metric, resource } = await res.metricOf(callerOf(req.auth), req.params.type, req.params.id, req.params.name);
    return metricView(metric, await metrics.policyOf(metric).catch(() => undefined), resource, true);
  });
  app.delete<TIN>('/v1/resource/:type/:id/metric/:name', async (req, reply) => {
    const caller = callerOf(req.auth);
    const { metric } = await res.metricOf(caller, req.params.type, req.params.id, req.params.name);
    await metrics.delete(caller, metric.id);
    return reply.code(204).send();
  });
  app.get<TIN>('/v1/resource/:type/:id/metric/:name/measures', async (req) => {
    const { metric } = await res.metricOf(callerOf(req.auth), req.params.type, req.params.id, req.params.name);
    return measuresView(await metrics.measures(metric, measuresQuery(req.query, d.logic.ctx.clock.now())));
  });
  app.post<TIN>('/v1/resource/:type/:id/metric/:name/measures', async (req, reply) => {
    const caller = callerOf(req.auth);
    const points = metrics.parseMeasures(req.body);
    const { metric } = await res.metricOf(caller, req.params.type, req.params.id, req.params.name);
    await metrics.addMeasures(caller, metric, points);
    return reply.code(202).send();
  });
}
