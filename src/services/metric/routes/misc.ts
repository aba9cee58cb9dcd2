import type { FastifyInstance } from 'fastify';
import { BASIC_METHODS } from '../logic/aggregation.js';
import type { AggregatesQuery } from '../logic/aggregates.js';
import { invalidInput } from '../logic/errors.js';
import { timespanMs, timestampMs } from '../logic/timespec.js';
import { callerOf } from '../policy.js';
import { metricListView, resourceView, seriesTree } from '../views/index.js';
import { bool, many, one, type MetricRouteDeps, type Q } from './deps.js';

const OPERATIONS = ['*', '**', '+', '-', '/', 'abs', 'absolute', 'aggregate', 'ceil', 'clip', 'cos', 'floor', 'metric', 'neg', 'negative', 'rateofchange', 'resample', 'rolling', 'round', 'sin', 'tan'];

export function miscRoutes(app: FastifyInstance, d: MetricRouteDeps): void {
  const version = () => ({ id: 'v1.0', status: 'CURRENT', updated: '2015-03-19', links: [{ rel: 'self', href: `${d.base()}/v1/` }] });
  app.get('/', { config: { public: true } }, async () => ({ versions: [version()] }));
  app.get('/v1', { config: { public: true } }, async () => ({ version: '1.0', links: version().links }));

  app.get('/v1/capabilities', async (req) => {
    callerOf(req.auth);
    const methods = [...BASIC_METHODS, 'p50', 'p90', 'p95', 'p99'];
    return { aggregation_methods: [...methods, ...methods.map((m) => `rate:${m}`)].sort(), dynamic_aggregation_methods: OPERATIONS };
  });

  app.get('/v1/status', async (req) => {
    callerOf(req.auth, true);
    const s = await d.logic.status();
    return {
      storage: { summary: { metrics: 0, measures: 0 }, measures_to_process: {} },
      metricd: { processors: ['stratus-inline'], statistics: { 'total metrics': s.metrics, 'measures written': s.measures, 'measures dropped': s.dropped, 'write batches': s.batches } },
    };
  });

  app.post<{ Querystring: Q }>('/v1/aggregates', async (req) => {
    const caller = callerOf(req.auth);
    const q = req.query;
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) throw invalidInput('expected a dictionary');
    if (body.operations === undefined) throw invalidInput("required key not provided @ data['operations']");
    const now = d.logic.ctx.clock.now();
    const aq: AggregatesQuery = { operations: body.operations };
    const g = one(q, 'granularity');
    if (g !== undefined) {
      const ms = timespanMs(g);
      if (ms === undefined || ms <= 0) throw invalidInput(`Invalid granularity ${JSON.stringify(g)}`);
      aq.granularity = ms;
    }
    for (const k of ['start', 'stop'] as const) {
      const v = one(q, k);
      if (v === undefined) continue;
      const t = timestampMs(v, now);
      if (t === undefined) throw invalidInput(`Invalid value for ${k}: ${JSON.stringify(v)} is not a timestamp`);
      aq[k] = t;
    }
    const overlap = one(q, 'needed_overlap');
    if (overlap !== undefined) {
      const n = Number(overlap);
      if (!Number.isFinite(n) || n < 0 || n > 100) throw invalidInput('needed_overlap must be a number between 0 and 100');
      aq.neededOverlap = n;
    }
    const fill = one(q, 'fill');
    if (fill !== undefined) {
      if (fill === 'null' || fill === 'dropna') aq.fill = fill;
      else if (Number.isFinite(Number(fill)) && fill.trim() !== '') aq.fill = Number(fill);
      else throw invalidInput('fill must be a float, null or dropna');
    }
    const details = bool(q, 'details');
    if (body.search === undefined) {
      const r = await d.logic.aggregates.byMetrics(caller, aq);
      return { measures: seriesTree(r.series), ...(details ? { references: r.metrics.map(metricListView) } : {}) };
    }
    aq.search = body.search;
    if (body.resource_type !== undefined) {
      if (typeof body.resource_type !== 'string') throw invalidInput("expected str @ data['resource_type']");
      aq.resourceType = body.resource_type;
    }
    const groupby = many(q, 'groupby').flatMap((s) => s.split(','));
    if (groupby.length) aq.groupby = groupby;
    const groups = await d.logic.aggregates.byResources(caller, aq);
    const render = (gr: (typeof groups)[number]) => ({ measures: seriesTree(gr.series), ...(details ? { references: gr.resources.map((x) => resourceView(x, null, undefined)) } : {}) });
    if (!groupby.length) return render(groups[0]!);
    return groups.map((gr) => ({ group: gr.group, measures: render(gr) }));
  });
}
