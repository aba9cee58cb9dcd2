import { randomUUID } from 'node:crypto';
import { StratusError } from '../../../core/errors.js';
import { alarmNotFound, clientError, invalidInput, notAuthorized } from '../errors.js';
import type { AlarmInput } from '../schemas/alarm.js';
import { filterValue, type Page, type SimpleFilter } from '../schemas/list.js';
import { scopeQuery } from '../schemas/rules.js';
import type { AlarmingContext } from './context.js';
import type { Actor, AlarmHistory } from './history.js';
import { paginate } from './listing.js';
import { REASON_DEFAULT, REASON_MANUAL, UNKNOWN, type Alarm, type AlarmState, type Caller, type ThresholdRule } from './models.js';
import { complexQuery } from './query.js';
import { ALARM_FIELDS, alarmFields, alarmRecordView } from './records.js';
import { ensureQuota } from './quotas.js';

const LIST_FIELDS = ['all_projects', 'user_id', 'project_id', 'type', 'name', 'enabled', 'state', 'severity', 'timestamp', 'repeat_actions'];
const pySet = (xs: string[]) => `{${xs.map((x) => `'${x}'`).join(', ')}}`;
const newestFirst = (a: Alarm, b: Alarm) => b.timestamp - a.timestamp || (a.id < b.id ? -1 : 1);

/** Alarm definitions: create, read, list, update, delete, state; history in the same transaction. */
export class Alarms {
  constructor(
    private readonly ctx: AlarmingContext,
    private readonly history: AlarmHistory,
  ) {}

  private actor(c: Caller): Actor {
    return { userId: c.userId, projectId: c.projectId };
  }

  /** An alarm the caller may see: any for an admin, its project's otherwise (404 for others). */
  async visible(c: Caller, id: string): Promise<Alarm> {
    const a = await this.ctx.alarms.get(id);
    if (!a || (!c.admin && a.projectId !== c.projectId)) throw alarmNotFound(id);
    return a;
  }

  async create(c: Caller, input: AlarmInput): Promise<Alarm> {
    // Ownership as Aodh: a non-admin may only name itself and its project.
    if (!c.admin && input.userId && input.userId !== c.userId) throw notAuthorized(input.userId, 'user');
    if (!c.admin && input.projectId && input.projectId !== c.projectId) throw notAuthorized(input.projectId);
    const projectId = input.projectId ?? c.projectId;
    const now = this.ctx.now();
    const a: Alarm = {
      id: randomUUID(),
      name: input.name,
      description: input.description ?? `${input.type} alarm rule`,
      enabled: input.enabled,
      type: input.type,
      rule: this.scoped(c, input, projectId),
      state: input.state ?? UNKNOWN,
      stateReason: REASON_DEFAULT,
      severity: input.severity,
      okActions: input.okActions,
      alarmActions: input.alarmActions,
      insufficientDataActions: input.insufficientDataActions,
      repeatActions: input.repeatActions,
      timeConstraints: input.timeConstraints,
      projectId,
      userId: input.userId ?? c.userId,
      timestamp: now,
      stateTimestamp: now,
    };
    this.checkActions(c, a);
    await this.ctx.deps.store.tx(async (tx) => {
      await ensureQuota(this.ctx, tx, a);
      await this.ctx.alarms.create(a, tx);
      await this.history.record(tx, a, 'creation', alarmRecordView(a), this.actor(c), now);
    });
    this.ctx.changed('created', a);
    return a;
  }

  /** PUT: replaces the definition; a changed state is a manual one. */
  async update(c: Caller, id: string, input: AlarmInput): Promise<Alarm> {
    const result = await this.ctx.deps.store.tx(async (tx) => {
      const old = await this.ctx.alarms.get(id, tx);
      if (!old || (!c.admin && old.projectId !== c.projectId)) throw alarmNotFound(id);
      const now = this.ctx.now();
      const projectId = c.admin ? (input.projectId ?? old.projectId) : c.projectId;
      const state = input.state ?? UNKNOWN;
      const a: Alarm = {
        ...old,
        name: input.name,
        description: input.description ?? `${input.type} alarm rule`,
        enabled: input.enabled,
        type: input.type,
        rule: this.scoped(c, input, projectId),
        severity: input.severity,
        okActions: input.okActions,
        alarmActions: input.alarmActions,
        insufficientDataActions: input.insufficientDataActions,
        repeatActions: input.repeatActions,
        timeConstraints: input.timeConstraints,
        projectId,
        userId: c.admin ? (input.userId ?? old.userId) : c.userId,
        timestamp: now,
        state,
        stateTimestamp: state !== old.state ? now : old.stateTimestamp,
        stateReason: state !== old.state ? REASON_MANUAL : old.stateReason,
      };
      this.checkActions(c, a);
      await this.ctx.alarms.update(a, tx);
      const before = alarmRecordView(old);
      const after = alarmRecordView(a);
      const change = Object.fromEntries(Object.entries(after).filter(([k, v]) => !['timestamp', 'state_timestamp'].includes(k) && JSON.stringify(v) !== JSON.stringify(before[k])));
      if (Object.keys(change).length) await this.history.record(tx, a, 'rule change', change, this.actor(c), now);
      return a;
    });
    this.ctx.changed('updated', result);
    return result;
  }

  async delete(c: Caller, id: string): Promise<void> {
    const gone = await this.ctx.deps.store.tx(async (tx) => {
      const a = await this.ctx.alarms.get(id, tx);
      if (!a || (!c.admin && a.projectId !== c.projectId)) throw alarmNotFound(id);
      await this.ctx.alarms.delete(id, tx);
      // NOTE: Aodh only notifies a deletion; Stratus also keeps it in the history, so that
      // `alarm-history search` shows how an alarm ended. Its other entries stay, as in Aodh.
      await this.history.record(tx, a, 'deletion', { state: a.state }, this.actor(c), this.ctx.now());
      return a;
    });
    this.ctx.changed('deleted', gone);
  }

  async setState(c: Caller, id: string, state: AlarmState): Promise<AlarmState> {
    const a = await this.transition(id, state, REASON_MANUAL, this.actor(c), c);
    return a.state;
  }

  /**
   * Writes a new state, its reason and a `state transition` entry in one transaction, on the
   * stored record (so a definition changed meanwhile is kept). Used by the API and the evaluator.
   */
  async transition(id: string, state: AlarmState, reason: string, actor: Actor, c?: Caller, reasonData?: unknown): Promise<Alarm> {
    const a = await this.ctx.deps.store.tx(async (tx) => {
      const cur = await this.ctx.alarms.get(id, tx);
      if (!cur || (c && !c.admin && cur.projectId !== c.projectId)) throw alarmNotFound(id);
      const now = this.ctx.now();
      const next: Alarm = { ...cur, state, stateReason: reason, stateTimestamp: now };
      await this.ctx.alarms.update(next, tx);
      const detail: Record<string, unknown> = c ? { state, state_reason: reason } : { state, transition_reason: reason };
      if (reasonData !== undefined && !c) detail.reason_data = reasonData;
      await this.history.record(tx, next, 'state transition', detail, actor, now);
      return next;
    });
    this.ctx.changed('updated', a);
    return a;
  }

  /** GET /alarms: the caller's project unless `project_id` or (admin) `all_projects=true`. */
  async list(c: Caller, filters: SimpleFilter[], page: Page): Promise<Alarm[]> {
    const unknown = filters.filter((f) => !LIST_FIELDS.includes(f.field)).map((f) => f.field);
    if (unknown.length) throw invalidInput('field', pySet([...new Set(filters.map((f) => f.field))]), `only fields ${pySet(LIST_FIELDS)} are allowed`);
    const badOps = filters.filter((f) => f.op !== 'eq').map((f) => f.op);
    if (badOps.length) throw invalidInput('op', pySet([...new Set(badOps)]), "only operations {'eq'} are allowed");
    const all = filters.find((f) => f.field === 'all_projects');
    const allProjects = all ? filterValue(all, 'boolean') === true : false;
    if (allProjects && !c.admin) throw new StratusError('Forbidden', 'RBAC Authorization Failed');
    const project = filters.find((f) => f.field === 'project_id');
    if (!allProjects && project && !c.admin && project.value !== c.projectId) throw notAuthorized(project.value);
    const tests = filters
      .filter((f) => f.field !== 'all_projects')
      .map((f) => {
        const v = ['enabled', 'repeat_actions'].includes(f.field) ? filterValue(f, 'boolean') : f.field === 'timestamp' ? filterValue({ ...f, type: 'datetime' }) : f.value;
        return (r: Record<string, unknown>) => r[f.field] === v;
      });
    if (!allProjects && !project) tests.push((r) => r.project_id === c.projectId);
    const items = (await this.ctx.alarms.listShared()).filter((a) => {
      if (!tests.length) return true;
      const r = alarmFields(a);
      return tests.every((t) => t(r));
    }) as Alarm[];
    return paginate(items, alarmFields, page, 'alarm_id', newestFirst);
  }

  /** POST /query/alarms. */
  async query(c: Caller, body: unknown): Promise<Alarm[]> {
    const q = complexQuery(body, ALARM_FIELDS, 'project_id', c.admin ? undefined : c.projectId);
    const all = (await this.ctx.alarms.listShared()) as Alarm[];
    const matched = q.filter ? all.filter((a) => q.filter!(alarmFields(a))) : all;
    return paginate(matched, alarmFields, { sort: q.order ?? [], ...(q.limit ? { limit: q.limit } : {}) }, 'alarm_id', newestFirst);
  }

  /** A by-resources rule is scoped to the alarm's project unless an admin creates it for its own. */
  private scoped(c: Caller, input: AlarmInput, projectId: string): AlarmInput['rule'] {
    if (input.type !== 'gnocchi_aggregation_by_resources_threshold') return input.rule;
    if (c.admin && projectId === c.projectId) return input.rule;
    return scopeQuery(input.rule as ThresholdRule, projectId);
  }

  /** `log://` actions write to the service log: admins only (Aodh answers 401 to others). */
  private checkActions(c: Caller, a: Alarm): void {
    if (c.admin) return;
    for (const action of [...a.okActions, ...a.alarmActions, ...a.insufficientDataActions]) {
      if (action.startsWith('log:')) throw clientError(`You are not authorized to create action: ${action}`, 'Unauthorized');
    }
  }
}
