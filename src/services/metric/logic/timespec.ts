import { badRequest } from '../../../core/errors.js';

/**
 * Gnocchi's time vocabulary: timespans (`60`, `"5 minutes"`, `"1 day, 0:00:00"`) and
 * timestamps (ISO 8601, epoch seconds, `now`, or a signed offset from now such as `-1 hour`).
 * Internally every time is epoch milliseconds and every timespan milliseconds.
 */

const UNIT_MS: Record<string, number> = {
  us: 0.001, microsecond: 0.001, microseconds: 0.001,
  ms: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
  y: 31_536_000_000, year: 31_536_000_000, years: 31_536_000_000,
};

/** Milliseconds of a timespan, or undefined when `v` is not one. Accepts numbers (seconds). */
export function timespanMs(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.round(v * 1000) : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  if (s === '') return undefined;
  if (/^[+-]?\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  // Python's str(timedelta): "[N day[s], ]H:MM:SS[.ffffff]"
  const td = /^(?:(-?\d+) days?,\s*)?(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(s);
  if (td) return Math.round((Number(td[1] ?? 0) * 86400 + Number(td[2]) * 3600 + Number(td[3]) * 60 + Number(td[4])) * 1000);
  let total = 0;
  let rest = s;
  const part = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*,?\s*(and\s+)?/;
  let matched = false;
  for (let m = part.exec(rest); m; m = part.exec(rest)) {
    const unit = UNIT_MS[m[2]!];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    rest = rest.slice(m[0].length);
    matched = true;
  }
  return matched && rest.trim() === '' ? Math.round(total) : undefined;
}

/** Python's `str(timedelta)` of a span in ms: `0:05:00`, `7 days, 0:00:00`, `0:00:00.500000`. */
export function formatTimedelta(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  let rem = ms - days * 86_400_000;
  const h = Math.floor(rem / 3_600_000);
  rem -= h * 3_600_000;
  const m = Math.floor(rem / 60_000);
  rem -= m * 60_000;
  const sec = Math.floor(rem / 1000);
  const frac = rem - sec * 1000;
  const clock = `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}${frac ? '.' + String(Math.round(frac * 1000)).padStart(6, '0') : ''}`;
  return days ? `${days} day${days === 1 ? '' : 's'}, ${clock}` : clock;
}

/**
 * A timestamp as Gnocchi accepts it, in epoch ms: a number or numeric string (epoch seconds),
 * ISO 8601 (UTC when it names no zone), `now`, or a signed offset from now (`-5 minutes`).
 * Undefined when `v` is none of these.
 */
export function timestampMs(v: unknown, now: number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.round(v * 1000) : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (s === '') return undefined;
  if (s.toLowerCase() === 'now') return now;
  if (/^-?\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const rel = /^([+-])\s*(.+)$/.exec(s);
  if (rel && !/^\d{4}-/.test(rel[2]!)) {
    const span = timespanMs(rel[2]);
    return span === undefined ? undefined : rel[1] === '-' ? now - span : now + span;
  }
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (!iso) return undefined;
  const [, y, mo, d, h, mi, se, fr, tz] = iso;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(se ?? 0));
  // Date.UTC rolls 2024-13-45 over into 2025; a field out of range is not a timestamp.
  const back = new Date(ms);
  if (Number.isNaN(ms) || back.getUTCMonth() !== Number(mo) - 1 || back.getUTCDate() !== Number(d) || back.getUTCHours() !== Number(h ?? 0) || back.getUTCMinutes() !== Number(mi ?? 0)) return undefined;
  if (fr) ms += Math.round(Number(fr) * 1000);
  if (tz && tz.toUpperCase() !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return ms;
}

/** `timestampMs` or a 400 naming the parameter. */
export function requireTimestamp(v: unknown, now: number, what: string): number {
  const t = timestampMs(v, now);
  if (t === undefined) throw badRequest(`Invalid value for ${what}: ${JSON.stringify(v)} is not a timestamp (ISO 8601, epoch seconds, "now" or an offset such as "-1 hour")`);
  return t;
}

/** Gnocchi's timestamp on the wire: ISO 8601 with `+00:00`, microseconds only when non-zero. */
export function isoTs(ms: number): string {
  const d = new Date(ms);
  const base = d.toISOString().slice(0, 19);
  const frac = d.getUTCMilliseconds();
  return `${base}${frac ? '.' + String(frac).padStart(3, '0') + '000' : ''}+00:00`;
}
