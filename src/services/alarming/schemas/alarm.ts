import { isObject, type Json } from '../../../core/validate.js';
import { clientError, invalidInput } from '../errors.js';
import { parseCron, validTimezone } from '../logic/cron.js';
import { ALARM_TYPES, SEVERITIES, STATES, type AlarmState, type AlarmType, type Rule, type Severity, type ThresholdType, type TimeConstraint } from '../logic/models.js';
import { boolean, integer, mandatory, noUnknown, object, oneOf, text, textList } from './fields.js';
import { compositeRule, thresholdRule } from './rules.js';

/** A validated alarm body (POST or PUT). Absent optional fields are undefined. */
export interface AlarmInput {
  name: string;
  description?: string;
  enabled: boolean;
  type: AlarmType;
  rule: Rule;
  state?: AlarmState;
  severity: Severity;
  okActions: string[];
  alarmActions: string[];
  insufficientDataActions: string[];
  repeatActions: boolean;
  timeConstraints: TimeConstraint[];
  projectId?: string;
  userId?: string;
}

/** Rule attributes of types Aodh knows; only Stratus's four types may be set. */
const KNOWN_RULES = [...ALARM_TYPES, 'threshold', 'event', 'loadbalancer_member_health', 'prometheus'].map((t) => `${t}_rule`);
const READ_ONLY = ['alarm_id', 'timestamp', 'state_timestamp', 'state_reason', 'evaluate_timestamp'];
const ATTRS = [
  'name', 'description', 'enabled', 'type', 'state', 'severity', 'ok_actions', 'alarm_actions', 'insufficient_data_actions',
  'repeat_actions', 'time_constraints', 'project_id', 'user_id', ...READ_ONLY, ...KNOWN_RULES,
];

/** Schemes of the notifiers Stratus runs (`trust+` variants are notified as plain http(s)). */
export const ACTION_SCHEMES = ['http', 'https', 'trust+http', 'trust+https', 'log'];

/** Parses an alarm document as Aodh's Alarm type does (WSME types, then Alarm.validate). */
export function alarmBody(body: unknown): AlarmInput {
  const o = object(body, 'data');
  noUnknown(o, ATTRS, 'data');
  const name = text(o, 'name', true)!;
  const type = oneOf(o, 'type', ALARM_TYPES);
  if (!type) {
    const given = o.type;
    if (given !== undefined && given !== null) throw invalidInput('type', given, `Value should be one of: ${[...ALARM_TYPES].sort().join(', ')}`);
    throw invalidInput('type', 'None', 'Mandatory field missing.');
  }
  const ruleKey = `${type}_rule`;
  if (o[ruleKey] === undefined || o[ruleKey] === null) throw clientError(`${ruleKey} must be set for ${type} type alarm`);
  const set = KNOWN_RULES.filter((k) => o[k] !== undefined && o[k] !== null && !(isObject(o[k]) && Object.keys(o[k] as Json).length === 0 && k !== ruleKey));
  if (set.length > 1) throw clientError(`${set[0]} and ${set[1]} cannot be set at the same time`);
  const rule: Rule = type === 'composite' ? compositeRule(o[ruleKey]) : thresholdRule(o[ruleKey], type as ThresholdType, ruleKey);

  const input: AlarmInput = {
    name,
    enabled: boolean(o, 'enabled', true),
    type,
    rule,
    severity: oneOf(o, 'severity', SEVERITIES, 'low')!,
    okActions: actions(o, 'ok_actions'),
    alarmActions: actions(o, 'alarm_actions'),
    insufficientDataActions: actions(o, 'insufficient_data_actions'),
    repeatActions: boolean(o, 'repeat_actions', false),
    timeConstraints: timeConstraints(o.time_constraints),
  };
  const description = text(o, 'description');
  if (description) input.description = description;
  const state = oneOf(o, 'state', STATES);
  if (state) input.state = state;
  const projectId = text(o, 'project_id');
  if (projectId) input.projectId = projectId;
  const userId = text(o, 'user_id');
  if (userId) input.userId = userId;
  return input;
}

/** An action list: URLs of a supported scheme, duplicates dropped (Aodh logs and drops them). */
function actions(o: Json, field: string): string[] {
  const list = textList(o, field) ?? [];
  for (const a of list) {
    let url: URL;
    try {
      url = new URL(a);
    } catch {
      throw clientError(`Unable to parse action ${a}`);
    }
    const scheme = url.protocol.replace(/:$/, '');
    if (!ACTION_SCHEMES.includes(scheme)) throw clientError(`Unsupported action ${a}: Stratus notifies ${ACTION_SCHEMES.map((s) => `${s}://`).join(', ')}`);
    if (scheme.startsWith('trust+') && (url.username || url.password)) throw clientError('trust URL cannot contain a trust ID.');
  }
  return [...new Set(list)];
}

function timeConstraints(v: unknown): TimeConstraint[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalidInput('time_constraints', v, "Wrong type. Expected '[AlarmTimeConstraint]'");
  const out = v.map((x): TimeConstraint => {
    const o = object(x, 'time_constraints');
    noUnknown(o, ['name', 'description', 'start', 'duration', 'timezone'], 'time_constraints');
    const name = text(o, 'name', true)!;
    const start = text(o, 'start', true)!;
    try {
      parseCron(start);
    } catch (e) {
      throw invalidInput('start', start, `${(e as Error).message}.`);
    }
    mandatory(o, 'duration');
    const duration = integer(o, 'duration', { min: 0 })!;
    const timezone = text(o, 'timezone') ?? '';
    if (timezone && !validTimezone(timezone)) throw clientError(`Timezone ${timezone} is not valid`);
    const description = text(o, 'description') || `Time constraint at ${start} lasting for ${duration} seconds`;
    return { name, description, start, duration, timezone };
  });
  if (new Set(out.map((t) => t.name)).size !== out.length) throw clientError('Time constraint names must be unique for a given alarm.');
  return out;
}

/** The body of PUT /alarms/{id}/state: a JSON string naming the state. */
export function stateBody(body: unknown): AlarmState {
  if (typeof body !== 'string' || !(STATES as readonly string[]).includes(body)) {
    throw invalidInput('state', body ?? 'None', `Value should be one of: ${[...STATES].sort().join(', ')}`);
  }
  return body as AlarmState;
}

