import type { MetricSource } from '../../alarming/logic/index.js';
import { Aggregates } from './aggregates.js';
import { Batch } from './batch.js';
import { MetricContext, type MetricDeps } from './context.js';
import { Metrics } from './metrics.js';
import { KIND } from './models.js';
import { ArchivePolicies } from './policies.js';
import { ResourceTypes } from './resource-types.js';
import { Resources } from './resources.js';
import { isoTs, timestampMs } from './timespec.js';
import { MeasureWriter } from './writer.js';
import type { Series } from './operations.js';

export type { Caller, Metric, Resource, ArchivePolicy } from './models.js';
export type { MetricDeps } from './context.js';
export type { MetricSource };

/**
 * The metric logic (Gnocchi): routes call it; the alarm service reads through `metricSource`;
 * the collector writes through it. `init()` seeds the archive policies, the default rule and
 * the resource types.
 */
export class MetricLogic {
  readonly ctx: MetricContext;
  readonly policies: ArchivePolicies;
  readonly types: ResourceTypes;
  readonly writer: MeasureWriter;
  readonly metrics: Metrics;
  readonly resources: Resources;
  readonly aggregates: Aggregates;
  readonly batch: Batch;

  constructor(deps: MetricDeps) {
    this.ctx = new MetricContext(deps);
    this.policies = new ArchivePolicies(this.ctx);
    this.types = new ResourceTypes(this.ctx);
    this.writer = new MeasureWriter(this.ctx.store, (name) => this.policies.get(name));
    this.metrics = new Metrics(this.ctx, this.policies, this.writer);
    this.resources = new Resources(this.ctx, this.types, this.metrics);
    this.aggregates = new Aggregates(this.metrics, this.resources);
    this.batch = new Batch(this.ctx, this.metrics, this.resources);
  }

  async init(): Promise<void> {
    await this.policies.init();
    await this.types.init();
  }

  async close(): Promise<void> {
    await this.writer.flush();
  }

  /** What `/v1/status` reports: how many metrics are stored and the writer's running totals. */
  async status(): Promise<{ metrics: number; measures: number; dropped: number; batches: number }> {
    const metrics = await this.ctx.store.count(KIND.metric);
    const { measures, dropped, batches } = this.writer.stats;
    return { metrics, measures, dropped, batches };
  }
}

/**
 * The alarm service's port (MetricSource, whose contract is alarming/logic/ports.ts) over this
 * logic: what it evaluates thresholds through. Granularity is in seconds, times
 * as Gnocchi accepts them. An unknown resource, metric, method or granularity gives no rows
 * (not an error); a malformed `query` rejects.
 */
export function metricSource(logic: MetricLogic): MetricSource {
  const now = () => logic.ctx.clock.now();
  const range = (start: string, stop?: string) => {
    const s = timestampMs(start, now());
    const e = stop === undefined ? undefined : timestampMs(stop, now());
    return { ...(s !== undefined ? { start: s } : {}), ...(e !== undefined ? { stop: e } : {}) };
  };
  const rows = (series: Series[]): [string, number, number][] => series.flatMap((s) => s.points.map(([t, v]): [string, number, number] => [isoTs(t), s.granularity / 1000, v]));
  const missing = (e: unknown) => {
    const k = (e as { kind?: string }).kind;
    if (k === 'NotFound') return [] as [string, number, number][];
    throw e;
  };
  return {
    async resourceMeasures(q) {
      try {
        let id: string;
        try {
          id = logic.resources.idOf({ userId: '', projectId: '', admin: true }, q.resourceId);
        } catch {
          return [];
        }
        const r = await logic.resources.byId(id);
        if (!r || (q.resourceType !== 'generic' && r.type !== q.resourceType)) return [];
        const m = (await logic.resources.metricsOf(r.id)).find((x) => x.name === q.metric);
        if (!m) return [];
        const out = await logic.metrics.measures(m, { aggregation: q.aggregation, granularity: q.granularity * 1000, ...range(q.start, q.stop) });
        return out.map(([t, g, v]) => [isoTs(t), g / 1000, v]);
      } catch (e) {
        return missing(e);
      }
    },
    async metricsAggregate(q) {
      if (!q.metricIds.length) return [];
      const refs = q.metricIds.map((id) => `(${id} ${q.aggregation})`).join(' ');
      try {
        const r = await logic.aggregates.byMetrics(null, { operations: `(aggregate ${q.aggregation} (metric ${refs}))`, granularity: q.granularity * 1000, neededOverlap: 0, ...range(q.start, q.stop) });
        return rows(r.series);
      } catch (e) {
        return missing(e);
      }
    },
    async resourcesAggregate(q) {
      try {
        const r = await logic.aggregates.byResources(null, {
          operations: `(aggregate ${q.aggregation} (metric ${q.metric} ${q.aggregation}))`,
          search: q.query ?? undefined,
          resourceType: q.resourceType,
          granularity: q.granularity * 1000,
          neededOverlap: 0,
          ...range(q.start, q.stop),
        });
        return rows(r.flatMap((g) => g.series));
      } catch (e) {
        return missing(e);
      }
    },
  };
}
