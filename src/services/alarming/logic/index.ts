import { Alarms } from './alarms.js';
import { AlarmingContext, type AlarmingDeps } from './context.js';
import { Evaluator } from './evaluator.js';
import { AlarmHistory } from './history.js';
import { Notifier, type NotifierOptions } from './notifier.js';
import type { MetricSource } from './ports.js';

export type { MetricSource } from './ports.js';

export interface AlarmingLogicDeps extends AlarmingDeps {
  metrics: MetricSource;
  notifier?: NotifierOptions;
  /** Metric reads in flight during a cycle (default 32). */
  evalConcurrency?: number;
}

/** The alarming service's logic: definitions, history, the evaluator and the notifier. */
export class AlarmingLogic {
  readonly ctx: AlarmingContext;
  readonly history: AlarmHistory;
  readonly alarms: Alarms;
  readonly notifier: Notifier;
  readonly evaluator: Evaluator;

  constructor(deps: AlarmingLogicDeps) {
    this.ctx = new AlarmingContext(deps);
    this.history = new AlarmHistory(this.ctx);
    this.alarms = new Alarms(this.ctx, this.history);
    this.notifier = new Notifier(deps.log.child('notifier'), deps.notifier);
    this.evaluator = new Evaluator(this.ctx, this.alarms, deps.metrics, this.notifier, deps.evalConcurrency);
  }

  /** Starts evaluating every `intervalMs`. */
  start(intervalMs: number): void {
    this.evaluator.start(intervalMs);
  }

  async stop(): Promise<void> {
    await this.evaluator.stop();
    this.notifier.close();
  }
}
