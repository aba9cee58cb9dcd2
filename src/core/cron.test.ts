import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mostRecent, nextAfter, parseSchedule, validTimeZone } from './cron.js';

const utc = (s: string) => Date.parse(s);
const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());

test('parseSchedule: fields, names, steps, macros, and errors worded like the upstream parser', () => {
  const s = parseSchedule('*/15 9-17 * JAN-mar mon,WED,5');
  assert.equal(s.kind, 'fields');
  if (s.kind !== 'fields') return;
  assert.deepEqual([...s.minute], [0, 15, 30, 45]);
  assert.deepEqual([...s.hour], [9, 10, 11, 12, 13, 14, 15, 16, 17]);
  assert.deepEqual([...s.month], [1, 2, 3]);
  assert.deepEqual([...s.dow], [1, 3, 5]);
  assert.equal(s.domStar, true);
  assert.equal(s.dowStar, false);
  assert.deepEqual(parseSchedule('@daily'), parseSchedule('0 0 * * *'));
  assert.deepEqual(parseSchedule('@every 1h30m'), { kind: 'every', ms: 5_400_000 });
  const bad: [string, string][] = [
    ['', 'empty spec string'],
    ['* * *', 'expected exactly 5 fields, found 3: [* * *]'],
    ['60 * * * *', 'end of range (60) above maximum (59): 60'],
    ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['5-2 * * * *', 'beginning of range (5) beyond end of range (2): 5-2'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['x * * * *', 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ['@often', 'unrecognized descriptor: @often'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
  ];
  for (const [text, message] of bad) assert.throws(() => parseSchedule(text), { message }, text);
});

test('nextAfter: minute steps, day-of-month OR day-of-week, time zones and DST', () => {
  assert.equal(iso(nextAfter(parseSchedule('*/5 * * * *'), utc('2024-05-01T10:02:30Z'), 'UTC')), '2024-05-01T10:05:00.000Z');
  assert.equal(iso(nextAfter(parseSchedule('0 0 1 * *'), utc('2024-05-01T00:00:00Z'), 'UTC')), '2024-06-01T00:00:00.000Z');
  // Both day fields restricted: the 13th OR a Friday (2024-09-06 is a Friday).
  assert.equal(iso(nextAfter(parseSchedule('0 12 13 * 5'), utc('2024-09-01T00:00:00Z'), 'UTC')), '2024-09-06T12:00:00.000Z');
  // Day-of-week with `*` day-of-month: AND (only Fridays).
  assert.equal(iso(nextAfter(parseSchedule('0 12 * * 5'), utc('2024-09-07T00:00:00Z'), 'UTC')), '2024-09-13T12:00:00.000Z');
  // 09:00 in New York is 13:00 UTC in summer, 14:00 in winter.
  assert.equal(iso(nextAfter(parseSchedule('0 9 * * *'), utc('2024-07-01T00:00:00Z'), 'America/New_York')), '2024-07-01T13:00:00.000Z');
  assert.equal(iso(nextAfter(parseSchedule('0 9 * * *'), utc('2024-12-01T00:00:00Z'), 'America/New_York')), '2024-12-01T14:00:00.000Z');
  // Spring forward in Berlin (2024-03-31 02:00 → 03:00): the 00:30 run of the next day is not skipped.
  assert.equal(iso(nextAfter(parseSchedule('30 0 * * *'), utc('2024-03-30T23:31:00Z'), 'Europe/Berlin')), '2024-03-31T22:30:00.000Z');
  assert.equal(nextAfter(parseSchedule('0 0 30 2 *'), utc('2024-01-01T00:00:00Z'), 'UTC'), undefined);
  assert.ok(validTimeZone('Europe/Berlin'));
  assert.ok(!validTimeZone('Mars/Olympus'));
});

test('mostRecent: the latest missed time and how many were missed', () => {
  const every = parseSchedule('* * * * *');
  assert.deepEqual(mostRecent(every, utc('2024-05-01T10:00:00Z'), utc('2024-05-01T10:03:30Z'), 'UTC'), { time: utc('2024-05-01T10:03:00Z'), missed: 3 });
  assert.deepEqual(mostRecent(every, utc('2024-05-01T10:00:00Z'), utc('2024-05-01T10:00:59Z'), 'UTC'), { time: undefined, missed: 0 });
  const many = mostRecent(every, utc('2024-01-01T00:00:00Z'), utc('2024-05-01T10:03:30Z'), 'UTC');
  assert.equal(iso(many.time), '2024-05-01T10:03:00.000Z');
  assert.ok(many.missed > 100);
});
