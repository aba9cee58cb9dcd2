import { ALARM, OK, UNKNOWN, type AlarmState, type ThresholdRule, type ThresholdType } from './models.js';
import type { MetricSource } from './ports.js';

/** How one threshold rule came out. */
export interface RuleOutcome {
  /** Every point on one side: alarm (all outside) or ok (none outside); unknown without data. */
  state?: AlarmState;
  /** The points disagree: the side of the most recent one. */
  trending?: AlarmState;
  /** The last `evaluation_periods` values. */
  stats: number[];
  /** How many of them break the threshold. */
  outside: number;
  /** Why the state is unknown. */
  unknownReason?: string;
}

const COMPARE: Record<ThresholdRule['comparison_operator'], (v: number, t: number) => boolean> = {
  lt: (v, t) => v < t,
  le: (v, t) => v <= t,
  eq: (v, t) => v === t,
  ne: (v, t) => v !== t,
  ge: (v, t) => v >= t,
  gt: (v, t) => v > t,
};

/**
 * The query window, as Aodh's: `granularity * (evaluation_periods + 1)` seconds back from now,
 * one period more than needed so that a point still being filled does not leave a gap.
 */
export function windowOf(rule: ThresholdRule, now: number): { start: string; stop: string } {
  const back = rule.granularity * (rule.evaluation_periods + 1) * 1000;
  return { start: new Date(now - back).toISOString(), stop: new Date(now).toISOString() };
}

function fetch(source: MetricSource, type: ThresholdType, rule: ThresholdRule, now: number) {
  const w = windowOf(rule, now);
  const common = { aggregation: rule.aggregation_method, granularity: rule.granularity, ...w };
  switch (type) {
    case 'gnocchi_resources_threshold':
      return source.resourceMeasures({ resourceType: rule.resource_type!, resourceId: rule.resource_id!, metric: rule.metric!, ...common });
    case 'gnocchi_aggregation_by_metrics_threshold':
      return source.metricsAggregate({ metricIds: rule.metrics!, ...common });
    case 'gnocchi_aggregation_by_resources_threshold':
      return source.resourcesAggregate({ resourceType: rule.resource_type!, metric: rule.metric!, query: JSON.parse(rule.query!), ...common });
  }
}

/** Reads the rule's points and compares the last `evaluation_periods` of them. */
export async function evaluateThreshold(source: MetricSource, type: ThresholdType, rule: ThresholdRule, now: number): Promise<RuleOutcome> {
  let rows: [string, number, number][];
  try {
    rows = await fetch(source, type, rule, now);
  } catch (e) {
    return { state: UNKNOWN, stats: [], outside: 0, unknownReason: `alarm statistics retrieval failed: ${(e as Error).message}` };
  }
  const all = rows.filter((r) => r[1] === rule.granularity).map((r) => r[2]);
  if (all.length === 0) return { state: UNKNOWN, stats: [], outside: 0, unknownReason: `No datapoint for granularity ${rule.granularity}` };
  const stats = all.slice(-rule.evaluation_periods);
  if (stats.length < rule.evaluation_periods) return { state: UNKNOWN, stats, outside: 0, unknownReason: `${rule.evaluation_periods} datapoints are unknown` };
  const cmp = COMPARE[rule.comparison_operator];
  const broken = stats.map((v) => cmp(v, rule.threshold));
  const outside = broken.filter(Boolean).length;
  if (outside === stats.length) return { state: ALARM, stats, outside };
  if (outside === 0) return { state: OK, stats, outside };
  return { trending: broken[broken.length - 1] ? ALARM : OK, stats, outside };
}

/** Python's rendering of a float in Aodh's reason strings (85 → 85.0). */
export function pyFloat(v: number | null | undefined): string {
  if (v === null || v === undefined) return 'None';
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

/** Aodh's reason and reason_data for a threshold alarm going to (or staying in) `state`. */
export function thresholdReason(current: AlarmState, state: AlarmState, o: RuleOutcome, periods: number): { reason: string; data: Record<string, unknown> } {
  const last = o.stats.length ? o.stats[o.stats.length - 1]! : null;
  if (state === UNKNOWN) {
    return { reason: o.unknownReason ?? 'state evaluated to unknown', data: { type: 'threshold', disposition: 'unknown', count: periods, most_recent: last } };
  }
  const disposition = state === OK ? 'inside' : 'outside';
  const count = state === OK ? o.stats.length - o.outside : o.outside;
  const verb = current !== state ? `Transition to ${state}` : `Remaining as ${state}`;
  return {
    reason: `${verb} due to ${count} samples ${disposition} threshold, most recent: ${pyFloat(last)}`,
    data: { type: 'threshold', disposition, count, most_recent: last },
  };
}
