import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALLER, harness, input, stateOf, thresholdRule } from './testing.js';

const MIN = 60_000;

test('threshold: insufficient data → alarm → ok → insufficient data, with history and actions', async () => {
  const h = harness();
  const a = await h.logic.alarms.create(CALLER, input('cpu'));
  // No measures at all: stays insufficient data, nothing written or sent.
  let r = await h.logic.evaluator.cycle();
  assert.equal(r.evaluated, 1);
  assert.equal(r.transitions, 0);
  assert.equal(await stateOf(h, a), 'insufficient data');

  h.source.put('vm1', 60, h.clock.now(), [90, 95, 99]);
  r = await h.logic.evaluator.cycle();
  assert.equal(r.transitions, 1);
  assert.equal(await stateOf(h, a), 'alarm');
  assert.deepEqual(h.sent.map((s) => [s.previous, s.current, s.actions]), [['insufficient data', 'alarm', ['http://127.0.0.1:1/alarm']]]);
  assert.equal(h.sent[0]!.reason, 'Transition to alarm due to 3 samples outside threshold, most recent: 99.0');
  assert.deepEqual(h.sent[0]!.data, { type: 'threshold', disposition: 'outside', count: 3, most_recent: 99 });

  // Staying in alarm: no new transition, no repeat.
  r = await h.logic.evaluator.cycle();
  assert.equal(r.transitions, 0);
  assert.equal(h.sent.length, 1);

  h.clock.advance(3 * MIN);
  h.source.put('vm1', 60, h.clock.now(), [10, 20, 30]);
  await h.logic.evaluator.cycle();
  assert.equal(await stateOf(h, a), 'ok');
  assert.equal(h.sent[1]!.reason, 'Transition to ok due to 3 samples inside threshold, most recent: 30.0');
  assert.deepEqual(h.sent[1]!.actions, ['http://127.0.0.1:1/ok']);

  // Data stops: the window moves past the last points.
  h.clock.advance(10 * MIN);
  await h.logic.evaluator.cycle();
  const shown = await h.logic.alarms.visible(CALLER, a.id);
  assert.equal(shown.state, 'insufficient data');
  assert.equal(shown.stateReason, 'No datapoint for granularity 60');
  assert.equal(h.sent.length, 2, 'no insufficient_data_actions configured');

  const history = await h.logic.history.forAlarm(CALLER, a.id, [], { sort: [] });
  assert.deepEqual(history.map((c) => c.type), ['state transition', 'state transition', 'state transition', 'creation']);
  const details = history.slice(0, 3).map((c) => JSON.parse(c.detail));
  assert.deepEqual(details.map((d) => d.state), ['insufficient data', 'ok', 'alarm']);
  assert.equal(details[2].transition_reason, 'Transition to alarm due to 3 samples outside threshold, most recent: 99.0');
  assert.ok(history.slice(0, 3).every((c) => c.userId === null && c.onBehalfOf === 'p1'));
  assert.ok(h.logic.evaluator.evaluatedAt.get(a.id));
});

test('the window is granularity × (evaluation_periods + 1) back from now, at the rule granularity', async () => {
  const h = harness();
  await h.logic.alarms.create(CALLER, input('w', { state: 'ok', rule: thresholdRule({ granularity: 300, evaluation_periods: 4 }) }));
  await h.logic.evaluator.cycle();
  const q = h.source.calls[0]!.q;
  assert.equal(Date.parse(q.stop!) - Date.parse(q.start), 300 * 5 * 1000);
  assert.equal(Date.parse(q.stop!), h.clock.now());
  assert.deepEqual([q.granularity, q.aggregation, q.metric, q.resourceId, q.resourceType], [300, 'mean', 'cpu', 'vm1', 'instance']);
  // Points at another granularity do not count.
  h.source.put('vm1', 60, h.clock.now(), [99, 99, 99, 99, 99]);
  await h.logic.evaluator.cycle();
  assert.equal((await h.logic.alarms.list(CALLER, [], { sort: [] }))[0]!.stateReason, 'No datapoint for granularity 300');
});

test('evaluation periods: fewer points is insufficient; mixed points follow the latest only out of insufficient data', async () => {
  const h = harness();
  const a = await h.logic.alarms.create(CALLER, input('p'));
  h.source.put('vm1', 60, h.clock.now(), [99, 99]);
  await h.logic.evaluator.cycle();
  assert.equal(await stateOf(h, a), 'insufficient data');
  assert.equal(h.sent.length, 0);

  // Mixed, latest outside, from insufficient data: trending to alarm.
  h.source.put('vm1', 60, h.clock.now(), [10, 99, 99]);
  await h.logic.evaluator.cycle();
  assert.equal(await stateOf(h, a), 'alarm');
  assert.match(h.sent[0]!.reason, /^Transition to alarm due to 2 samples outside threshold/);

  // Mixed, latest inside, while in alarm: stays in alarm (one good point is not enough).
  h.source.put('vm1', 60, h.clock.now(), [99, 99, 10]);
  await h.logic.evaluator.cycle();
  assert.equal(await stateOf(h, a), 'alarm');
  assert.equal(h.sent.length, 1);

  // Fewer points than periods after being in alarm: insufficient data.
  h.source.put('vm1', 60, h.clock.now(), [99]);
  await h.logic.evaluator.cycle();
  const cur = await h.logic.alarms.visible(CALLER, a.id);
  assert.equal(cur.state, 'insufficient data');
  assert.equal(cur.stateReason, '3 datapoints are unknown');
});

test('repeat_actions re-sends the actions of the current state every cycle', async () => {
  const h = harness();
  await h.logic.alarms.create(CALLER, input('r', { repeatActions: true }));
  h.source.put('vm1', 60, h.clock.now(), [99, 99, 99]);
  for (let i = 0; i < 3; i++) await h.logic.evaluator.cycle();
  assert.deepEqual(h.sent.map((s) => s.current), ['alarm', 'alarm', 'alarm']);
  assert.match(h.sent[0]!.reason, /^Transition to alarm/);
  assert.match(h.sent[2]!.reason, /^Remaining as alarm due to 3 samples outside threshold/);
  const history = await h.logic.history.forAlarm(CALLER, (await h.logic.alarms.list(CALLER, [], { sort: [] }))[0]!.id, [], { sort: [] });
  assert.equal(history.filter((c) => c.type === 'state transition').length, 1, 'a repeat is not a transition');
});

test('a failing metric source gives insufficient data with the cause; disabled alarms are not evaluated', async () => {
  const h = harness();
  const a = await h.logic.alarms.create(CALLER, input('f', { state: 'ok' }));
  await h.logic.alarms.create(CALLER, input('off', { enabled: false, state: 'ok' }));
  h.source.failWith = 'metric cpu of resource vm1 does not exist';
  const r = await h.logic.evaluator.cycle();
  assert.equal(r.alarms, 2);
  assert.equal(r.evaluated, 1);
  const cur = await h.logic.alarms.visible(CALLER, a.id);
  assert.equal(cur.state, 'insufficient data');
  assert.equal(cur.stateReason, 'alarm statistics retrieval failed: metric cpu of resource vm1 does not exist');
  assert.equal((await h.logic.alarms.list(CALLER, [], { sort: [] })).find((x) => x.name === 'off')!.state, 'ok');
});

test('aggregation by metrics and by resources read through their port methods', async () => {
  const h = harness();
  const m = await h.logic.alarms.create(CALLER, input('m', { type: 'gnocchi_aggregation_by_metrics_threshold', rule: { ...thresholdRule({ comparison_operator: 'lt', threshold: 5 }), metrics: ['m1', 'm2'], metric: undefined, resource_id: undefined, resource_type: undefined } }));
  const q = await h.logic.alarms.create(CALLER, input('q', { type: 'gnocchi_aggregation_by_resources_threshold', rule: { ...thresholdRule({ evaluation_periods: 1 }), query: '{"=": {"flavor": "m1.nano"}}', resource_id: undefined } }));
  h.source.put('m1,m2', 60, h.clock.now(), [1, 2, 3]);
  h.source.put('cpu', 60, h.clock.now(), [81]);
  await h.logic.evaluator.cycle();
  assert.equal(await stateOf(h, m), 'alarm');
  assert.equal(await stateOf(h, q), 'alarm');
  const byRes = h.source.calls.find((c) => c.kind === 'resources')!.q;
  assert.deepEqual(byRes.query, { and: [{ or: [{ '=': { created_by_project_id: 'p1' } }, { '=': { project_id: 'p1' } }] }, { '=': { flavor: 'm1.nano' } }] }, 'a non-admin query is scoped to its project');
});

test('composite: and/or of sub-rules, insufficient when undecided', async () => {
  const h = harness();
  const sub = (id: string) => ({ ...thresholdRule({ resource_id: id, evaluation_periods: 1 }), type: 'gnocchi_resources_threshold' as const });
  const and = await h.logic.alarms.create(CALLER, input('and', { type: 'composite', rule: { and: [sub('a'), sub('b')] } }));
  const or = await h.logic.alarms.create(CALLER, input('or', { type: 'composite', rule: { or: [sub('a'), { and: [sub('b'), sub('c')] }] } }));
  h.source.put('a', 60, h.clock.now(), [99]);
  h.source.put('b', 60, h.clock.now(), [10]);
  await h.logic.evaluator.cycle();
  assert.equal(await stateOf(h, and), 'ok', 'and: one sub-rule ok is enough for ok');
  assert.equal(await stateOf(h, or), 'alarm', 'or: one sub-rule in alarm');
  const orSent = h.sent.find((s) => s.alarm === 'or')!;
  assert.equal(orSent.reason, 'Composite rule alarm with composition form: (rule1 or (rule2 and rule3)) transition to alarm, due to rules: rule1 outside their threshold.');
  assert.deepEqual(Object.keys(orSent.data.causative_rules as object), ['rule1']);

  h.source.put('a', 60, h.clock.now(), [10]);
  await h.logic.evaluator.cycle();
  // or: rule1 ok, rule2 ok → (rule2 and rule3) is ok as rule2 is ok → ok
  assert.equal(await stateOf(h, or), 'ok');
  h.source.series.delete('b');
  await h.logic.evaluator.cycle();
  // or: rule1 ok, rule2 and rule3 unknown → undecided → insufficient data
  assert.equal(await stateOf(h, or), 'insufficient data');
  assert.match((await h.logic.alarms.visible(CALLER, or.id)).stateReason, /transition to insufficient data, due to rules: rule2, rule3 state evaluated to unknown\.$/);
});

test('time constraints: evaluated only inside a window, in its time zone', async () => {
  // 2026-03-02T12:00Z is 13:00 in Europe/Paris.
  const h = harness(Date.parse('2026-03-02T12:00:00Z'));
  const tc = (start: string, duration: number, timezone = '') => ({ name: 't', description: '', start, duration, timezone });
  const inside = await h.logic.alarms.create(CALLER, input('in', { timeConstraints: [tc('30 11 * * *', 3600)] }));
  const outside = await h.logic.alarms.create(CALLER, input('out', { timeConstraints: [tc('0 11 * * *', 1800)] }));
  const paris = await h.logic.alarms.create(CALLER, input('paris', { timeConstraints: [tc('0 13 * * mon', 60, 'Europe/Paris')] }));
  const weekend = await h.logic.alarms.create(CALLER, input('weekend', { timeConstraints: [tc('0 0 * * sat', 2 * 86400)] }));
  h.source.put('vm1', 60, h.clock.now(), [99, 99, 99]);
  const r = await h.logic.evaluator.cycle();
  assert.equal(r.skipped, 2);
  assert.equal(await stateOf(h, inside), 'alarm');
  assert.equal(await stateOf(h, outside), 'insufficient data');
  assert.equal(await stateOf(h, paris), 'alarm', 'Monday 13:00 in Paris');
  assert.equal(await stateOf(h, weekend), 'insufficient data', 'Monday is outside Saturday+Sunday');
});

test('a deleted alarm is not evaluated', async () => {
  const h = harness();
  const a = await h.logic.alarms.create(CALLER, input('x'));
  h.source.put('vm1', 60, h.clock.now(), [99, 99, 99]);
  await h.logic.alarms.delete(CALLER, a.id);
  const r = await h.logic.evaluator.cycle();
  assert.equal(r.alarms, 0);
  assert.equal(h.sent.length, 0);
});

test('cost: one cycle over 1,000 alarms', async () => {
  const h = harness();
  for (let i = 0; i < 1000; i++) {
    await h.logic.alarms.create(CALLER, input(`a${i}`, { rule: thresholdRule({ resource_id: `vm${i % 50}` }), okActions: [], alarmActions: [] }));
  }
  for (let i = 0; i < 50; i++) h.source.put(`vm${i}`, 60, h.clock.now(), i % 2 ? [99, 99, 99] : [1, 2, 3]);
  const first = await h.logic.evaluator.cycle();
  assert.equal(first.evaluated, 1000);
  assert.equal(first.transitions, 1000);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) times.push((await h.logic.evaluator.cycle()).ms);
  const steady = times.sort((x, y) => x - y)[2]!;
  console.log(`# evaluator: 1000 alarms, first cycle (1000 transitions) ${first.ms.toFixed(1)} ms, steady cycle (no transitions) median ${steady.toFixed(1)} ms`);
  assert.ok(steady < 1000, `a steady cycle over 1000 alarms took ${steady} ms`);
});
