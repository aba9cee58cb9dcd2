import type { Alarm, AlarmChange } from '../logic/models.js';
import { wsmeTime } from '../logic/records.js';

export { wsmeTime };

/** An alarm as Aodh's API shows it: the rule under `<type>_rule`. */
export function alarmView(a: Readonly<Alarm>, evaluatedAt?: number) {
  return {
    alarm_id: a.id,
    name: a.name,
    description: a.description,
    enabled: a.enabled,
    type: a.type,
    [`${a.type}_rule`]: a.rule,
    state: a.state,
    state_reason: a.stateReason,
    severity: a.severity,
    ok_actions: a.okActions,
    alarm_actions: a.alarmActions,
    insufficient_data_actions: a.insufficientDataActions,
    repeat_actions: a.repeatActions,
    time_constraints: a.timeConstraints,
    project_id: a.projectId,
    user_id: a.userId,
    timestamp: wsmeTime(a.timestamp),
    state_timestamp: wsmeTime(a.stateTimestamp),
    evaluate_timestamp: evaluatedAt === undefined ? null : wsmeTime(evaluatedAt),
  };
}

export function changeView(c: Readonly<AlarmChange>) {
  return {
    event_id: c.id,
    alarm_id: c.alarmId,
    type: c.type,
    detail: c.detail,
    project_id: c.projectId,
    user_id: c.userId,
    on_behalf_of: c.onBehalfOf,
    timestamp: wsmeTime(c.timestamp),
    severity: c.severity,
  };
}
