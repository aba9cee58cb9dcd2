import type { Clock } from '../../../core/clock.js';
import { StratusError } from '../../../core/errors.js';
import type { EventBus } from '../../../core/events.js';
import type { Logger } from '../../../core/log.js';
import { RecordRepo, type Store } from '../../../store/index.js';
import { alarmNotFound } from '../errors.js';
import type { Alarm, AlarmChange } from './models.js';

export interface AlarmingDeps {
  store: Store;
  events: EventBus;
  clock: Clock;
  log: Logger;
}

export interface QuotaRecord {
  /** The project id. */
  id: string;
  /** Maximum number of alarms in the project; -1 is unlimited. */
  alarms: number;
}

/** Shared state of the alarming logic: the repositories and the clock. */
export class AlarmingContext {
  readonly alarms: RecordRepo<Alarm>;
  readonly changes: RecordRepo<AlarmChange>;
  readonly quotas: RecordRepo<QuotaRecord>;
  private seq: number;

  constructor(readonly deps: AlarmingDeps) {
    this.seq = deps.clock.now() * 1000;
    // NOTE: names are unique per project, as the brief asks (Aodh dropped this constraint in
    // 2016; aodhclient finds alarms by name and refuses ambiguous names anyway).
    this.alarms = new RecordRepo<Alarm>(deps.store, 'alarming.alarm', {
      missing: alarmNotFound,
      uniqOf: (a) => `${a.projectId}/${a.name}`,
      conflict: (a) => new StratusError('Conflict', `Alarm with name='${a.name}' exists`, 'AlarmExists'),
    });
    this.changes = new RecordRepo<AlarmChange>(deps.store, 'alarming.change', { missing: (id) => new StratusError('NotFound', `Alarm change ${id} not found`) });
    this.quotas = new RecordRepo<QuotaRecord>(deps.store, 'alarming.quota', { missing: (id) => new StratusError('NotFound', `No quotas for project ${id}`) });
  }

  get log(): Logger {
    return this.deps.log;
  }
  now(): number {
    return this.deps.clock.now();
  }
  /** Orders history entries recorded in the same millisecond. */
  nextSeq(): number {
    return ++this.seq;
  }
  changed(action: 'created' | 'updated' | 'deleted', a: Alarm): void {
    this.deps.events.publish({ service: 'alarming', kind: 'alarm', action, id: a.id, projectId: a.projectId });
  }
}
