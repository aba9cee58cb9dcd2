import { randomUUID } from 'node:crypto';
import type { Logger } from '../../../core/log.js';
import type { Alarm, AlarmState } from './models.js';

/** The body Aodh's REST notifier posts to a webhook. */
export interface AlarmNotification {
  alarm_id: string;
  alarm_name: string;
  severity: string;
  previous: AlarmState;
  current: AlarmState;
  reason: string;
  reason_data: Record<string, unknown>;
}

export interface NotifierOptions {
  /** Per attempt (default 5 s). */
  timeoutMs?: number;
  /** Further attempts after a network error, a timeout, a 5xx or a 429 (default 2). */
  retries?: number;
  /** Wait before the first retry, doubled after each (default 500 ms). */
  backoffMs?: number;
  /** Webhook calls in flight at once (default 4). */
  concurrency?: number;
  /** Pending notifications kept; beyond it the oldest is dropped and logged (default 1000). */
  maxQueue?: number;
}

interface Job {
  action: string;
  body: AlarmNotification;
}

/**
 * Runs the actions of an alarm's new state: `http(s)://` (and `trust+http(s)://`, notified as
 * plain http(s), Stratus having no trusts to delegate) webhooks get Aodh's JSON body by POST;
 * `log://` writes a line to the service log. `notify` only queues: the evaluator never waits on
 * a receiver. Failures are logged with what to fix; nothing is retried after the last attempt.
 */
export class Notifier {
  private readonly queue: Job[] = [];
  private running = 0;
  private closed = false;
  private waiters: (() => void)[] = [];
  readonly stats = { sent: 0, failed: 0, dropped: 0 };
  private readonly o: Required<NotifierOptions>;

  constructor(
    private readonly log: Logger,
    opts: NotifierOptions = {},
  ) {
    this.o = { timeoutMs: 5000, retries: 2, backoffMs: 500, concurrency: 4, maxQueue: 1000, ...opts };
  }

  /** Queues one notification per action of `current`'s action list. */
  notify(a: Readonly<Alarm>, actions: readonly string[], previous: AlarmState, current: AlarmState, reason: string, reasonData: Record<string, unknown>): void {
    if (this.closed) return;
    const body: AlarmNotification = { alarm_id: a.id, alarm_name: a.name, severity: a.severity, previous, current, reason, reason_data: reasonData };
    for (const action of actions) {
      if (this.queue.length >= this.o.maxQueue) {
        const old = this.queue.shift()!;
        this.stats.dropped++;
        this.log.warn(`alarm ${old.body.alarm_id}: dropped the notification to ${redact(old.action)}: more than ${this.o.maxQueue} are pending; a webhook receiver is too slow or unreachable`);
      }
      this.queue.push({ action, body });
    }
    this.pump();
  }

  /** Resolves once every queued notification has been attempted (tests, shutdown). */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  /** Stops taking notifications and drops the queued ones; in-flight calls end by their timeout. */
  close(): void {
    this.closed = true;
    this.stats.dropped += this.queue.length;
    this.queue.length = 0;
  }

  private pump(): void {
    while (this.running < this.o.concurrency && this.queue.length) {
      const job = this.queue.shift()!;
      this.running++;
      void this.run(job).finally(() => {
        this.running--;
        this.pump();
        if (this.running === 0 && this.queue.length === 0) for (const w of this.waiters.splice(0)) w();
      });
    }
  }

  private async run(job: Job): Promise<void> {
    const { action, body } = job;
    const scheme = action.slice(0, action.indexOf(':'));
    if (scheme === 'log') {
      this.log.info(`Notifying alarm ${body.alarm_name} ${body.alarm_id} of ${body.severity} priority from ${body.previous} to ${body.current} with action ${action} because ${body.reason}.`);
      this.stats.sent++;
      return;
    }
    const url = scheme.startsWith('trust+') ? action.slice('trust+'.length) : action;
    let why = '';
    for (let attempt = 0; attempt <= this.o.retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, this.o.backoffMs * 2 ** (attempt - 1)));
      if (this.closed) return;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-openstack-request-id': `req-${randomUUID()}` },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.o.timeoutMs),
          redirect: 'manual',
        });
        await res.body?.cancel().catch(() => {});
        if (res.ok) {
          this.stats.sent++;
          this.log.debug(`alarm ${body.alarm_id}: notified ${redact(url)} (${res.status})`);
          return;
        }
        why = `HTTP ${res.status} ${res.statusText}`;
        if (res.status < 500 && res.status !== 429) break; // the receiver refuses it: retrying will not help
      } catch (e) {
        const err = e as Error & { cause?: { code?: string; message?: string } };
        why = err.name === 'TimeoutError' ? `no answer within ${this.o.timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message);
        if (why === 'bad port') {
          why = `port ${new URL(url).port} is one that fetch refuses (the WHATWG "bad ports" list); serve the webhook on another port`;
          break;
        }
      }
    }
    this.stats.failed++;
    this.log.warn(
      `alarm ${body.alarm_name} (${body.alarm_id}): webhook ${redact(url)} failed (${why}) for the transition ${body.previous} -> ${body.current}; ` +
        'check that the receiver is up and reachable from the Stratus host and answers 2xx to a JSON POST, or change the alarm\'s actions with `openstack alarm update`',
    );
  }
}

/** The URL without credentials, for logs. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}
