import { EventBus } from '../../../core/events.js';
import { createLogger } from '../../../core/log.js';
import { MemoryStore } from '../../../store/memory/index.js';
import type { AlarmInput } from '../schemas/alarm.js';
import { AlarmingLogic } from './index.js';
import type { Alarm, AlarmState, Caller, ThresholdRule } from './models.js';
import type { NotifierOptions } from './notifier.js';
import type { MetricSource } from './ports.js';

type Row = [string, number, number];
type Query = Record<string, unknown> & { start: string; stop?: string; granularity: number };

/**
 * An in-memory MetricSource for tests: series by key (resource id, or metric ids joined by ',',
 * or the by-resources metric name), filtered to the requested window like Gnocchi; records calls
 * and can be told to fail.
 */
export class FakeMetricSource implements MetricSource {
  readonly series = new Map<string, Row[]>();
  readonly calls: { kind: string; q: Query }[] = [];
  failWith: string | undefined;

  /** Adds points every `granularity` s ending at `end` (ms), oldest first. */
  put(key: string, granularity: number, end: number, values: number[]): void {
    const rows = values.map((v, i): Row => [new Date(end - (values.length - 1 - i) * granularity * 1000).toISOString(), granularity, v]);
    this.series.set(key, rows);
  }

  private read(kind: string, key: string, q: Query): Promise<Row[]> {
    this.calls.push({ kind, q });
    if (this.failWith) return Promise.reject(new Error(this.failWith));
    const start = Date.parse(q.start);
    const stop = q.stop ? Date.parse(q.stop) : Infinity;
    return Promise.resolve((this.series.get(key) ?? []).filter((r) => Date.parse(r[0]) >= start && Date.parse(r[0]) <= stop));
  }
  resourceMeasures(q: Parameters<MetricSource['resourceMeasures']>[0]) {
    return this.read('resource', q.resourceId, q);
  }
  metricsAggregate(q: Parameters<MetricSource['metricsAggregate']>[0]) {
    return this.read('metrics', q.metricIds.join(','), q);
  }
  resourcesAggregate(q: Parameters<MetricSource['resourcesAggregate']>[0]) {
    return this.read('resources', q.metric, q);
  }
}

/** A clock tests move by hand. */
export class FakeClock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface Harness {
  logic: AlarmingLogic;
  source: FakeMetricSource;
  clock: FakeClock;
  lines: string[];
  /** Notifications queued, in order. */
  sent: { alarm: string; actions: readonly string[]; previous: AlarmState; current: AlarmState; reason: string; data: Record<string, unknown> }[];
}

export const CALLER: Caller = { userId: 'u1', projectId: 'p1', admin: false };

/** A logic over a memory store; notifications are captured in `sent`, or really sent with `notifier`. */
export function harness(start = Date.parse('2026-03-02T12:00:00Z'), notifier?: NotifierOptions): Harness {
  const lines: string[] = [];
  const clock = new FakeClock(start);
  const source = new FakeMetricSource();
  const logic = new AlarmingLogic({ store: new MemoryStore(), events: new EventBus(), clock, log: createLogger({ level: 'debug', write: (l) => lines.push(l) }), metrics: source, ...(notifier ? { notifier } : {}) });
  const sent: Harness['sent'] = [];
  const real = logic.notifier.notify.bind(logic.notifier);
  logic.notifier.notify = (a, actions, previous, current, reason, data) => {
    sent.push({ alarm: a.name, actions, previous, current, reason, data });
    if (notifier) real(a, actions, previous, current, reason, data);
  };
  return { logic, source, clock, lines, sent };
}

export function thresholdRule(over: Partial<ThresholdRule> = {}): ThresholdRule {
  return { granularity: 60, comparison_operator: 'gt', threshold: 80, aggregation_method: 'mean', evaluation_periods: 3, metric: 'cpu', resource_type: 'instance', resource_id: 'vm1', ...over };
}

export function input(name: string, over: Partial<AlarmInput> = {}): AlarmInput {
  return {
    name,
    enabled: true,
    type: 'gnocchi_resources_threshold',
    rule: thresholdRule(),
    severity: 'low',
    okActions: ['http://127.0.0.1:1/ok'],
    alarmActions: ['http://127.0.0.1:1/alarm'],
    insufficientDataActions: [],
    repeatActions: false,
    timeConstraints: [],
    ...over,
  };
}

export async function stateOf(h: Harness, a: Alarm): Promise<AlarmState> {
  return (await h.logic.alarms.visible(CALLER, a.id)).state;
}
