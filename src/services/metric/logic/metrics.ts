import { uuid } from '../../../core/ids.js';
import type { StoreOps } from '../../../store/index.js';
import { canReadMetric, adminOrCreator } from './access.js';
import { isMethod, resample as resampleSeries, type Point } from './aggregation.js';
import { readSeries, deleteArchive, type ArchiveRecord } from './archive.js';
import type { MetricContext } from './context.js';
import { aggregationNotFound, denied, invalidInput, metricNotFound, namedMetricExists } from './errors.js';
import { canonicalUuid, isUuid } from './ids.js';
import { KIND, type ArchivePolicy, type Caller, type Metric, type Resource } from './models.js';
import type { ArchivePolicies } from './policies.js';
import { timespanMs, timestampMs } from './timespec.js';
import type { MeasureWriter } from './writer.js';

export interface MetricInput {
  archive_policy_name?: unknown;
  name?: unknown;
  unit?: unknown;
  resource_id?: unknown;
}

export interface MeasuresQuery {
  aggregation?: string;
  granularity?: number;
  start?: number;
  stop?: number;
  resample?: number;
}

/** A measure as stored: [epoch ms, granularity ms, value]. */
export type Measure = [number, number, number];

const NAME_RE = /^[^/]{1,255}$/;

export class Metrics {
  constructor(
    private readonly ctx: MetricContext,
    private readonly policies: ArchivePolicies,
    private readonly writer: MeasureWriter,
  ) {}

  /** Builds (does not store) a metric; `name` stays null for a metric without a resource. */
  async build(caller: Caller, input: MetricInput, resourceId: string | null, fallbackName?: string): Promise<Metric> {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) throw invalidInput('expected a dictionary');
    const extra = Object.keys(input).filter((k) => !['archive_policy_name', 'name', 'unit', 'resource_id'].includes(k));
    if (extra.length) throw invalidInput(`extra keys not allowed @ data['${extra[0]}']`);
    const name = input.name ?? fallbackName ?? null;
    if (name !== null && (typeof name !== 'string' || !NAME_RE.test(name))) throw invalidInput("Invalid metric name @ data['name']: 1 to 255 characters without '/'");
    if (input.unit !== undefined && input.unit !== null && (typeof input.unit !== 'string' || input.unit.length > 31)) throw invalidInput("length of value must be at most 31 for dictionary value @ data['unit']");
    let policyName = input.archive_policy_name;
    if (policyName === undefined || policyName === null) policyName = await this.policies.forMetricName(name);
    if (typeof policyName !== 'string') throw invalidInput("expected str for dictionary value @ data['archive_policy_name']");
    await this.policies.get(policyName);
    return {
      id: uuid(),
      name,
      unit: (input.unit as string | undefined) ?? null,
      resourceId,
      archivePolicyName: policyName,
      createdByUserId: caller.userId,
      createdByProjectId: caller.projectId,
      createdAt: this.ctx.clock.now(),
    };
  }

  /** POST /v1/metric: a metric of its own, or one attached to `resource_id`. */
  async create(caller: Caller, input: MetricInput, resolveResource: (id: string) => Promise<Resource>): Promise<Metric> {
    let resourceId: string | null = null;
    if (input?.resource_id !== undefined && input.resource_id !== null) {
      if (typeof input.resource_id !== 'string') throw invalidInput("expected str @ data['resource_id']");
      const r = await resolveResource(input.resource_id);
      if (!adminOrCreator(caller, r)) throw denied();
      resourceId = r.id;
      if (input.name === undefined || input.name === null) throw invalidInput("a metric of a resource needs a name @ data['name']");
    }
    const m = await this.build(caller, input, resourceId);
    await this.ctx.store.tx(async (tx) => this.insert(tx, m));
    return m;
  }

  /** Stores a built metric; a resource's metric names are unique. */
  async insert(tx: StoreOps, m: Metric): Promise<void> {
    if (m.resourceId && m.name !== null) {
      const same = await tx.find<Metric>(KIND.metric, { where: { resourceId: m.resourceId, name: m.name } });
      if (same.length) throw namedMetricExists(m.name);
    }
    await tx.create(KIND.metric, m.id, m);
  }

  async require(id: string, tx?: StoreOps): Promise<Metric> {
    const m = isUuid(id) ? (await (tx ?? this.ctx.store).get<Metric>(KIND.metric, canonicalUuid(id)))?.data : undefined;
    if (!m) throw metricNotFound(id);
    return m;
  }

  async resourceOf(m: Metric, tx?: StoreOps): Promise<Resource | undefined> {
    return m.resourceId ? (await (tx ?? this.ctx.store).get<Resource>(KIND.resource, m.resourceId))?.data : undefined;
  }

  /** A metric the caller may read. */
  async find(caller: Caller, id: string): Promise<{ metric: Metric; resource: Resource | undefined }> {
    const metric = await this.require(id);
    const resource = await this.resourceOf(metric);
    if (!canReadMetric(caller, metric, resource)) throw denied();
    return { metric, resource };
  }

  /** Metrics the caller sees: all for an admin, else created by or attached to its project. */
  async list(caller: Caller, filters: Partial<Record<'name' | 'unit' | 'resource_id' | 'archive_policy_name' | 'creator' | 'id', string>>): Promise<{ metric: Metric; resource: Resource | undefined }[]> {
    const all = (await this.ctx.store.find<Metric>(KIND.metric, { shared: true })).map((r) => r.data);
    const resources = new Map((await this.ctx.store.find<Resource>(KIND.resource, { shared: true })).map((r) => [r.id, r.data]));
    const out: { metric: Metric; resource: Resource | undefined }[] = [];
    for (const m of all) {
      const resource = m.resourceId ? resources.get(m.resourceId) : undefined;
      if (!canReadMetric(caller, m, resource)) continue;
      if (filters.name !== undefined && m.name !== filters.name) continue;
      if (filters.unit !== undefined && m.unit !== filters.unit) continue;
      if (filters.resource_id !== undefined && m.resourceId !== filters.resource_id) continue;
      if (filters.archive_policy_name !== undefined && m.archivePolicyName !== filters.archive_policy_name) continue;
      if (filters.creator !== undefined && `${m.createdByUserId}:${m.createdByProjectId}` !== filters.creator) continue;
      if (filters.id !== undefined && m.id !== filters.id) continue;
      out.push({ metric: m, resource });
    }
    return out.sort((a, b) => (a.metric.id < b.metric.id ? -1 : a.metric.id > b.metric.id ? 1 : 0));
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const m = await this.require(id);
    if (!adminOrCreator(caller, m)) throw denied();
    await this.ctx.store.tx(async (tx) => this.remove(tx, m.id));
  }

  /** Deletes a metric with its measures, inside a transaction. */
  async remove(tx: StoreOps, id: string): Promise<void> {
    await deleteArchive(tx, id);
    await tx.delete(KIND.metric, id);
  }

  // --- measures ------------------------------------------------------------------------------

  /** Validates a measures body into points (timestamps in ms). */
  parseMeasures(body: unknown, path = 'data'): Point[] {
    if (!Array.isArray(body)) throw invalidInput(`expected a list of {"timestamp": ..., "value": ...} @ ${path}`);
    const now = this.ctx.clock.now();
    return body.map((m, i): Point => {
      if (!m || typeof m !== 'object' || Array.isArray(m)) throw invalidInput(`expected a dictionary @ ${path}[${i}]`);
      const o = m as { timestamp?: unknown; value?: unknown };
      const t = timestampMs(o.timestamp, now);
      if (t === undefined) throw invalidInput(`Invalid timestamp ${JSON.stringify(o.timestamp ?? null)} @ ${path}[${i}]['timestamp']`);
      const v = typeof o.value === 'string' && o.value.trim() !== '' ? Number(o.value) : o.value;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidInput(`expected float for dictionary value @ ${path}[${i}]['value']`);
      return [t, v];
    });
  }

  /** Adds measures (durable when this resolves) to a metric the caller created or owns. */
  async addMeasures(caller: Caller, metric: Metric, points: Point[]): Promise<void> {
    if (!adminOrCreator(caller, metric)) {
      const r = await this.resourceOf(metric);
      if (!r || r.projectId !== caller.projectId) throw denied();
    }
    if (points.length) await this.writer.add(metric.id, points);
  }

  /** Writes measures without a caller (the collector, batch after checks). */
  write(metricId: string, points: Point[]): Promise<number> {
    return this.writer.add(metricId, points);
  }

  /**
   * The aggregated measures of a metric: every granularity (coarsest first) or one, for one
   * method (default mean); unknown method or granularity → 404 as in Gnocchi.
   */
  async measures(metric: Metric, q: MeasuresQuery): Promise<Measure[]> {
    const policy = await this.policies.get(metric.archivePolicyName);
    const method = q.aggregation ?? 'mean';
    if (!isMethod(method)) throw invalidInput(`Invalid aggregation value ${method}, must be one of ${policy.aggregationMethods.join(', ')}`);
    if (!policy.aggregationMethods.includes(method)) throw aggregationNotFound(method, q.granularity ?? policy.definition[0]!.granularity, metric.id);
    let defs = [...policy.definition].sort((a, b) => b.granularity - a.granularity);
    if (q.granularity !== undefined) {
      defs = defs.filter((d) => d.granularity === q.granularity);
      if (!defs.length) throw aggregationNotFound(method, q.granularity, metric.id);
    }
    if (q.resample !== undefined && q.granularity === undefined) throw invalidInput('A granularity must be specified to resample');
    const a = (await this.ctx.store.get<ArchiveRecord>(KIND.archive, metric.id))?.data;
    if (!a) return [];
    const out: Measure[] = [];
    for (const d of defs) {
      let pts = await readSeries(this.ctx.store, a, metric.id, method, d.granularity, d.points, q.start, q.stop);
      let g = d.granularity;
      if (q.resample !== undefined) {
        pts = resampleSeries(pts, q.resample, method);
        g = q.resample;
      }
      for (const [t, v] of pts) out.push([t, g, v]);
    }
    return out;
  }

  policyOf(metric: Metric): Promise<ArchivePolicy> {
    return this.policies.get(metric.archivePolicyName);
  }
}

/** Parses the measures query string (granularity and resample are timespans). */
export function measuresQuery(q: Record<string, unknown>, now: number): MeasuresQuery & { refresh: boolean } {
  const out: MeasuresQuery & { refresh: boolean } = { refresh: q.refresh === 'true' || q.refresh === '1' };
  if (q.aggregation !== undefined) out.aggregation = String(q.aggregation);
  for (const k of ['granularity', 'resample'] as const) {
    if (q[k] === undefined) continue;
    const g = timespanMs(q[k]);
    if (g === undefined || g <= 0) throw invalidInput(`Invalid value for ${k}: ${JSON.stringify(q[k])} is not a timespan (seconds or "1 minute")`);
    out[k] = g;
  }
  for (const k of ['start', 'stop'] as const) {
    if (q[k] === undefined) continue;
    const t = timestampMs(q[k], now);
    if (t === undefined) throw invalidInput(`Invalid value for ${k}: ${JSON.stringify(q[k])} is not a timestamp`);
    out[k] = t;
  }
  return out;
}
