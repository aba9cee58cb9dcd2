import { randomUUID } from 'node:crypto';
import type { StoreOps } from '../../../store/index.js';
import { clientError, invalidInput } from '../errors.js';
import { filterValue, type Page, type SimpleFilter } from '../schemas/list.js';
import type { AlarmingContext } from './context.js';
import { paginate } from './listing.js';
import type { Alarm, AlarmChange, Caller, ChangeType } from './models.js';
import { complexQuery } from './query.js';
import { CHANGE_FIELDS, changeFields } from './records.js';

/** Who made a change: the caller, or the evaluator (null ids, as a service acting on its own). */
export type Actor = { userId: string | null; projectId: string | null };

/** Alarm history: entries are written in the transaction of the change they describe. */
export class AlarmHistory {
  constructor(private readonly ctx: AlarmingContext) {}

  async record(tx: StoreOps, a: Alarm, type: ChangeType, detail: Record<string, unknown>, actor: Actor, at: number): Promise<void> {
    const change: AlarmChange = {
      id: randomUUID(),
      alarmId: a.id,
      type,
      detail: JSON.stringify(detail),
      userId: actor.userId,
      projectId: actor.projectId,
      onBehalfOf: a.projectId,
      timestamp: at,
      severity: a.severity,
      seq: this.ctx.nextSeq(),
    };
    await this.ctx.changes.create(change, tx);
  }

  /**
   * GET /alarms/{id}/history: the alarm's entries, newest first by default; a non-admin sees
   * those recorded on behalf of its project. Filters: user_id, project_id, type, severity (eq)
   * and timestamp (lt, le, gt, ge).
   */
  async forAlarm(c: Caller, alarmId: string, filters: SimpleFilter[], page: Page): Promise<AlarmChange[]> {
    const tests = filters.map(historyFilter);
    const items = (await this.ctx.changes.listShared({ alarmId })).filter((ch) => (c.admin || ch.onBehalfOf === c.projectId) && tests.every((t) => t(ch)));
    return paginate(items as AlarmChange[], changeFields, page, 'event_id', newestFirst);
  }

  /** POST /query/alarms/history. */
  async search(c: Caller, body: unknown): Promise<AlarmChange[]> {
    const q = complexQuery(body, CHANGE_FIELDS, 'on_behalf_of', c.admin ? undefined : c.projectId);
    const all = (await this.ctx.changes.listShared()) as AlarmChange[];
    const matched = q.filter ? all.filter((ch) => q.filter!(changeFields(ch))) : all;
    return paginate(matched, changeFields, { sort: q.order ?? [], ...(q.limit ? { limit: q.limit } : {}) }, 'event_id', newestFirst);
  }
}

const newestFirst = (a: AlarmChange, b: AlarmChange) => b.timestamp - a.timestamp || b.seq - a.seq;

function historyFilter(f: SimpleFilter): (c: AlarmChange) => boolean {
  if (f.field === 'timestamp') {
    if (!['lt', 'le', 'gt', 'ge'].includes(f.op)) throw invalidInput('op', f.op, 'unimplemented operator for timestamp');
    const v = filterValue(f, undefined);
    const ms = typeof v === 'number' ? v : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(String(v)) ? String(v) : `${String(v)}Z`);
    if (Number.isNaN(ms)) throw invalidInput('timestamp', f.value, 'invalid timestamp format');
    return (c) => (f.op === 'lt' ? c.timestamp < ms : f.op === 'le' ? c.timestamp <= ms : f.op === 'gt' ? c.timestamp > ms : c.timestamp >= ms);
  }
  const key = { user_id: 'userId', project_id: 'projectId', type: 'type', alarm_type: 'type', severity: 'severity' }[f.field] as keyof AlarmChange | undefined;
  if (!key) throw clientError(`Unknown argument: "${f.field}": unrecognized field in query, valid keys: ['alarm_type', 'project_id', 'severity', 'timestamp', 'type', 'user_id']`);
  if (f.op !== 'eq') throw invalidInput('op', f.op, `unimplemented operator for ${f.field}`);
  return (c) => c[key] === f.value;
}
