import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCron, validTimezone, withinWindow } from './cron.js';

const at = (iso: string) => Date.parse(iso);

test('parseCron: fields, lists, ranges, steps, names and macros; 7 is Sunday; errors say what is wrong', () => {
  const c = parseCron('*/15 9-17 * jan,jul mon-fri');
  assert.deepEqual([...c.minute].sort((a, b) => a - b), [0, 15, 30, 45]);
  assert.deepEqual([...c.hour].sort((a, b) => a - b), [9, 10, 11, 12, 13, 14, 15, 16, 17]);
  assert.deepEqual([...c.month].sort((a, b) => a - b), [1, 7]);
  assert.deepEqual([...c.dow].sort((a, b) => a - b), [1, 2, 3, 4, 5]);
  assert.deepEqual([...parseCron('0 0 * * 7').dow], [0], '7 is Sunday');
  assert.deepEqual(parseCron('@daily'), parseCron('0 0 * * *'));
  assert.throws(() => parseCron('61 * * * *'), /above maximum \(59\)/);
  assert.throws(() => parseCron('* * *'), /5 fields/);
  assert.throws(() => parseCron('* * * foo *'), /failed to parse int from foo/);
  assert.throws(() => parseCron('*/0 * * * *'), /positive number/);
  assert.throws(() => parseCron('@every 5m'), /not a cron expression/);
  assert.ok(validTimezone('Europe/Paris'));
  assert.ok(!validTimezone('Mars/Olympus'));
});

test('withinWindow: duration, the current minute, impossible dates, day-of-month OR day-of-week, time zones', () => {
  const c = parseCron('0 9 * * *');
  assert.ok(withinWindow(c, 3600, '', at('2026-03-02T09:59:00Z')));
  assert.ok(!withinWindow(c, 3600, '', at('2026-03-02T10:00:01Z')));
  assert.ok(withinWindow(c, 0, '', at('2026-03-02T09:00:30Z')), 'a start in this minute counts');
  assert.ok(!withinWindow(parseCron('0 0 30 2 *'), 10 * 86_400, '', at('2026-03-02T01:00:00Z')), 'Feb 30 never fires');
  assert.ok(withinWindow(parseCron('0 12 1 * fri'), 3600, '', at('2026-03-01T12:30:00Z')), 'the 1st, a Sunday, matches by day of month');
  assert.ok(withinWindow(parseCron('0 12 15 * fri'), 3600, '', at('2026-02-27T12:30:00Z')), 'a Friday matches by day of week');
  assert.ok(withinWindow(c, 3600, 'Europe/Paris', at('2026-07-01T07:30:00Z')), '09:30 in Paris');
  assert.ok(!withinWindow(c, 3600, 'Europe/Paris', at('2026-07-01T09:30:00Z')), '11:30 in Paris');
  // A two-hour window opened at 01:00 in Paris on the night clocks go forward lasts two real hours.
  assert.ok(withinWindow(parseCron('0 1 * * *'), 7200, 'Europe/Paris', at('2026-03-29T01:30:00Z')));
  assert.ok(!withinWindow(parseCron('0 1 * * *'), 7200, 'Europe/Paris', at('2026-03-29T02:30:00Z')));
});
