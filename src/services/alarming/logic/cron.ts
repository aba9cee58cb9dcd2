import { mostRecent, parseSchedule, validTimeZone, type CronSchedule } from '../../../core/cron.js';

/**
 * Cron expressions for alarm time constraints (`start` of a constraint), on the shared parser
 * (`core/cron.ts`): five fields (minute hour day-of-month month day-of-week, 0 or 7 for
 * Sunday as croniter takes it) with `*`, lists, ranges, steps and month/day names, or a macro
 * (`@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`).
 */
export type Cron = Extract<CronSchedule, { kind: 'fields' }>;

/** Parses a `start` expression; throws an Error saying what is wrong. */
export function parseCron(expr: string): Cron {
  const s = parseSchedule(expr, { sundayAsSeven: true });
  if (s.kind !== 'fields') throw new Error(`'${expr}' is not a cron expression (use five fields or a macro such as @daily)`);
  return s;
}

/** Whether `tz` is an IANA zone this runtime knows. */
export function validTimezone(tz: string): boolean {
  return validTimeZone(tz);
}

/**
 * Whether `ms` falls in a window opened by the cron (in `tz`, '' meaning UTC) and lasting
 * `durationS` seconds; a start in the current minute counts (as Aodh's evaluator does). Start
 * times are real instants, so a window across a DST change keeps its length.
 */
export function withinWindow(c: Cron, durationS: number, tz: string, ms: number): boolean {
  const { time } = mostRecent(c, ms - durationS * 1000 - 60_000, ms, tz || 'UTC');
  return time !== undefined && (ms - time < 60_000 || ms - time <= durationS * 1000);
}
