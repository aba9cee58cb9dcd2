/**
 * What the alarming service consumes from the metric service. The composition root (`main.ts`)
 * supplies the implementation; tests use an in-memory fake.
 *
 * Contract: every call reads with admin rights (the evaluator acts for all projects) and returns
 * the aggregated points in time order; a query naming a resource, metric, aggregation or
 * granularity that does not exist gives no rows (the alarm turns `insufficient data`), and a
 * malformed one rejects with an Error that says what is wrong.
 */

/** Aggregated measures for alarm evaluation, read with admin rights. Rows are [ISO timestamp, granularity s, value]. */
export interface MetricSource {
  resourceMeasures(q: { resourceType: string; resourceId: string; metric: string; aggregation: string; granularity: number; start: string; stop?: string }): Promise<[string, number, number][]>;
  metricsAggregate(q: { metricIds: string[]; aggregation: string; granularity: number; start: string; stop?: string }): Promise<[string, number, number][]>;
  resourcesAggregate(q: { resourceType: string; metric: string; query: unknown; aggregation: string; granularity: number; start: string; stop?: string }): Promise<[string, number, number][]>;
}
