/**
 * Cron schedules (Kubernetes CronJobs, alarm time constraints): the standard 5-field cron syntax (minute hour day-of-month month
 * day-of-week) with `*`, `?`, lists, ranges, steps and month/weekday names, the `@yearly`,
 * `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly` macros and `@every
 * <duration>`, as kube-controller-manager accepts them. Times are evaluated in an IANA time
 * zone (`spec.timeZone`), or the process's local zone when none is given (as upstream).
 *
 * When both day fields are restricted (neither starts with `*` or `?`), a day matches when
 * either matches; otherwise both must (classic cron semantics).
 */

export type CronSchedule =
  | { kind: 'fields'; minute: Set<number>; hour: Set<number>; dom: Set<number>; month: Set<number>; dow: Set<number>; domStar: boolean; dowStar: boolean }
  | { kind: 'every'; ms: number };

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
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface Bounds {
  min: number;
  max: number;
  names?: string[];
  /** Value of the first name (months count from 1). */
  base?: number;
}

const FIELDS: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS, base: 1 },
  { min: 0, max: 6, names: DAYS, base: 0 },
];

/** Parses a schedule; throws an Error whose message says what is wrong (shown in the 422). */
export function parseSchedule(text: string, opts: { sundayAsSeven?: boolean } = {}): CronSchedule {
  const spec = text.trim();
  if (spec === '') throw new Error('empty spec string');
  if (spec.startsWith('@')) {
    if (spec.startsWith('@every ')) return { kind: 'every', ms: Math.max(1000, parseDuration(spec.slice(7).trim())) };
    const macro = MACROS[spec.toLowerCase()];
    if (!macro) throw new Error(`unrecognized descriptor: ${spec}`);
    return parseSchedule(macro, opts);
  }
  const fields = spec.split(/\s+/);
  if (fields.length !== 5) throw new Error(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  // 7 is Sunday too in croniter's syntax (Aodh), not in Kubernetes' (robfig/cron).
  const bounds = opts.sundayAsSeven ? [...FIELDS.slice(0, 4), { ...FIELDS[4]!, max: 7 }] : FIELDS;
  const parsed = fields.map((f, i) => parseField(f, bounds[i]!));
  if (parsed[4]!.values.delete(7)) parsed[4]!.values.add(0);
  return {
    kind: 'fields',
    minute: parsed[0]!.values,
    hour: parsed[1]!.values,
    dom: parsed[2]!.values,
    month: parsed[3]!.values,
    dow: parsed[4]!.values,
    domStar: parsed[2]!.star,
    dowStar: parsed[4]!.star,
  };
}

function parseField(field: string, b: Bounds): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const part of field.split(',')) {
    const rangeAndStep = part.split('/');
    if (rangeAndStep.length > 2) throw new Error(`too many slashes: ${part}`);
    const lowHigh = rangeAndStep[0]!.split('-');
    if (lowHigh.length > 2) throw new Error(`too many hyphens: ${part}`);
    let start: number;
    let end: number;
    let partStar = false;
    if (lowHigh[0] === '*' || lowHigh[0] === '?') {
      start = b.min;
      end = b.max;
      partStar = true;
    } else {
      start = value(lowHigh[0]!, b, part);
      end = lowHigh.length === 2 ? value(lowHigh[1]!, b, part) : start;
    }
    let step = 1;
    if (rangeAndStep.length === 2) {
      step = int(rangeAndStep[1]!, part);
      if (step <= 0) throw new Error(`step of range should be a positive number: ${part}`);
      // `N/step` means N through the maximum.
      if (lowHigh.length === 1 && !partStar) end = b.max;
      if (step > 1) partStar = false;
    }
    if (start < b.min) throw new Error(`beginning of range (${start}) below minimum (${b.min}): ${part}`);
    if (end > b.max) throw new Error(`end of range (${end}) above maximum (${b.max}): ${part}`);
    if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${part}`);
    for (let v = start; v <= end; v += step) values.add(v);
    star ||= partStar;
  }
  return { values, star };
}

function value(text: string, b: Bounds, part: string): number {
  const i = b.names?.indexOf(text.toLowerCase()) ?? -1;
  if (i >= 0) return i + (b.base ?? 0);
  return int(text, part);
}

function int(text: string, part: string): number {
  if (!/^-?\d+$/.test(text)) throw new Error(`failed to parse int from ${text}: strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  const n = Number(text);
  if (n < 0) throw new Error(`negative number (${n}) not allowed: ${part}`);
  return n;
}

/** Go duration text (`1h30m`, `90s`, `1.5h`) in milliseconds. */
function parseDuration(text: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  if (text === '' || pos !== text.length) throw new Error(`failed to parse duration ${text}: time: invalid duration ${JSON.stringify(text)}`);
  return total;
}

/** Whether `tz` names an IANA time zone this process knows. */
export function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz !== '' && !/^[+-]/.test(tz);
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock fields of `t` in `tz` (undefined: local). */
export function wallClock(t: number, tz?: string): { year: number; month: number; day: number; hour: number; minute: number; weekday: number } {
  const key = tz ?? '';
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short' });
    formatters.set(key, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(t)) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: DAYS.indexOf((parts.weekday ?? '').toLowerCase().slice(0, 3)),
  };
}

const MINUTE = 60_000;
const LIMIT_MS = 5 * 366 * 24 * 3600_000;

/** The first scheduled time strictly after `after` (epoch ms), or undefined within five years. */
export function nextAfter(s: CronSchedule, after: number, tz?: string): number | undefined {
  if (s.kind === 'every') return Math.floor(after / 1000) * 1000 + s.ms;
  let t = Math.floor(after / MINUTE) * MINUTE + MINUTE;
  const limit = after + LIMIT_MS;
  while (t <= limit) {
    const w = wallClock(t, tz);
    const dayOk = s.domStar || s.dowStar ? s.dom.has(w.day) && s.dow.has(w.weekday) : s.dom.has(w.day) || s.dow.has(w.weekday);
    if (!s.month.has(w.month) || !dayOk) {
      // To the next wall-clock day; one hour short so a DST change never skips a midnight.
      const left = 24 * 60 - (w.hour * 60 + w.minute);
      t += (left > 60 ? left - 60 : left) * MINUTE;
      continue;
    }
    if (!s.hour.has(w.hour)) {
      t += (60 - w.minute) * MINUTE;
      continue;
    }
    if (!s.minute.has(w.minute)) {
      let m = w.minute + 1;
      while (m < 60 && !s.minute.has(m)) m++;
      t += (m - w.minute) * MINUTE;
      continue;
    }
    return t;
  }
  return undefined;
}

/**
 * The most recent scheduled time in (`earliest`, `now`], and how many there were (counting stops
 * being exact past 100, the point where upstream reports "too many missed start times").
 */
export function mostRecent(s: CronSchedule, earliest: number, now: number, tz?: string): { time?: number; missed: number } {
  let t = nextAfter(s, earliest, tz);
  let last: number | undefined;
  let missed = 0;
  let maxGap = 0;
  while (t !== undefined && t <= now) {
    if (last !== undefined) maxGap = Math.max(maxGap, t - last);
    last = t;
    missed++;
    // NOTE: past 100 misses, skip ahead to a window that surely still holds the latest ones,
    // instead of walking minute schedules over months of history.
    if (missed === 101 && maxGap > 0 && now - 50 * maxGap > t) t = nextAfter(s, now - 50 * maxGap, tz);
    else t = nextAfter(s, t, tz);
  }
  return { time: last, missed };
}
