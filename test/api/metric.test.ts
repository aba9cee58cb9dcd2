// The metric API (Gnocchi v1) over real HTTP against an in-process cloud: archive policies,
// resource types, resources (history, search, scoping), metrics, measures, batch, aggregates,
// Gnocchi's error shape for bad input, durability across a restart, and the MetricSource port.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCloud, uniqueName, type Res, type TestCloud } from '../support/cloud.js';
import { metricSource } from '../../src/services/metric/index.js';

const V1 = '/metric/v1';

function assertGnocchiError(r: Res, status: number, re?: RegExp): void {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text.slice(0, 300)}`);
  assert.equal(r.body?.code, status, r.text);
  assert.equal(typeof r.body?.title, 'string', r.text);
  assert.equal(typeof r.body?.description, 'string', r.text);
  if (re) assert.match(r.body.description, re);
}

const uuidOf = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

describe('metric API', { concurrency: 4 }, () => {
  let tc: TestCloud;
  let admin: string;
  let demo: string;
  let alt: string;
  before(async () => {
    tc = await startTestCloud();
    [admin, demo, alt] = await Promise.all([tc.token('admin'), tc.token('demo'), tc.token('alt_demo')]);
  });
  after(async () => tc?.close());

  const req = (method: string, path: string, token: string, body?: unknown) => tc.req(method, `${V1}${path}`, { token, ...(body !== undefined ? { body } : {}) });
  async function newMetric(token: string, policy = 'medium'): Promise<string> {
    const r = await req('POST', '/metric', token, { archive_policy_name: policy });
    assert.equal(r.status, 201, r.text);
    return r.body.id;
  }

  test('versions, catalog entry, capabilities, status (admin only)', async () => {
    const v = await tc.req('GET', '/metric/');
    assert.equal(v.status, 200);
    assert.equal(v.body.versions[0].id, 'v1.0');
    const cat = await tc.req('GET', '/identity/v3/auth/catalog', { token: demo });
    assert.ok(cat.body.catalog.some((s: any) => s.type === 'metric' && s.name === 'gnocchi' && s.endpoints[0].url.endsWith('/metric')));
    const caps = await req('GET', '/capabilities', demo);
    assert.ok(caps.body.aggregation_methods.includes('rate:mean'));
    assertGnocchiError(await req('GET', '/status', demo), 403);
    const st = await req('GET', '/status', admin);
    assert.equal(st.body.storage.summary.measures, 0);
  });

  test('archive policies: defaults, create (admin), relative methods, in use, errors', async () => {
    const list = await req('GET', '/archive_policy', demo);
    const byName = Object.fromEntries(list.body.map((p: any) => [p.name, p]));
    assert.deepEqual(byName.medium.definition, [
      { granularity: '0:01:00', points: 10080, timespan: '7 days, 0:00:00' },
      { granularity: '1:00:00', points: 8760, timespan: '365 days, 0:00:00' },
    ]);
    assert.deepEqual(byName.bool.aggregation_methods, ['last']);
    assert.deepEqual(byName['ceilometer-low'].aggregation_methods, ['mean']);
    const name = uniqueName('ap');
    assertGnocchiError(await req('POST', '/archive_policy', demo, { name, definition: [{ granularity: 60, points: 10 }] }), 403);
    const made = await req('POST', '/archive_policy', admin, { name, back_window: 0, definition: [{ granularity: '1 minute', timespan: '1 hour' }], aggregation_methods: ['-std', '+p95'] });
    assert.equal(made.status, 201, made.text);
    assert.deepEqual(made.body.definition, [{ granularity: '0:01:00', points: 60, timespan: '1:00:00' }]);
    assert.deepEqual([...made.body.aggregation_methods].sort(), ['count', 'max', 'mean', 'min', 'p95', 'sum']);
    assertGnocchiError(await req('POST', '/archive_policy', admin, { name, definition: [{ granularity: 60, points: 10 }] }), 409, /already exists/);
    const m = await newMetric(demo, name);
    assertGnocchiError(await req('DELETE', `/archive_policy/${name}`, admin), 400, /still in use/);
    const upd = await req('PATCH', `/archive_policy/${name}`, admin, { definition: [{ granularity: '1 minute', timespan: '2 hours' }] });
    assert.equal(upd.body.definition[0].points, 120);
    assertGnocchiError(await req('PATCH', `/archive_policy/${name}`, admin, { definition: [{ granularity: 30, points: 10 }] }), 400, /granularities/);
    assert.equal((await req('DELETE', `/metric/${m}`, demo)).status, 204);
    assert.equal((await req('DELETE', `/archive_policy/${name}`, admin)).status, 204);
    assertGnocchiError(await req('GET', `/archive_policy/${name}`, demo), 404, /Archive policy .* does not exist/);
    for (const bad of [{}, { name: 'x y', definition: [] }, { name: 'b1', definition: [{ granularity: 60 }] }, { name: 'b2', definition: [{ granularity: 'soon', points: 1 }] }, { name: 'b3', definition: [{ granularity: 60, points: 2 }, { granularity: 60, points: 3 }] }, { name: 'b4', definition: [{ granularity: 60, points: 2 }], aggregation_methods: ['avg'] }, { name: 'b5', definition: 'x' }, { name: 'b6', definition: [{ granularity: 60, points: 2 }], back_window: -1 }]) {
      assertGnocchiError(await req('POST', '/archive_policy', admin, bad), 400, /Invalid input/);
    }
  });

  test('archive policy rules pick the policy of a metric without one', async () => {
    const name = uniqueName('rule');
    assertGnocchiError(await req('POST', '/archive_policy_rule', demo, { name, metric_pattern: 'x.*', archive_policy_name: 'high' }), 403);
    const r = await req('POST', '/archive_policy_rule', admin, { name, metric_pattern: `${name}.*`, archive_policy_name: 'high' });
    assert.equal(r.status, 201, r.text);
    const m = await req('POST', '/metric', demo, { name: `${name}.latency` });
    assert.equal(m.body.archive_policy.name, 'high');
    const d = await req('POST', '/metric', demo, { name: 'anything-else' });
    assert.equal(d.body.archive_policy.name, 'low');
    assertGnocchiError(await req('POST', '/archive_policy_rule', admin, { name, metric_pattern: '*', archive_policy_name: 'low' }), 409, /Archive policy rule .* already exists/);
    assert.equal((await req('DELETE', `/archive_policy_rule/${name}`, admin)).status, 204);
    assertGnocchiError(await req('GET', `/archive_policy_rule/${name}`, admin), 404, /Archive policy rule .* does not exist/);
  });

  test('resource types: builtin instance, custom create/patch/delete, in use', async () => {
    const inst = await req('GET', '/resource_type/instance', demo);
    assert.deepEqual(inst.body.attributes.display_name, { type: 'string', required: true, min_length: 0, max_length: 255 });
    const name = uniqueName('rt').replace(/-/g, '_');
    assertGnocchiError(await req('POST', '/resource_type', demo, { name, attributes: {} }), 403);
    const t = await req('POST', '/resource_type', admin, { name, attributes: { size: { type: 'number', required: false, min: 0 }, label: { type: 'string', required: true, max_length: 8 } } });
    assert.equal(t.status, 201, t.text);
    assert.deepEqual(t.body.attributes.size, { type: 'number', required: false, min: 0, max: null });
    const r = await req('POST', `/resource/${name}`, demo, { id: uuidOf(1), label: 'abc', size: 3 });
    assert.equal(r.status, 201, r.text);
    assertGnocchiError(await req('POST', `/resource/${name}`, demo, { id: uuidOf(2), label: 'way too long label' }), 400, /length/);
    assertGnocchiError(await req('POST', `/resource/${name}`, demo, { id: uuidOf(3), label: 'a', size: -1 }), 400);
    assertGnocchiError(await req('POST', `/resource/${name}`, demo, { id: uuidOf(4), size: 1 }), 400, /required key not provided/);
    const p = await tc.req('PATCH', `${V1}/resource_type/${name}`, { token: admin, body: [{ op: 'add', path: '/attributes/zone', value: { type: 'string', required: true, options: { fill: 'z1' } } }], headers: { 'content-type': 'application/json-patch+json' } });
    assert.equal(p.status, 200, p.text);
    const again = await req('GET', `/resource/${name}/${uuidOf(1)}`, demo);
    assert.equal(again.body.zone, 'z1');
    assertGnocchiError(await req('DELETE', `/resource_type/${name}`, admin), 400, /still in use/);
    assert.equal((await req('DELETE', `/resource/${name}/${uuidOf(1)}`, demo)).status, 204);
    assert.equal((await req('DELETE', `/resource_type/${name}`, admin)).status, 204);
    assertGnocchiError(await req('GET', `/resource_type/${name}`, demo), 404, /Resource type .* does not exist/);
  });

  test('resources: create with metrics, non-UUID ids, history, project scoping', async () => {
    const orig = uniqueName('disk');
    const r = await req('POST', '/resource/generic', demo, { id: orig, project_id: 'p-demo', metrics: { 'disk.size': { archive_policy_name: 'low' } } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.original_resource_id, orig);
    assert.match(r.body.id, /^[0-9a-f-]{36}$/);
    assert.ok(r.headers.get('location')?.endsWith(`/metric/v1/resource/generic/${r.body.id}`));
    assert.deepEqual(Object.keys(r.body.metrics), ['disk.size']);
    assert.equal((await req('GET', `/resource/generic/${orig}`, demo)).body.id, r.body.id);
    assertGnocchiError(await req('POST', '/resource/generic', demo, { id: orig }), 409, /Resource .* already exists/);
    const u = await req('PATCH', `/resource/generic/${r.body.id}`, demo, { user_id: 'u2' });
    assert.equal(u.status, 200, u.text);
    const h = await req('GET', `/resource/generic/${r.body.id}/history`, demo);
    assert.equal(h.body.length, 2);
    assert.equal(h.body[0].user_id, null);
    assert.equal(h.body[0].revision_end, h.body[1].revision_start);
    assert.equal(h.body[1].user_id, 'u2');
    // alt_demo neither sees nor changes demo's resource.
    assertGnocchiError(await req('GET', `/resource/generic/${r.body.id}`, alt), 403, /Access was denied/);
    assertGnocchiError(await req('PATCH', `/resource/generic/${r.body.id}`, alt, { user_id: 'x' }), 403);
    const altList = await req('GET', '/resource/generic', alt);
    assert.ok(!altList.body.some((x: any) => x.id === r.body.id));
    assert.ok((await req('GET', '/resource/generic', admin)).body.some((x: any) => x.id === r.body.id));
    // Metric of the resource by name; 409 on a second one of the same name.
    const mm = await req('GET', `/resource/generic/${r.body.id}/metric/disk.size`, demo);
    assert.equal(mm.body.archive_policy.name, 'low');
    const dup = await req('POST', `/resource/generic/${r.body.id}/metric`, demo, { 'disk.size': { archive_policy_name: 'low' } });
    assertGnocchiError(dup, 409, /Named metric disk.size already exist/);
    assert.equal((await req('DELETE', `/resource/generic/${r.body.id}`, demo)).status, 204);
    assertGnocchiError(await req('GET', `/metric/${r.body.metrics['disk.size']}`, demo), 404, /Metric .* does not exist/);
  });

  test('search: every operator, the string form, sort and limit', async () => {
    const tag = uniqueName('s');
    const mk = (n: number, flavor: string, host: string) => req('POST', '/resource/instance', demo, { id: uuidOf(1000 + n + Math.floor(Math.random() * 1e6) * 10), display_name: `${tag}-${n}`, flavor_id: flavor, host, project_id: 'p1' });
    const made = await Promise.all([mk(1, '1', 'a'), mk(2, '2', 'b'), mk(3, '3', 'a')]);
    for (const m of made) assert.equal(m.status, 201, m.text);
    const names = async (filter: unknown, qs = '') => (await req('POST', `/search/resource/instance${qs}`, demo, filter)).body.map((x: any) => x.display_name).sort();
    const mine = { like: { display_name: `${tag}-%` } };
    assert.deepEqual(await names({ and: [mine, { '=': { host: 'a' } }] }), [`${tag}-1`, `${tag}-3`]);
    assert.deepEqual(await names({ and: [mine, { '!=': { host: 'a' } }] }), [`${tag}-2`]);
    assert.deepEqual(await names({ and: [mine, { in: { flavor_id: ['1', '2'] } }] }), [`${tag}-1`, `${tag}-2`]);
    assert.deepEqual(await names({ and: [mine, { '>': { flavor_id: '1' } }, { '<': { flavor_id: '3' } }] }), [`${tag}-2`]);
    assert.deepEqual(await names({ and: [mine, { not: { eq: { host: 'a' } } }] }), [`${tag}-2`]);
    assert.deepEqual(await names({ and: [mine, { or: [{ '=': { flavor_id: '1' } }, { '=': { flavor_id: '2' } }] }] }), [`${tag}-1`, `${tag}-2`]);
    assert.deepEqual(await names({ and: [mine, { '=': { ended_at: null } }] }), [`${tag}-1`, `${tag}-2`, `${tag}-3`]);
    const qs = `?filter=${encodeURIComponent(`display_name like "${tag}-%" and (host="b" or flavor_id="3")`)}`;
    const viaString = (await tc.req('POST', `${V1}/search/resource/instance${qs}`, { token: demo })).body.map((x: any) => x.display_name).sort();
    assert.deepEqual(viaString, [`${tag}-2`, `${tag}-3`]);
    const sorted = await req('POST', `/search/resource/instance?sort=flavor_id:desc&limit=2`, demo, mine);
    assert.deepEqual(sorted.body.map((x: any) => x.flavor_id), ['3', '2']);
    assertGnocchiError(await req('POST', '/search/resource/instance', demo, { '=': { nope: 1 } }), 400, /Unknown attribute/);
    assertGnocchiError(await req('POST', '/search/resource/instance', demo, { '~': { host: 1 } }), 400);
    assertGnocchiError(await req('POST', '/search/resource/instance', demo, { and: {} }), 400);
    assertGnocchiError(await tc.req('POST', `${V1}/search/resource/instance?filter=${encodeURIComponent('host = ')}`, { token: demo }), 400, /Invalid filter/);
    assertGnocchiError(await req('POST', '/search/resource/instance?sort=bogus:up', demo, mine), 400, /Invalid sort/);
  });

  test('measures: aggregation per granularity, start/stop, resample, back-fill dropped, rate', async () => {
    const id = await newMetric(demo, 'medium');
    const post = (ms: unknown) => req('POST', `/metric/${id}/measures`, demo, ms);
    assert.equal((await post([{ timestamp: '2024-05-01T12:00:10Z', value: 1 }, { timestamp: '2024-05-01T12:00:50Z', value: 3 }, { timestamp: 1714564930, value: 8 }])).status, 202);
    const all = await req('GET', `/metric/${id}/measures`, demo);
    assert.deepEqual(all.body, [
      ['2024-05-01T12:00:00+00:00', 3600, 4],
      ['2024-05-01T12:00:00+00:00', 60, 2],
      ['2024-05-01T12:02:00+00:00', 60, 8],
    ]);
    const max60 = await req('GET', `/metric/${id}/measures?aggregation=max&granularity=60&start=2024-05-01T12:01:00`, demo);
    assert.deepEqual(max60.body, [['2024-05-01T12:02:00+00:00', 60, 8]]);
    const stop = await req('GET', `/metric/${id}/measures?granularity=60&stop=2024-05-01T12:02:00Z`, demo);
    assert.deepEqual(stop.body, [['2024-05-01T12:00:00+00:00', 60, 2]]);
    const rs = await req('GET', `/metric/${id}/measures?granularity=60&resample=300&aggregation=count`, demo);
    assert.deepEqual(rs.body, [['2024-05-01T12:00:00+00:00', 300, 3]]);
    // Older than the current block (the hour of the newest measure): dropped, as Gnocchi does.
    assert.equal((await post([{ timestamp: '2024-05-01T10:00:00Z', value: 100 }])).status, 202);
    const after = await req('GET', `/metric/${id}/measures?granularity=3600`, demo);
    assert.deepEqual(after.body, [['2024-05-01T12:00:00+00:00', 3600, 4]]);
    assertGnocchiError(await req('GET', `/metric/${id}/measures?aggregation=p95`, demo), 404, /Aggregation method 'p95' at granularity/);
    assertGnocchiError(await req('GET', `/metric/${id}/measures?granularity=7`, demo), 404);
    assertGnocchiError(await req('GET', `/metric/${id}/measures?aggregation=bogus`, demo), 400);
    assertGnocchiError(await req('GET', `/metric/${id}/measures?start=yesterdayish`, demo), 400);
    assertGnocchiError(await req('GET', `/metric/${id}/measures?resample=300`, demo), 400, /granularity/);
    assertGnocchiError(await req('GET', `/metric/${id}/measures`, alt), 403);
    assertGnocchiError(await req('POST', `/metric/${id}/measures`, alt, [{ timestamp: '2024-05-01T12:00:00Z', value: 1 }]), 403);
    // rate:mean on a counter.
    const pol = uniqueName('rate');
    assert.equal((await req('POST', '/archive_policy', admin, { name: pol, definition: [{ granularity: 60, points: 100 }], aggregation_methods: ['mean', 'rate:mean', 'rate:last'] })).status, 201);
    const c = await newMetric(demo, pol);
    await req('POST', `/metric/${c}/measures`, demo, [0, 60, 120, 180].map((s, i) => ({ timestamp: 1714564800 + s, value: [10, 40, 100, 100][i] })));
    const rate = await req('GET', `/metric/${c}/measures?aggregation=rate:mean`, demo);
    assert.deepEqual(rate.body.map((r: any) => r[2]), [30, 60, 0]);
  });

  test('bad measures bodies get Gnocchi errors, never 500, and write nothing', async () => {
    const id = await newMetric(demo, 'low');
    const bads: unknown[] = [{}, 'x', [1], [{ value: 1 }], [{ timestamp: 'nope', value: 1 }], [{ timestamp: '2024-01-01', value: 'abc' }], [{ timestamp: '2024-01-01', value: null }], [{ timestamp: '2024-01-01', value: 1 }, { timestamp: '2024-01-01' }], [{ timestamp: {}, value: 1 }], [{ timestamp: '2024-13-45T99:00:00', value: 1 }]];
    for (const b of bads) assertGnocchiError(await req('POST', `/metric/${id}/measures`, demo, b), 400, /Invalid input/);
    const raw = await tc.req('POST', `${V1}/metric/${id}/measures`, { token: demo, raw: '[{"timestamp": ', headers: { 'content-type': 'application/json' } });
    assertGnocchiError(raw, 400);
    assert.deepEqual((await req('GET', `/metric/${id}/measures`, demo)).body, []);
    for (const [m, p, b] of [['POST', '/metric', { archive_policy_name: 'nope' }], ['POST', '/metric', { archive_policy_name: 'low', extra: 1 }], ['POST', '/metric', { archive_policy_name: 5 }], ['POST', '/metric', []], ['GET', '/metric/not-a-uuid', undefined], ['POST', '/resource/generic', { id: 'a/b' }], ['POST', '/resource/generic', { id: 5 }], ['POST', '/resource/nope', { id: 'x' }], ['POST', '/resource/generic', { id: uniqueName('x'), started_at: 'never' }], ['PATCH', `/resource/generic/${uuidOf(9)}`, { user_id: 'x' }], ['POST', '/aggregates', { operations: '(metric' }], ['POST', '/aggregates', { operations: '(frobnicate 1)' }], ['POST', '/aggregates', {}], ['POST', '/batch/metrics/measures', []], ['POST', '/batch/metrics/measures', { [uuidOf(77)]: [] }], ['GET', '/metric?limit=-1', undefined]] as [string, string, unknown][]) {
      const r = await req(m, p, demo, b);
      assert.ok(r.status >= 400 && r.status < 500, `${m} ${p} ${JSON.stringify(b)} → ${r.status} ${r.text}`);
      assertGnocchiError(r, r.status);
    }
  });

  test('batch: metrics and resources (create_metrics), unknown names listed, all or nothing', async () => {
    const a = await newMetric(demo, 'low');
    const b = await newMetric(demo, 'low');
    const ts = '2024-05-01T12:00:00Z';
    assert.equal((await req('POST', '/batch/metrics/measures', demo, { [a]: [{ timestamp: ts, value: 1 }], [b]: [{ timestamp: ts, value: 2 }] })).status, 202);
    assert.deepEqual((await req('GET', `/metric/${b}/measures`, demo)).body, [['2024-05-01T12:00:00+00:00', 300, 2]]);
    const unknown = uuidOf(4242);
    assertGnocchiError(await req('POST', '/batch/metrics/measures', demo, { [a]: [{ timestamp: '2024-05-01T12:10:00Z', value: 9 }], [unknown]: [] }), 400, new RegExp(`Unknown metrics: ${unknown}`));
    assert.equal((await req('GET', `/metric/${a}/measures`, demo)).body.length, 1);
    const orig = uniqueName('host');
    assert.equal((await req('POST', '/resource/generic', demo, { id: orig })).status, 201);
    assertGnocchiError(await req('POST', '/batch/resources/metrics/measures', demo, { [orig]: { load: [{ timestamp: ts, value: 1 }] } }), 400, /Unknown metrics/);
    const ok = await req('POST', '/batch/resources/metrics/measures?create_metrics=true', demo, { [orig]: { load: { archive_policy_name: 'medium', measures: [{ timestamp: ts, value: 0.5 }] } } });
    assert.equal(ok.status, 202, ok.text);
    const m = await req('GET', `/resource/generic/${orig}/metric/load/measures?granularity=60`, demo);
    assert.deepEqual(m.body, [['2024-05-01T12:00:00+00:00', 60, 0.5]]);
  });

  test('aggregates: metrics, arithmetic, search with groupby, details; MetricSource port', async () => {
    const tag = uniqueName('agg');
    const ids: string[] = [];
    for (const [i, proj] of [[1, 'pa'], [2, 'pa'], [3, 'pb']] as const) {
      const r = await req('POST', '/resource/instance', demo, { id: uuidOf(5_000_000 + i + Math.floor(Math.random() * 1e6) * 10), display_name: `${tag}-${i}`, flavor_id: '1', host: 'h', project_id: proj, metrics: { cpu_util: { archive_policy_name: 'low' } } });
      assert.equal(r.status, 201, r.text);
      ids.push(r.body.id);
      await req('POST', `/resource/instance/${r.body.id}/metric/cpu_util/measures`, demo, [{ timestamp: '2024-05-01T12:00:00Z', value: i * 10 }, { timestamp: '2024-05-01T12:05:00Z', value: i * 20 }]);
    }
    const r0 = await req('GET', `/resource/instance/${ids[0]}`, demo);
    const m0 = r0.body.metrics.cpu_util;
    const one = await req('POST', '/aggregates', demo, { operations: `(metric ${m0} mean)` });
    assert.deepEqual(one.body.measures[m0].mean.map((x: any) => x[2]), [10, 20]);
    const arith = await req('POST', '/aggregates?details=true', demo, { operations: `(* 2 (+ (metric ${m0} mean) 1))` });
    assert.deepEqual(arith.body.measures[m0].mean.map((x: any) => x[2]), [22, 42]);
    assert.equal(arith.body.references[0].id, m0);
    const search = { like: { display_name: `${tag}-%` } };
    const sum = await req('POST', '/aggregates', demo, { operations: '(aggregate sum (metric cpu_util mean))', search, resource_type: 'instance' });
    assert.deepEqual(sum.body.measures.aggregated.map((x: any) => x[2]), [60, 120]);
    const per = await req('POST', '/aggregates', demo, { operations: '(metric cpu_util max)', search: `display_name like "${tag}-%"`, resource_type: 'instance' });
    assert.deepEqual(Object.keys(per.body.measures).sort(), [...ids].sort());
    assert.deepEqual(per.body.measures[ids[2]!].cpu_util.max.map((x: any) => x[2]), [30, 60]);
    const p95 = await req('POST', '/aggregates', demo, { operations: '(metric cpu_util p95)', search, resource_type: 'instance' });
    assertGnocchiError(p95, 404, /Aggregation method 'p95'/);
    const grouped = await req('POST', '/aggregates?groupby=project_id', demo, { operations: '(aggregate mean (metric cpu_util mean))', search, resource_type: 'instance' });
    const byProject = Object.fromEntries(grouped.body.map((g: any) => [g.group.project_id, g.measures.measures.aggregated.map((x: any) => x[2])]));
    assert.deepEqual(byProject, { pa: [15, 30], pb: [30, 60] });
    // The port the alarm service reads through.
    const src = metricSource(tc.cloud.metric.logic);
    const start = '2024-05-01T00:00:00+00:00';
    assert.deepEqual(await src.resourceMeasures({ resourceType: 'instance', resourceId: ids[1]!, metric: 'cpu_util', aggregation: 'mean', granularity: 300, start }), [['2024-05-01T12:00:00+00:00', 300, 20], ['2024-05-01T12:05:00+00:00', 300, 40]]);
    assert.deepEqual(await src.resourceMeasures({ resourceType: 'instance', resourceId: uuidOf(1), metric: 'cpu_util', aggregation: 'mean', granularity: 300, start }), []);
    assert.deepEqual(await src.resourceMeasures({ resourceType: 'instance', resourceId: ids[1]!, metric: 'nope', aggregation: 'mean', granularity: 300, start }), []);
    assert.deepEqual(await src.resourceMeasures({ resourceType: 'instance', resourceId: ids[1]!, metric: 'cpu_util', aggregation: 'p95', granularity: 300, start }), []);
    const m1 = (await req('GET', `/resource/instance/${ids[1]}`, demo)).body.metrics.cpu_util;
    assert.deepEqual((await src.metricsAggregate({ metricIds: [m0, m1], aggregation: 'mean', granularity: 300, start, stop: '2024-05-01T12:05:00+00:00' })).map((r) => r[2]), [15]);
    assert.deepEqual(await src.metricsAggregate({ metricIds: [uuidOf(31337)], aggregation: 'mean', granularity: 300, start }), []);
    const rows = await src.resourcesAggregate({ resourceType: 'instance', metric: 'cpu_util', query: { and: [search, { '=': { project_id: 'pa' } }] }, aggregation: 'mean', granularity: 300, start });
    assert.deepEqual(rows.map((r) => r[2]), [15, 30]);
    assert.deepEqual(await src.resourcesAggregate({ resourceType: 'instance', metric: 'cpu_util', query: { '=': { display_name: 'nobody' } }, aggregation: 'mean', granularity: 300, start }), []);
  });
});

test('measures survive a restart of a SQLite cloud (acknowledged = committed)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-metric-'));
  try {
    let tc = await startTestCloud({ dataDir: dir, config: {} });
    let id: string;
    try {
      const t = await tc.token('demo');
      const m = await tc.req('POST', `${V1}/metric`, { token: t, body: { archive_policy_name: 'medium' } });
      id = m.body.id;
      const measures = Array.from({ length: 500 }, (_, i) => ({ timestamp: 1714564800 + i * 10, value: i }));
      await Promise.all([0, 1, 2, 3, 4].map((k) => tc.req('POST', `${V1}/metric/${id}/measures`, { token: t, body: measures.slice(k * 100, k * 100 + 100) })));
    } finally {
      await tc.close();
    }
    tc = await startTestCloud({ dataDir: dir, config: {} });
    try {
      const t = await tc.token('demo');
      const r = await tc.req('GET', `${V1}/metric/${id}/measures?granularity=60&aggregation=count`, { token: t });
      assert.equal(r.body.reduce((n: number, x: any) => n + x[2], 0), 500);
    } finally {
      await tc.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
