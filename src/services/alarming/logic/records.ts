import type { Alarm, AlarmChange } from './models.js';

/** WSME's datetime: ISO 8601 without a zone, with microseconds (e.g. 2026-01-01T12:00:00.123000). */
export function wsmeTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000');
}

/**
 * The alarm as Aodh's storage model holds it (`rule` instead of `<type>_rule`): the shape of a
 * creation entry's detail and the fields a rule change compares.
 */
export function alarmRecordView(a: Readonly<Alarm>): Record<string, unknown> {
  return {
    alarm_id: a.id,
    type: a.type,
    enabled: a.enabled,
    name: a.name,
    description: a.description,
    timestamp: wsmeTime(a.timestamp),
    user_id: a.userId,
    project_id: a.projectId,
    state: a.state,
    state_timestamp: wsmeTime(a.stateTimestamp),
    state_reason: a.stateReason,
    ok_actions: a.okActions,
    alarm_actions: a.alarmActions,
    insufficient_data_actions: a.insufficientDataActions,
    repeat_actions: a.repeatActions,
    rule: a.rule,
    time_constraints: a.timeConstraints,
    severity: a.severity,
  };
}


/** The alarm's fields by Aodh's storage names, timestamps as ms: what queries filter and sort on. */
export function alarmFields(a: Readonly<Alarm>): Record<string, unknown> {
  return { ...alarmRecordView(a), timestamp: a.timestamp, state_timestamp: a.stateTimestamp, evaluate_timestamp: null };
}

export function changeFields(c: Readonly<AlarmChange>): Record<string, unknown> {
  return {
    event_id: c.id,
    alarm_id: c.alarmId,
    type: c.type,
    detail: c.detail,
    user_id: c.userId,
    project_id: c.projectId,
    on_behalf_of: c.onBehalfOf,
    timestamp: c.timestamp,
    severity: c.severity,
  };
}

export const ALARM_FIELDS = [
  'alarm_id', 'enabled', 'type', 'name', 'description', 'timestamp', 'user_id', 'project_id', 'state', 'state_timestamp', 'state_reason',
  'ok_actions', 'alarm_actions', 'insufficient_data_actions', 'repeat_actions', 'rule', 'time_constraints', 'severity', 'evaluate_timestamp',
];
export const CHANGE_FIELDS = ['event_id', 'alarm_id', 'type', 'detail', 'user_id', 'project_id', 'on_behalf_of', 'timestamp', 'severity'];
export const TIMESTAMP_FIELDS = ['timestamp', 'state_timestamp', 'evaluate_timestamp'];
