import { invalidInput } from './errors.js';
import { resourceRow, type Resources } from './resources.js';
import type { Metrics } from './metrics.js';
import type { Caller, Metric, Resource } from './models.js';
import { evaluate, metricRefs, parseOperations, type MetricRef, type Series } from './operations.js';
import { aggregationNotFound } from './errors.js';
import { parseQuery } from './filter.js';

export interface AggregatesQuery {
  operations: unknown;
  /** With a search, metric references are names on each matching resource. */
  search?: unknown;
  resourceType?: string;
  groupby?: string[];
  granularity?: number;
  start?: number;
  stop?: number;
  neededOverlap?: number;
  fill?: number | 'null' | 'dropna';
}

/** The evaluated series, not yet shaped (views/ turn them into Gnocchi's nested JSON). */
export interface AggregatesResult {
  series: Series[];
  metrics: Metric[];
  resources: Resource[];
}

export interface GroupResult extends AggregatesResult {
  group: Record<string, unknown>;
}

/** `/v1/aggregates`: fetches the series the operations name and evaluates them. */
export class Aggregates {
  constructor(
    private readonly metrics: Metrics,
    private readonly resources: Resources,
  ) {}

  /** Without `search`: references are metric ids the caller may read. */
  async byMetrics(caller: Caller | null, q: AggregatesQuery): Promise<AggregatesResult> {
    const expr = parseOperations(q.operations);
    const refs = metricRefs(expr);
    if (!refs.length) throw invalidInput('Invalid operations: no (metric ...) in them');
    const found = new Map<string, Metric>();
    for (const r of refs) {
      if (found.has(r.ref)) continue;
      found.set(r.ref, caller ? (await this.metrics.find(caller, r.ref)).metric : await this.metrics.require(r.ref));
    }
    const pairs = refs.map((r) => ({ r, metric: found.get(r.ref)!, key: [found.get(r.ref)!.id, r.method] }));
    const fetched = await this.fetchAll(pairs, q);
    const series = this.run(expr, q, (ref) => fetched.get(`${ref.ref}\0${ref.method}`) ?? []);
    return { series, metrics: [...found.values()], resources: [] };
  }

  /** With `search`: references are metric names of the resources the filter matches. */
  async byResources(caller: Caller | null, q: AggregatesQuery): Promise<GroupResult[]> {
    const expr = parseOperations(q.operations);
    const refs = metricRefs(expr);
    if (!refs.length) throw invalidInput('Invalid operations: no (metric ...) in them');
    const type = q.resourceType ?? 'generic';
    const rows = await this.resources.searchRows(caller, type, { filter: searchFilter(q.search) });
    const all = rows.map((x) => x.resource);
    const byRes = await this.resources.metricsByResource();
    const groups = new Map<string, { group: Record<string, unknown>; resources: Resource[] }>();
    for (const r of all) {
      const row = resourceRow(r);
      const group = Object.fromEntries((q.groupby ?? []).map((k) => [k, row[k] ?? null]));
      const key = JSON.stringify(group);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { group, resources: [] }));
      g.resources.push(r);
    }
    if (!q.groupby?.length && !groups.size) groups.set('{}', { group: {}, resources: [] });
    const out: GroupResult[] = [];
    for (const { group, resources } of groups.values()) {
      const pairs: { r: MetricRef; metric: Metric; key: string[] }[] = [];
      for (const res of resources) {
        for (const r of refs) {
          const m = (byRes.get(res.id) ?? []).find((x) => x.name === r.ref);
          if (m) pairs.push({ r, metric: m, key: [res.id, r.ref, r.method] });
        }
      }
      const fetched = await this.fetchAll(pairs, q);
      const series = pairs.length ? this.run(expr, q, (ref) => fetched.get(`${ref.ref}\0${ref.method}`) ?? []) : [];
      out.push({ group, series, metrics: [...new Set(pairs.map((p) => p.metric))], resources });
    }
    return out;
  }

  private run(expr: ReturnType<typeof parseOperations>, q: AggregatesQuery, fetch: (r: MetricRef) => Series[]): Series[] {
    const v = evaluate(expr, { fetch, neededOverlap: q.neededOverlap ?? 100, ...(q.fill !== undefined ? { fill: q.fill } : {}) });
    if (typeof v === 'number') throw invalidInput('Invalid operations: the result is a number, not series');
    return v;
  }

  /**
   * Series per (ref, method) at the granularity asked for, or at every granularity all the
   * metrics share; none shared → 400 as in Gnocchi.
   */
  private async fetchAll(pairs: { r: MetricRef; metric: Metric; key: string[] }[], q: AggregatesQuery): Promise<Map<string, Series[]>> {
    const out = new Map<string, Series[]>();
    if (!pairs.length) return out;
    const policies = await Promise.all(pairs.map((p) => this.metrics.policyOf(p.metric)));
    let grans: number[];
    if (q.granularity !== undefined) grans = [q.granularity];
    else {
      const sets = policies.map((p) => new Set(p.definition.map((d) => d.granularity)));
      grans = [...sets[0]!].filter((g) => sets.every((s) => s.has(g)));
      if (!grans.length) throw invalidInput("Metrics can't being aggregated: No granularity match");
    }
    for (const [i, p] of pairs.entries()) {
      const policy = policies[i]!;
      if (!policy.aggregationMethods.includes(p.r.method)) throw aggregationNotFound(p.r.method, grans[0]!, p.metric.id);
      const list: Series[] = [];
      for (const g of grans.sort((a, b) => b - a)) {
        if (!policy.definition.some((d) => d.granularity === g)) throw aggregationNotFound(p.r.method, g, p.metric.id);
        const rows = await this.metrics.measures(p.metric, { aggregation: p.r.method, granularity: g, ...(q.start !== undefined ? { start: q.start } : {}), ...(q.stop !== undefined ? { stop: q.stop } : {}) });
        list.push({ key: p.key, granularity: g, points: rows.map(([t, , v]) => [t, v]) });
      }
      const k = `${p.r.ref}\0${p.r.method}`;
      out.set(k, [...(out.get(k) ?? []), ...list]);
    }
    return out;
  }
}

/** A search as JSON, a JSON string, or Gnocchi's query string. */
export function searchFilter(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const s = v.trim();
  if (s === '') return undefined;
  if (s.startsWith('{')) {
    try {
      return JSON.parse(s);
    } catch {
      throw invalidInput('Invalid search: not valid JSON');
    }
  }
  return parseQuery(s);
}
