/**
 * Cron expressions for alarm time constraints (`start` of a constraint): five fields
 * (minute hour day-of-month month day-of-week) with `*`, lists, ranges, steps and month/day
 * names, or a macro (`@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`). When both day
 * fields are restricted a day matches either, as in cron.
 */
export interface Cron {
  minutes: boolean[];
  hours: boolean[];
  /** Index 1..31. */
  days: boolean[];
  /** Index 1..12. */
  months: boolean[];
  /** Index 0..6, Sunday 0. */
  weekdays: boolean[];
  anyDay: boolean;
  anyWeekday: boolean;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function field(text: string, name: string, min: number, max: number, names?: string[], nameBase = 0): boolean[] {
  const set = new Array<boolean>(max + 1).fill(false);
  const num = (s: string): number => {
    const lower = s.toLowerCase();
    const i = names ? names.indexOf(lower) : -1;
    if (i >= 0) return i + nameBase;
    if (!/^\d+$/.test(s)) throw new Error(`${name} field: '${s}' is not a number${names ? ' or a name' : ''}`);
    return Number(s);
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    if (range === undefined || range === '' || part.split('/').length > 2) throw new Error(`${name} field: '${part}' is malformed`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`${name} field: step '${stepText}' must be a positive integer`);
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [min, max];
    else if (range.includes('-')) {
      const [a, b] = range.split('-');
      [lo, hi] = [num(a ?? ''), num(b ?? '')];
    } else {
      lo = num(range);
      hi = stepText === undefined ? lo : max;
    }
    if (lo < min || hi > max || lo > hi) throw new Error(`${name} field: '${part}' is out of range ${min}-${max}`);
    for (let v = lo; v <= hi; v += step) set[v] = true;
  }
  return set;
}

/** Parses a cron expression; throws an Error saying which field is wrong. */
export function parseCron(expr: string): Cron {
  const text = MACROS[expr.trim().toLowerCase()] ?? expr.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 5) throw new Error(`a cron expression has 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  const [mi, h, d, mo, wd] = parts as [string, string, string, string, string];
  const weekdays = field(wd, 'day-of-week', 0, 7, WEEKDAYS);
  if (weekdays[7]) weekdays[0] = true;
  return {
    minutes: field(mi, 'minute', 0, 59),
    hours: field(h, 'hour', 0, 23),
    days: field(d, 'day-of-month', 1, 31),
    months: field(mo, 'month', 1, 12, MONTHS, 1),
    weekdays: weekdays.slice(0, 7),
    anyDay: d === '*' || d === '?',
    anyWeekday: wd === '*' || wd === '?',
  };
}

function dayMatches(c: Cron, date: Date): boolean {
  if (!c.months[date.getUTCMonth() + 1]) return false;
  const dom = c.days[date.getUTCDate()]!;
  const dow = c.weekdays[date.getUTCDay()]!;
  if (c.anyDay && c.anyWeekday) return true;
  if (c.anyDay) return dow;
  if (c.anyWeekday) return dom;
  return dom || dow;
}

const DAY = 86_400_000;

/**
 * The latest time at or before `wall` (ms of a wall clock read as UTC, minute precision) at
 * which the cron fires, looking back at most `lookbackMs`; undefined when none.
 */
export function latestStart(c: Cron, wall: number, lookbackMs: number): number | undefined {
  const floor = wall - (wall % 60_000);
  const oldest = floor - lookbackMs;
  let dayStart = floor - (floor % DAY);
  let limitMinute = Math.floor((floor - dayStart) / 60_000); // minutes into the first day
  // NOTE: bounded scan (at most ~5 years of days) so an impossible date (Feb 30) ends.
  for (let i = 0; dayStart + DAY > oldest && i < 1900; i++, dayStart -= DAY, limitMinute = 1439) {
    if (!dayMatches(c, new Date(dayStart))) continue;
    for (let h = Math.floor(limitMinute / 60); h >= 0; h--) {
      if (!c.hours[h]) continue;
      const maxM = h === Math.floor(limitMinute / 60) ? limitMinute % 60 : 59;
      for (let m = maxM; m >= 0; m--) {
        if (!c.minutes[m]) continue;
        const t = dayStart + (h * 60 + m) * 60_000;
        return t >= oldest ? t : undefined;
      }
    }
  }
  return undefined;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Whether `tz` is an IANA zone this runtime knows. */
export function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The wall clock of `tz` ('' is UTC) at `ms`, as ms read as UTC. */
export function wallClock(ms: number, tz: string): number {
  if (!tz) return ms;
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!, ms % 1000);
}

/**
 * Whether `ms` falls in a window opened by the cron and lasting `durationS` seconds, in the
 * zone's wall clock; a start in the current minute counts (as Aodh's evaluator does).
 * NOTE: windows are measured on the wall clock, so one crossing a DST change is an hour off.
 */
export function withinWindow(c: Cron, durationS: number, tz: string, ms: number): boolean {
  const wall = wallClock(ms, tz);
  const start = latestStart(c, wall, durationS * 1000 + 60_000);
  if (start === undefined) return false;
  return wall - start < 60_000 || wall - start <= durationS * 1000;
}
