/**
 * The alarming domain. Alarms and their history are records in the Store (`alarming.alarm`,
 * `alarming.change`); the evaluator reads alarms and writes state transitions.
 */

export const STATES = ['ok', 'alarm', 'insufficient data'] as const;
export type AlarmState = (typeof STATES)[number];
export const OK: AlarmState = 'ok';
export const ALARM: AlarmState = 'alarm';
export const UNKNOWN: AlarmState = 'insufficient data';

export const SEVERITIES = ['low', 'moderate', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const OPERATORS = ['lt', 'le', 'eq', 'ne', 'ge', 'gt'] as const;
export type Operator = (typeof OPERATORS)[number];

export const THRESHOLD_TYPES = ['gnocchi_resources_threshold', 'gnocchi_aggregation_by_metrics_threshold', 'gnocchi_aggregation_by_resources_threshold'] as const;
export type ThresholdType = (typeof THRESHOLD_TYPES)[number];
export const ALARM_TYPES = [...THRESHOLD_TYPES, 'composite'] as const;
export type AlarmType = (typeof ALARM_TYPES)[number];

/**
 * A Gnocchi threshold rule.
 * NOTE: rules keep Aodh's documented field names (the rule is stored and shown as the document
 * the user gave, defaults filled in, exactly as Aodh stores `rule`), so they are snake_case here.
 */
export interface ThresholdRule {
  granularity: number;
  comparison_operator: Operator;
  threshold: number;
  aggregation_method: string;
  evaluation_periods: number;
  /** gnocchi_resources_threshold and gnocchi_aggregation_by_resources_threshold. */
  metric?: string;
  /** gnocchi_aggregation_by_metrics_threshold. */
  metrics?: string[];
  resource_id?: string;
  resource_type?: string;
  /** gnocchi_aggregation_by_resources_threshold: a Gnocchi search, as a JSON string. */
  query?: string;
}

/** A composite rule: `{"and"|"or": [sub-rules]}`, leaves are threshold rules with their `type`. */
export type CompositeRule = { and: CompositeRule[] } | { or: CompositeRule[] } | (ThresholdRule & { type: ThresholdType });

export type Rule = ThresholdRule | CompositeRule;

export interface TimeConstraint {
  name: string;
  description: string;
  /** A 5-field cron expression. */
  start: string;
  /** Seconds. */
  duration: number;
  /** IANA name, or '' for UTC. */
  timezone: string;
}

export interface Alarm {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  type: AlarmType;
  rule: Rule;
  state: AlarmState;
  stateReason: string;
  severity: Severity;
  okActions: string[];
  alarmActions: string[];
  insufficientDataActions: string[];
  repeatActions: boolean;
  timeConstraints: TimeConstraint[];
  projectId: string;
  userId: string;
  /** Last definition change (ms). */
  timestamp: number;
  /** Last state change (ms). */
  stateTimestamp: number;
}

export const CHANGE_TYPES = ['creation', 'rule change', 'state transition', 'deletion'] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

/** One entry of an alarm's history. `detail` is the JSON text Aodh stores. */
export interface AlarmChange {
  id: string;
  alarmId: string;
  type: ChangeType;
  detail: string;
  userId: string | null;
  projectId: string | null;
  /** The alarm's project: who may read the entry. */
  onBehalfOf: string;
  timestamp: number;
  severity: Severity;
  /** Orders entries recorded in the same millisecond. */
  seq: number;
}

/** Who calls the API. */
export interface Caller {
  userId: string;
  projectId: string;
  admin: boolean;
}

/** The actions of a state. */
export function actionsFor(a: Alarm, state: AlarmState): string[] {
  return state === OK ? a.okActions : state === ALARM ? a.alarmActions : a.insufficientDataActions;
}

export const REASON_DEFAULT = 'Not evaluated yet';
export const REASON_MANUAL = 'Manually set via API';
