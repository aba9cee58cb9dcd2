import { isObject, type Json } from '../../../core/validate.js';
import { clientError, invalidInput } from '../errors.js';
import { OPERATORS, THRESHOLD_TYPES, type CompositeRule, type ThresholdRule, type ThresholdType } from '../logic/models.js';
import { float, integer, mandatory, noUnknown, object, oneOf, text } from './fields.js';

/** Gnocchi's aggregation methods (its capabilities), with `rate:` variants and percentiles. */
export const AGGREGATION_METHODS = ['mean', 'median', 'std', 'min', 'max', 'sum', 'count', 'first', 'last'];
const ALL_METHODS = [...AGGREGATION_METHODS, ...AGGREGATION_METHODS.map((m) => `rate:${m}`)];

function validMethod(m: string): boolean {
  const base = m.startsWith('rate:') ? m.slice(5) : m;
  return AGGREGATION_METHODS.includes(base) || /^(\d{1,2}(\.\d+)?)pct$/.test(base);
}

const COMMON = ['granularity', 'comparison_operator', 'threshold', 'aggregation_method', 'evaluation_periods'];
const FIELDS: Record<ThresholdType, string[]> = {
  gnocchi_resources_threshold: [...COMMON, 'metric', 'resource_id', 'resource_type'],
  gnocchi_aggregation_by_metrics_threshold: [...COMMON, 'metrics'],
  gnocchi_aggregation_by_resources_threshold: [...COMMON, 'metric', 'query', 'resource_type'],
};

/**
 * A threshold rule of `type` with Aodh's defaults (operator eq, 1 period, granularity 60) and
 * its checks: threshold and aggregation method mandatory, 1..100 periods, granularity 1 s..1 y.
 */
export function thresholdRule(v: unknown, type: ThresholdType, arg: string): ThresholdRule {
  const o = object(v, arg);
  noUnknown(o, FIELDS[type], arg);
  const rule: ThresholdRule = {
    granularity: integer(o, 'granularity', { min: 1, max: 3600 * 24 * 365, def: 60 })!,
    comparison_operator: oneOf(o, 'comparison_operator', OPERATORS, 'eq')!,
    threshold: float(o, 'threshold', true)!,
    aggregation_method: text(o, 'aggregation_method', true)!,
    evaluation_periods: integer(o, 'evaluation_periods', { min: 1, max: 100, def: 1 })!,
  };
  if (!validMethod(rule.aggregation_method)) {
    throw clientError(`aggregation_method should be in ${JSON.stringify(ALL_METHODS)} (or a percentile such as 95pct) not ${rule.aggregation_method}`);
  }
  if (type === 'gnocchi_aggregation_by_metrics_threshold') {
    const metrics = mandatory(o, 'metrics');
    if (!Array.isArray(metrics) || metrics.length === 0 || metrics.some((m) => typeof m !== 'string' || m === '')) {
      throw invalidInput('metrics', metrics, 'Expected a non-empty list of metric ids.');
    }
    rule.metrics = metrics as string[];
    return rule;
  }
  rule.metric = text(o, 'metric', true)!;
  rule.resource_type = text(o, 'resource_type', true)!;
  if (type === 'gnocchi_resources_threshold') {
    rule.resource_id = text(o, 'resource_id', true)!;
  } else {
    const q = text(o, 'query', true)!;
    try {
      JSON.parse(q);
    } catch {
      throw invalidInput('rule/query', q, 'The query must be a JSON document (a Gnocchi search such as {"=": {"ended_at": null}}).');
    }
    rule.query = q;
  }
  return rule;
}

/** A composite rule: `{"and"|"or": [...]}` nesting, leaves are threshold rules with a `type`. */
export function compositeRule(v: unknown): CompositeRule {
  if (isObject(v) && Object.keys(v).length === 1 && !('type' in v)) {
    const key = Object.keys(v)[0]!;
    if (key !== 'and' && key !== 'or') throw clientError('Threshold rules should be combined with "and" or "or"');
    const subs = v[key];
    if (!Array.isArray(subs)) throw invalidComposite(v);
    const rules = subs.map(compositeRule);
    return key === 'and' ? { and: rules } : { or: rules };
  }
  if (!isObject(v)) throw invalidComposite(v);
  const { type, ...rest } = v as Json;
  if (!type) throw clientError('type must be set in every rule');
  if (typeof type !== 'string' || !(THRESHOLD_TYPES as readonly string[]).includes(type)) {
    throw clientError(`Unsupported sub-rule type :${String(type)} in composite rule, should be one of: ${JSON.stringify([...THRESHOLD_TYPES].sort())}`);
  }
  return { ...thresholdRule(rest, type as ThresholdType, `composite_rule.${type}`), type: type as ThresholdType };
}

function invalidComposite(v: unknown) {
  return clientError(
    `Invalid input composite rule: ${JSON.stringify(v)}, it should be a dict with an "and" or "or" as key, and the value of dict should be a list of basic threshold rules or sub composite rules, can be nested.`,
  );
}

/**
 * Scopes a by-resources query to the project the alarm is for, as Aodh does for non-admins
 * and for admins creating alarms for another project.
 * NOTE: Aodh ORs "created by the project" with "created by the telemetry service project for
 * this project"; Stratus's metric service records resources with their `project_id`, so the
 * second branch is that field.
 */
export function scopeQuery(rule: ThresholdRule, projectId: string): ThresholdRule {
  if (rule.query === undefined) return rule;
  const perms = { or: [{ '=': { created_by_project_id: projectId } }, { '=': { project_id: projectId } }] };
  const q = JSON.parse(rule.query) as { and?: unknown[] };
  if (Array.isArray(q.and) && JSON.stringify(q.and[0]) === JSON.stringify(perms)) return rule; // already scoped (a PUT of a shown alarm)
  return { ...rule, query: JSON.stringify({ and: [perms, JSON.parse(rule.query)] }) };
}
