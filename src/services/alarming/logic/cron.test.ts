import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latestStart, parseCron, wallClock, withinWindow } from './cron.js';

const at = (iso: string) => Date.parse(iso);

test('parseCron: fields, lists, ranges, steps, names and macros; errors name the field', () => {
  const c = parseCron('*/15 9-17 * jan,jul mon-fri');
  assert.deepEqual(c.minutes.flatMap((v, i) => (v ? [i] : [])), [0, 15, 30, 45]);
  assert.deepEqual(c.hours.flatMap((v, i) => (v ? [i] : [])), [9, 10, 11, 12, 13, 14, 15, 16, 17]);
  assert.deepEqual(c.months.flatMap((v, i) => (v ? [i] : [])), [1, 7]);
  assert.deepEqual(c.weekdays.flatMap((v, i) => (v ? [i] : [])), [1, 2, 3, 4, 5]);
  assert.ok(parseCron('0 0 * * 7').weekdays[0], '7 is Sunday');
  assert.deepEqual(parseCron('@daily'), parseCron('0 0 * * *'));
  assert.throws(() => parseCron('61 * * * *'), /minute field: '61' is out of range 0-59/);
  assert.throws(() => parseCron('* * *'), /5 fields/);
  assert.throws(() => parseCron('* * * foo *'), /month field: 'foo' is not a number or a name/);
  assert.throws(() => parseCron('*/0 * * * *'), /step '0'/);
});

test('latestStart finds the last firing at or before now, and none beyond the lookback', () => {
  const c = parseCron('30 23 * * *');
  assert.equal(latestStart(c, at('2026-03-02T01:00:00Z'), 86_400_000), at('2026-03-01T23:30:00Z'));
  assert.equal(latestStart(c, at('2026-03-02T01:00:00Z'), 3_600_000), undefined);
  assert.equal(latestStart(parseCron('0 0 30 2 *'), at('2026-03-02T01:00:00Z'), 10 * 365 * 86_400_000), undefined, 'Feb 30 never fires');
  // day-of-month OR day-of-week when both are restricted
  assert.equal(latestStart(parseCron('0 12 1 * fri'), at('2026-03-02T11:00:00Z'), 30 * 86_400_000), at('2026-03-01T12:00:00Z'));
  assert.equal(latestStart(parseCron('0 12 15 * fri'), at('2026-03-02T11:00:00Z'), 30 * 86_400_000), at('2026-02-27T12:00:00Z'));
});

test('withinWindow: duration, the current minute, and time zones', () => {
  const c = parseCron('0 9 * * *');
  assert.ok(withinWindow(c, 3600, '', at('2026-03-02T09:59:00Z')));
  assert.ok(!withinWindow(c, 3600, '', at('2026-03-02T10:00:01Z')));
  assert.ok(withinWindow(c, 0, '', at('2026-03-02T09:00:30Z')), 'a start in this minute counts');
  assert.equal(wallClock(at('2026-07-01T07:30:00Z'), 'Europe/Paris'), at('2026-07-01T09:30:00Z'));
  assert.ok(withinWindow(c, 3600, 'Europe/Paris', at('2026-07-01T07:30:00Z')));
  assert.ok(!withinWindow(c, 3600, 'Europe/Paris', at('2026-07-01T09:30:00Z')));
});
