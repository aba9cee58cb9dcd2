import { StratusError } from '../../../core/errors.js';
import { adminOrCreator } from './access.js';
import type { Point } from './aggregation.js';
import type { MetricContext } from './context.js';
import { denied, invalidInput } from './errors.js';
import { canonicalUuid, isUuid } from './ids.js';
import type { Metrics } from './metrics.js';
import { KIND, type Caller, type Metric } from './models.js';
import type { Resources } from './resources.js';

/** Gnocchi's batch endpoints: measures for many metrics in one request, all or nothing. */
export class Batch {
  constructor(
    private readonly ctx: MetricContext,
    private readonly metrics: Metrics,
    private readonly resources: Resources,
  ) {}

  /** `{"<metric id>": [measures]}`; unknown metrics → 400 naming them, nothing written. */
  async metricsMeasures(caller: Caller, body: unknown): Promise<void> {
    const b = dict(body, 'data');
    const jobs: [Metric, Point[]][] = [];
    const unknown: string[] = [];
    for (const [id, ms] of Object.entries(b)) {
      const m = isUuid(id) ? (await this.ctx.store.get<Metric>(KIND.metric, canonicalUuid(id)))?.data : undefined;
      if (!m) {
        unknown.push(id);
        continue;
      }
      jobs.push([m, this.metrics.parseMeasures(ms, `data['${id}']`)]);
    }
    if (unknown.length) throw new StratusError('BadRequest', `Unknown metrics: ${unknown.join(', ')}`, 'UnknownMetrics');
    await this.checkAndWrite(caller, jobs);
  }

  /**
   * `{"<resource id>": {"<metric name>": [measures] | {"measures": [...], "archive_policy_name"?, "unit"?}}}`;
   * with `createMetrics`, missing named metrics are created first.
   */
  async resourcesMeasures(caller: Caller, body: unknown, createMetrics: boolean): Promise<void> {
    const b = dict(body, 'data');
    const jobs: [Metric, Point[]][] = [];
    const unknownResources: string[] = [];
    const unknownMetrics: string[] = [];
    const toCreate: { resourceId: string; name: string; spec: Record<string, unknown> }[] = [];
    const parsed: { resourceId: string; name: string; points: Point[] }[] = [];
    for (const [rid, metrics] of Object.entries(b)) {
      let id: string;
      try {
        id = this.resources.idOf(caller, rid);
      } catch {
        unknownResources.push(rid);
        continue;
      }
      const r = await this.resources.byId(id);
      if (!r) {
        unknownResources.push(rid);
        continue;
      }
      if (!adminOrCreator(caller, r) && r.projectId !== caller.projectId) throw denied();
      const existing = await this.resources.metricsOf(r.id);
      for (const [name, v] of Object.entries(dict(metrics, `data['${rid}']`))) {
        const spec = Array.isArray(v) ? { measures: v } : dict(v, `data['${rid}']['${name}']`);
        const points = this.metrics.parseMeasures(spec.measures, `data['${rid}']['${name}']['measures']`);
        const m = existing.find((x) => x.name === name);
        if (m) jobs.push([m, points]);
        else if (createMetrics) {
          const { measures: _m, ...rest } = spec;
          toCreate.push({ resourceId: r.id, name, spec: rest });
          parsed.push({ resourceId: r.id, name, points });
        } else unknownMetrics.push(`${rid}/${name}`);
      }
    }
    if (unknownResources.length) throw new StratusError('BadRequest', `Unknown resources: ${unknownResources.join(', ')}`, 'UnknownResources');
    if (unknownMetrics.length) throw new StratusError('BadRequest', `Unknown metrics: ${unknownMetrics.join(', ')}`, 'UnknownMetrics');
    if (toCreate.length) {
      const built = await Promise.all(toCreate.map((c) => this.metrics.build(caller, { ...c.spec, name: c.name }, c.resourceId)));
      await this.ctx.store.tx(async (tx) => {
        for (const m of built) {
          const same = await tx.find<Metric>(KIND.metric, { where: { resourceId: m.resourceId, name: m.name } });
          if (!same.length) await this.metrics.insert(tx, m);
        }
      });
      for (const p of parsed) {
        const m = (await this.resources.metricsOf(p.resourceId)).find((x) => x.name === p.name);
        if (m) jobs.push([m, p.points]);
      }
    }
    await this.checkAndWrite(caller, jobs);
  }

  private async checkAndWrite(caller: Caller, jobs: [Metric, Point[]][]): Promise<void> {
    for (const [m] of jobs) {
      if (adminOrCreator(caller, m)) continue;
      const r = await this.metrics.resourceOf(m);
      if (!r || r.projectId !== caller.projectId) throw denied();
    }
    await Promise.all(jobs.filter(([, p]) => p.length).map(([m, p]) => this.metrics.write(m.id, p)));
  }
}

function dict(v: unknown, path: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalidInput(`expected a dictionary @ ${path}`);
  return v as Record<string, unknown>;
}
