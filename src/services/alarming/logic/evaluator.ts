import type { AlarmingContext } from './context.js';
import type { Alarms } from './alarms.js';
import { parseCron, withinWindow, type Cron } from './cron.js';
import { decide } from './decide.js';
import { actionsFor, type Alarm } from './models.js';
import type { Notifier } from './notifier.js';
import type { MetricSource } from './ports.js';

export interface CycleReport {
  /** Alarms stored. */
  alarms: number;
  /** Enabled alarms evaluated (inside their time constraints). */
  evaluated: number;
  /** Enabled alarms outside every time constraint. */
  skipped: number;
  transitions: number;
  /** Notifications queued (one per action). */
  notifications: number;
  errors: number;
  ms: number;
}

/**
 * The alarm evaluator: each cycle reads every enabled alarm, skips those outside their time
 * constraints, reads the rule's last points through the MetricSource, decides (see decide.ts),
 * writes a new state with its history entry, and queues the actions of the state entered (again
 * each cycle with repeat_actions). A cycle never overlaps the previous one, and writes only on
 * a transition, so a cycle over idle alarms costs one store read plus one MetricSource call per
 * threshold rule.
 */
export class Evaluator {
  /** When each alarm was last evaluated (not persisted: Aodh's `evaluate_timestamp`). */
  readonly evaluatedAt = new Map<string, number>();
  private readonly crons = new Map<string, Cron>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<CycleReport> | undefined;

  constructor(
    private readonly ctx: AlarmingContext,
    private readonly alarms: Alarms,
    private readonly source: MetricSource,
    private readonly notifier: Notifier,
    private readonly concurrency = 32,
  ) {}

  /** Evaluates periodically; the first cycle runs after one interval. */
  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => {
      if (!this.running) void this.cycle().catch((e: Error) => this.ctx.log.error(`evaluation cycle failed: ${e.stack ?? e.message}`));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => {});
  }

  /** One evaluation of every enabled alarm; concurrent callers share the cycle in progress. */
  cycle(): Promise<CycleReport> {
    this.running ??= this.runCycle().finally(() => (this.running = undefined));
    return this.running;
  }

  private async runCycle(): Promise<CycleReport> {
    const t0 = performance.now();
    const all = await this.ctx.alarms.listShared();
    const report: CycleReport = { alarms: all.length, evaluated: 0, skipped: 0, transitions: 0, notifications: 0, errors: 0, ms: 0 };
    const now = this.ctx.now();
    const todo = all.filter((a) => a.enabled && (this.within(a, now) || (report.skipped++, false)));
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const a = todo[next++]!;
        try {
          await this.evaluate(a, now, report);
        } catch (e) {
          report.errors++;
          this.ctx.log.warn(`alarm ${a.id}: evaluation failed, retried next cycle: ${(e as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, todo.length) }, worker));
    report.evaluated = todo.length;
    report.ms = performance.now() - t0;
    return report;
  }

  private async evaluate(a: Readonly<Alarm>, now: number, report: CycleReport): Promise<void> {
    const d = await decide(a, this.source, now);
    this.evaluatedAt.set(a.id, now);
    if (!d) return;
    let current: Readonly<Alarm> = a;
    if (d.state !== a.state) {
      this.ctx.log.info(`alarm ${a.id} transitioning to ${d.state} because ${d.reason}`);
      try {
        current = await this.alarms.transition(a.id, d.state, d.reason, { userId: null, projectId: null }, undefined, d.reasonData);
      } catch (e) {
        if ((e as { code?: string }).code === 'AlarmNotFound') return; // deleted meanwhile
        throw e;
      }
      report.transitions++;
    }
    const actions = actionsFor(current as Alarm, d.state);
    if (actions.length) {
      this.notifier.notify(current, actions, a.state, d.state, d.reason, d.reasonData);
      report.notifications += actions.length;
    }
  }

  /** Inside at least one time constraint, or none set. */
  private within(a: Readonly<Alarm>, now: number): boolean {
    if (!a.timeConstraints.length) return true;
    return a.timeConstraints.some((tc) => {
      let c = this.crons.get(tc.start);
      if (!c) this.crons.set(tc.start, (c = parseCron(tc.start)));
      return withinWindow(c, tc.duration, tc.timezone, now);
    });
  }
}
