/**
 * What the alarming service consumes from the metric service. The composition root (`main.ts`)
 * supplies the implementation; tests use an in-memory fake.
 *
 * Contract: every call reads with admin rights (the evaluator acts for all projects), returns the
 * aggregated points in time order, and rejects with an Error whose message says what is missing
 * (a metric, a resource, an aggregation) when the query names something that does not exist.
 */

/** Aggregated measures for alarm evaluation, read with admin rights. Rows are [ISO timestamp, granularity s, value]. */
export interface MetricSource {
  resourceMeasures(q: { resourceType: string; resourceId: string; metric: string; aggregation: string; granularity: number; start: string; stop?: string }): Promise<[string, number, number][]>;
  metricsAggregate(q: { metricIds: string[]; aggregation: string; granularity: number; start: string; stop?: string }): Promise<[string, number, number][]>;
  resourcesAggregate(q: { resourceType: string; metric: string; query: unknown; aggregation: string; granularity: number; start: string; stop?: string }): Promise<[string, number, number][]>;
}

/** A source with no measures at all: every threshold alarm stays `insufficient data`. */
export const emptyMetricSource: MetricSource = {
  resourceMeasures: async () => [],
  metricsAggregate: async () => [],
  resourcesAggregate: async () => [],
};
