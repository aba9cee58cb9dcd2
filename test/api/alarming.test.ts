// The alarming API (Aodh v2 at /alarming) over real HTTP against an in-process cloud.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCloud, uniqueName, type Res, type TestCloud } from '../support/cloud.js';

const A = '/alarming/v2';

/** Aodh's error shape: {"error_message": {"faultcode", "faultstring", "debuginfo"}}. */
function assertFault(r: Res, status: number, match?: RegExp): void {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text.slice(0, 300)}`);
  const e = r.body?.error_message;
  assert.ok(e && typeof e === 'object', `error_message in ${r.text.slice(0, 300)}`);
  assert.deepEqual(Object.keys(e).sort(), ['debuginfo', 'faultcode', 'faultstring']);
  assert.equal(e.faultcode, status >= 500 ? 'Server' : 'Client');
  assert.equal(typeof e.faultstring, 'string');
  if (match) assert.match(e.faultstring, match);
}

function rule(over: Record<string, unknown> = {}) {
  return { metric: 'cpu', resource_id: 'vm1', resource_type: 'instance', threshold: 80, aggregation_method: 'mean', comparison_operator: 'gt', ...over };
}

function alarm(name: string, over: Record<string, unknown> = {}) {
  return { name, type: 'gnocchi_resources_threshold', gnocchi_resources_threshold_rule: rule(), ...over };
}

describe('alarming API', () => {
  let c: TestCloud;
  let demo: string;
  let alt: string;
  let admin: string;

  before(async () => {
    c = await startTestCloud();
    [demo, alt, admin] = await Promise.all([c.token('demo'), c.token('alt_demo'), c.token('admin')]);
  });
  after(() => c?.close());

  const create = async (token: string, body: unknown) => {
    const r = await c.req('POST', `${A}/alarms`, { token, body });
    assert.equal(r.status, 201, r.text);
    return r.body;
  };

  it('serves the version document and is in the catalog as alarming/aodh', async () => {
    const r = await c.req('GET', '/alarming/');
    assert.equal(r.status, 200);
    const v = r.body.versions.values[0];
    assert.equal(v.id, 'v2');
    assert.equal(v.status, 'stable');
    assert.equal(v.links[0].href, `${c.url}/alarming/v2`);
    const cat = await c.req('GET', '/identity/v3/auth/catalog', { token: demo });
    const svc = cat.body.catalog.find((s: any) => s.type === 'alarming');
    assert.equal(svc.name, 'aodh');
    assert.ok(svc.endpoints.every((e: any) => e.url === `${c.url}/alarming`));
    assertFault(await c.req('GET', `${A}/alarms`), 401);
  });

  it('creates, shows, replaces and deletes an alarm with Aodh keys and defaults', async () => {
    const name = uniqueName('cpu');
    const r = await c.req('POST', `${A}/alarms`, { token: demo, body: alarm(name, { alarm_actions: ['http://127.0.0.1:9/a', 'http://127.0.0.1:9/a'], severity: 'critical' }) });
    assert.equal(r.status, 201);
    const a = r.body;
    assert.equal(r.headers.get('location'), `${c.url}/alarming/v2/alarms/${a.alarm_id}`);
    assert.deepEqual(Object.keys(a).sort(), [
      'alarm_actions', 'alarm_id', 'description', 'enabled', 'evaluate_timestamp', 'gnocchi_resources_threshold_rule', 'insufficient_data_actions', 'name', 'ok_actions',
      'project_id', 'repeat_actions', 'severity', 'state', 'state_reason', 'state_timestamp', 'time_constraints', 'timestamp', 'type', 'user_id',
    ]);
    assert.deepEqual(a.gnocchi_resources_threshold_rule, { ...rule(), granularity: 60, evaluation_periods: 1 });
    assert.deepEqual([a.state, a.state_reason, a.enabled, a.repeat_actions, a.description], ['insufficient data', 'Not evaluated yet', true, false, 'gnocchi_resources_threshold alarm rule']);
    assert.deepEqual(a.alarm_actions, ['http://127.0.0.1:9/a'], 'duplicates dropped');
    assert.match(a.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);

    const shown = await c.req('GET', `${A}/alarms/${a.alarm_id}`, { token: demo });
    assert.deepEqual(shown.body, a);

    const put = await c.req('PUT', `${A}/alarms/${a.alarm_id}`, { token: demo, body: { ...a, gnocchi_resources_threshold_rule: rule({ threshold: 95 }), state: 'ok', enabled: false } });
    // (disabled: the evaluator, which reads no measures in this cloud, must not move the state)
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.gnocchi_resources_threshold_rule.threshold, 95);
    assert.deepEqual([put.body.state, put.body.state_reason], ['ok', 'Manually set via API']);

    const hist = await c.req('GET', `${A}/alarms/${a.alarm_id}/history`, { token: demo });
    assert.deepEqual(hist.body.map((h: any) => h.type), ['rule change', 'creation']);
    const change = JSON.parse(hist.body[0].detail);
    assert.deepEqual(Object.keys(change).sort(), ['enabled', 'rule', 'state', 'state_reason']);
    assert.equal(JSON.parse(hist.body[1].detail).rule.threshold, 80);

    const del = await c.req('DELETE', `${A}/alarms/${a.alarm_id}`, { token: demo });
    assert.equal(del.status, 204);
    assertFault(await c.req('GET', `${A}/alarms/${a.alarm_id}`, { token: demo }), 404, new RegExp(`^Alarm ${a.alarm_id} not found$`));
    const search = await c.req('POST', `${A}/query/alarms/history`, { token: demo, body: { filter: JSON.stringify({ '=': { alarm_id: a.alarm_id } }) } });
    assert.deepEqual(search.body.map((h: any) => h.type), ['deletion', 'rule change', 'creation']);
  });

  it('gets and sets the state as a bare JSON string, recording a transition', async () => {
    const a = await create(demo, alarm(uniqueName('st'), { enabled: false }));
    const g = await c.req('GET', `${A}/alarms/${a.alarm_id}/state`, { token: demo });
    assert.equal(g.status, 200);
    assert.equal(g.body, 'insufficient data');
    const s = await c.req('PUT', `${A}/alarms/${a.alarm_id}/state`, { token: demo, raw: '"alarm"', headers: { 'content-type': 'application/json' } });
    assert.equal(s.status, 200);
    assert.equal(s.body, 'alarm');
    assertFault(await c.req('PUT', `${A}/alarms/${a.alarm_id}/state`, { token: demo, raw: '"bogus"', headers: { 'content-type': 'application/json' } }), 400, /Value should be one of: alarm, insufficient data, ok/);
    const h = await c.req('GET', `${A}/alarms/${a.alarm_id}/history?q.field=type&q.op=eq&q.value=state%20transition`, { token: demo });
    assert.deepEqual(h.body.map((x: any) => [x.type, JSON.parse(x.detail).state]), [['state transition', 'alarm']]);
  });

  it('lists the caller project with q filters, sort, limit and marker; admin with all_projects', async () => {
    const tag = uniqueName('l');
    const made: any[] = [];
    for (const [i, sev] of (['low', 'critical', 'moderate'] as const).entries()) made.push(await create(demo, alarm(`${tag}-${i}`, { severity: sev })));
    const other = await create(alt, alarm(`${tag}-alt`));
    const byName = await c.req('GET', `${A}/alarms?q.field=name&q.op=eq&q.value=${tag}-1`, { token: demo });
    assert.deepEqual(byName.body.map((a: any) => a.alarm_id), [made[1].alarm_id]);
    const mine = (await c.req('GET', `${A}/alarms?sort=name:asc`, { token: demo })).body.filter((a: any) => a.name.startsWith(tag));
    assert.deepEqual(mine.map((a: any) => a.name), [`${tag}-0`, `${tag}-1`, `${tag}-2`]);
    const sev = (await c.req('GET', `${A}/alarms?sort=severity:desc`, { token: demo })).body.filter((a: any) => a.name.startsWith(tag));
    assert.deepEqual(sev.map((a: any) => a.severity), ['critical', 'moderate', 'low']);
    const page1 = await c.req('GET', `${A}/alarms?sort=name:asc&limit=1&q.field=severity&q.value=critical`, { token: demo });
    assert.equal(page1.body.length, 1);
    const all = (await c.req('GET', `${A}/alarms?sort=name:asc`, { token: demo })).body;
    const i = all.findIndex((a: any) => a.alarm_id === made[0].alarm_id);
    const after = await c.req('GET', `${A}/alarms?sort=name:asc&marker=${made[0].alarm_id}&limit=2`, { token: demo });
    assert.deepEqual(after.body.map((a: any) => a.alarm_id), all.slice(i + 1, i + 3).map((a: any) => a.alarm_id));
    assert.ok(!all.some((a: any) => a.alarm_id === other.alarm_id), 'another project is not listed');
    assertFault(await c.req('GET', `${A}/alarms?marker=nope`, { token: demo }), 400, /Marker nope not found/);

    const adminAll = await c.req('GET', `${A}/alarms?q.field=all_projects&q.value=true`, { token: admin });
    assert.ok(adminAll.body.some((a: any) => a.alarm_id === other.alarm_id));
    assertFault(await c.req('GET', `${A}/alarms?q.field=all_projects&q.value=true`, { token: demo }), 403);
    assertFault(await c.req('GET', `${A}/alarms?q.field=project_id&q.value=${other.project_id}`, { token: demo }), 401, /Not Authorized to access project/);
    assertFault(await c.req('GET', `${A}/alarms?q.field=bogus&q.value=1`, { token: demo }), 400, /only fields .* are allowed/);
    assertFault(await c.req('GET', `${A}/alarms?q.field=name&q.op=gt&q.value=1`, { token: demo }), 400, /only operations \{'eq'\} are allowed/);
    assertFault(await c.req('GET', `${A}/alarms?sort=bogus`, { token: demo }), 400, /supported sort keys/);
    assertFault(await c.req('GET', `${A}/alarms?limit=0`, { token: demo }), 400, /positive integer/);
  });

  it('scopes by project: another project gets 404, admin sees and changes any alarm', async () => {
    const a = await create(demo, alarm(uniqueName('scope')));
    for (const [m, p] of [['GET', ''], ['GET', '/state'], ['GET', '/history'], ['DELETE', '']] as const) {
      assertFault(await c.req(m, `${A}/alarms/${a.alarm_id}${p}`, { token: alt }), 404, /not found/);
    }
    assertFault(await c.req('PUT', `${A}/alarms/${a.alarm_id}`, { token: alt, body: alarm('x') }), 404);
    assert.equal((await c.req('GET', `${A}/alarms/${a.alarm_id}`, { token: admin })).status, 200);
    const s = await c.req('PUT', `${A}/alarms/${a.alarm_id}/state`, { token: admin, raw: '"ok"', headers: { 'content-type': 'application/json' } });
    assert.equal(s.body, 'ok');
    // Names are unique per project only.
    assert.equal((await c.req('POST', `${A}/alarms`, { token: alt, body: alarm(a.name) })).status, 201);
    assertFault(await c.req('POST', `${A}/alarms`, { token: demo, body: alarm(a.name) }), 409, /Alarm with name='.*' exists/);
    // A non-admin may not create for another project or use log:// actions; an admin may.
    const altProject = (await c.req('GET', `${A}/alarms`, { token: alt })).body[0].project_id;
    assertFault(await c.req('POST', `${A}/alarms`, { token: demo, body: alarm(uniqueName('x'), { project_id: altProject }) }), 401, /Not Authorized to access project/);
    assertFault(await c.req('POST', `${A}/alarms`, { token: demo, body: alarm(uniqueName('x'), { ok_actions: ['log://'] }) }), 401, /not authorized to create action: log:\/\//);
    const forAlt = await create(admin, alarm(uniqueName('foralt'), { project_id: altProject, ok_actions: ['log://'] }));
    assert.equal(forAlt.project_id, altProject);
    assert.ok((await c.req('GET', `${A}/alarms`, { token: alt })).body.some((x: any) => x.alarm_id === forAlt.alarm_id));
  });

  it('complex queries: filter, orderby, limit, scoped to the project', async () => {
    const tag = uniqueName('q');
    for (const [i, t] of [70, 90, 80].entries()) await create(demo, alarm(`${tag}-${i}`, { gnocchi_resources_threshold_rule: rule({ threshold: t }), enabled: i !== 1 }));
    const q = (token: string, body: unknown) => c.req('POST', `${A}/query/alarms`, { token, body });
    const r = await q(demo, { filter: JSON.stringify({ and: [{ '=~': { name: `^${tag}` } }, { '=': { enabled: true } }] }), orderby: JSON.stringify([{ name: 'DESC' }]), limit: 5 });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.map((a: any) => a.name), [`${tag}-2`, `${tag}-0`]);
    const inQ = await q(demo, { filter: JSON.stringify({ in: { name: [`${tag}-0`, `${tag}-1`] } }) });
    assert.equal(inQ.body.length, 2);
    const not = await q(demo, { filter: JSON.stringify({ and: [{ '=~': { name: `^${tag}` } }, { not: { '=': { name: `${tag}-0` } } }] }) });
    assert.equal(not.body.length, 2);
    assert.equal((await q(alt, { filter: JSON.stringify({ '=~': { name: `^${tag}` } }) })).body.length, 0, 'other projects see nothing');
    assertFault(await q(demo, { filter: '{"=": {"bogus": 1}}' }), 400, /^Filter expression not valid: 'bogus' is not a queryable field/);
    assertFault(await q(demo, { filter: '{"and": [{"=": {"name": "x"}}]}' }), 400, /Filter expression not valid/);
    assertFault(await q(demo, { filter: 'not json' }), 400, /Filter expression not valid/);
    assertFault(await q(demo, { orderby: '[{"name": "sideways"}]' }), 400, /Order-by expression not valid/);
    assertFault(await q(demo, { limit: 0 }), 400, /Limit should be positive/);
    assertFault(await q(demo, { filter: '{"=": {"project_id": "someone-else"}}' }), 401, /Not Authorized to access project someone-else/);
    assertFault(await q(demo, { filter: '{">": {"timestamp": "yesterday"}}' }), 400, /Failed to parse the timestamp value yesterday/);
    const since = await q(demo, { filter: JSON.stringify({ and: [{ '=~': { name: `^${tag}` } }, { '>': { timestamp: '2020-01-01T00:00:00' } }] }) });
    assert.equal(since.body.length, 3);
  });

  it('composite and aggregation rules validate and round-trip', async () => {
    const comp = { or: [{ type: 'gnocchi_resources_threshold', ...rule() }, { and: [{ type: 'gnocchi_aggregation_by_metrics_threshold', metrics: ['m1'], threshold: 1, aggregation_method: 'max' }, { type: 'gnocchi_resources_threshold', ...rule({ resource_id: 'vm2' }) }] }] };
    const a = await create(demo, { name: uniqueName('comp'), type: 'composite', composite_rule: comp });
    assert.equal(a.composite_rule.or[1].and[0].granularity, 60, 'defaults filled in sub-rules');
    assert.equal(a.composite_rule.or[1].and[0].type, 'gnocchi_aggregation_by_metrics_threshold');
    const byRes = await create(demo, { name: uniqueName('res'), type: 'gnocchi_aggregation_by_resources_threshold', gnocchi_aggregation_by_resources_threshold_rule: { metric: 'cpu', resource_type: 'instance', query: '{"=": {"ended_at": null}}', threshold: 1, aggregation_method: 'rate:mean' } });
    const q = JSON.parse(byRes.gnocchi_aggregation_by_resources_threshold_rule.query);
    assert.deepEqual(q.and[1], { '=': { ended_at: null } }, 'the query is scoped to the project');
    const again = await c.req('PUT', `${A}/alarms/${byRes.alarm_id}`, { token: demo, body: byRes });
    assert.equal(again.body.gnocchi_aggregation_by_resources_threshold_rule.query, byRes.gnocchi_aggregation_by_resources_threshold_rule.query, 'scoping is not nested on update');
  });

  it('rejects bad input with Aodh messages, never a 500', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ type: 'gnocchi_resources_threshold', gnocchi_resources_threshold_rule: rule() }, 400, /name\. Value: 'None'\. Mandatory field missing/],
      [{ name: 'x' }, 400, /type\. Value: 'None'\. Mandatory field missing/],
      [{ name: 'x', type: 'threshold', threshold_rule: {} }, 400, /type\. Value: 'threshold'\. Value should be one of/],
      [{ name: 'x', type: 'gnocchi_resources_threshold' }, 400, /^gnocchi_resources_threshold_rule must be set for gnocchi_resources_threshold type alarm$/],
      [alarm('x', { composite_rule: { and: [] } }), 400, /gnocchi_resources_threshold_rule and composite_rule cannot be set at the same time/],
      [alarm('x', { gnocchi_resources_threshold_rule: rule({ threshold: undefined }) }), 400, /threshold\. Value: 'None'\. Mandatory field missing/],
      [alarm('x', { gnocchi_resources_threshold_rule: rule({ threshold: 'high' }) }), 400, /threshold\. Value: 'high'\. Wrong type/],
      [alarm('x', { gnocchi_resources_threshold_rule: rule({ evaluation_periods: 0 }) }), 400, /evaluation_periods\. Value: '0'\. Value should be greater or equal to 1/],
      [alarm('x', { gnocchi_resources_threshold_rule: rule({ granularity: 99999999999 }) }), 400, /Value should be lower or equal to 31536000/],
      [alarm('x', { gnocchi_resources_threshold_rule: rule({ comparison_operator: '>' }) }), 400, /comparison_operator\. Value: '>'\. Value should be one of: eq, ge, gt, le, lt, ne/],
      [alarm('x', { gnocchi_resources_threshold_rule: rule({ aggregation_method: 'avg' }) }), 400, /aggregation_method should be in .* not avg/],
      [alarm('x', { gnocchi_resources_threshold_rule: rule({ bogus: 1 }) }), 400, /Unknown attribute for argument gnocchi_resources_threshold_rule: bogus/],
      [alarm('x', { bogus: 1 }), 400, /Unknown attribute for argument data: bogus/],
      [alarm('x', { state: 'firing' }), 400, /state\. Value: 'firing'/],
      [alarm('x', { severity: 'high' }), 400, /severity\. Value: 'high'\. Value should be one of: critical, low, moderate/],
      [alarm('x', { enabled: 'maybe' }), 400, /enabled\. Value: 'maybe'/],
      [alarm('x', { alarm_actions: ['ftp://host/x'] }), 400, /^Unsupported action ftp:\/\/host\/x/],
      [alarm('x', { alarm_actions: ['not a url'] }), 400, /^Unable to parse action not a url$/],
      [alarm('x', { alarm_actions: 'http://x' }), 400, /alarm_actions/],
      [alarm('x', { ok_actions: ['trust+http://id:delete@host/'] }), 400, /^trust URL cannot contain a trust ID\.$/],
      [alarm('x', { time_constraints: [{ name: 'a', start: 'every day', duration: 10 }] }), 400, /start\. Value: 'every day'/],
      [alarm('x', { time_constraints: [{ name: 'a', start: '0 23 * * *', duration: -1 }] }), 400, /duration\. Value: '-1'\. Value should be greater or equal to 0/],
      [alarm('x', { time_constraints: [{ name: 'a', start: '0 23 * * *', duration: 1, timezone: 'Mars/Olympus' }] }), 400, /^Timezone Mars\/Olympus is not valid$/],
      [alarm('x', { time_constraints: [{ name: 'a', start: '0 1 * * *', duration: 1 }, { name: 'a', start: '0 2 * * *', duration: 1 }] }), 400, /^Time constraint names must be unique for a given alarm\.$/],
      [{ name: 'x', type: 'composite', composite_rule: { xor: [] } }, 400, /^Threshold rules should be combined with "and" or "or"$/],
      [{ name: 'x', type: 'composite', composite_rule: { and: [{ threshold: 1, aggregation_method: 'mean' }, { threshold: 2, aggregation_method: 'mean' }] } }, 400, /^type must be set in every rule$/],
      [{ name: 'x', type: 'composite', composite_rule: { and: [{ type: 'threshold' }] } }, 400, /^Unsupported sub-rule type :threshold in composite rule/],
      [{ name: 'x', type: 'composite', composite_rule: [1] }, 400, /^Invalid input composite rule/],
      [{ name: 'x', type: 'gnocchi_aggregation_by_resources_threshold', gnocchi_aggregation_by_resources_threshold_rule: { metric: 'cpu', resource_type: 'instance', query: '{bad', threshold: 1, aggregation_method: 'mean' } }, 400, /rule\/query/],
      [[1, 2], 400, /data/],
      ['just a string', 400, /data/],
    ];
    for (const [body, status, re] of cases) assertFault(await c.req('POST', `${A}/alarms`, { token: demo, body }), status, re);
    assertFault(await c.req('POST', `${A}/alarms`, { token: demo, raw: '{"name": ', headers: { 'content-type': 'application/json' } }), 400, /not valid JSON/);
    assertFault(await c.req('POST', `${A}/alarms`, { token: demo, raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
    assertFault(await c.req('PATCH', `${A}/alarms`, { token: demo, body: {} }), 405);
    assertFault(await c.req('GET', `${A}/nothing-here`, { token: demo }), 404);
    assertFault(await c.req('PUT', `${A}/alarms/00000000-0000-0000-0000-000000000000`, { token: demo, body: alarm('x') }), 404);
  });

  it('capabilities and quotas', async () => {
    const cap = await c.req('GET', `${A}/capabilities`, { token: demo });
    assert.deepEqual(cap.body.api, { 'alarms:history:query:complex': true, 'alarms:history:query:simple': true, 'alarms:query:complex': true, 'alarms:query:simple': true });
    const q = await c.req('GET', `${A}/quotas`, { token: alt });
    assert.deepEqual(q.body.quotas, [{ resource: 'alarms', limit: -1 }]);
    const project = q.body.project_id;
    assertFault(await c.req('POST', `${A}/quotas`, { token: alt, body: { project_id: project, quotas: [{ resource: 'alarms', limit: 0 }] } }), 403);
    assertFault(await c.req('POST', `${A}/quotas`, { token: admin, body: { project_id: project, quotas: [{ resource: 'cpus', limit: 1 }] } }), 400, /resource/);
    const set = await c.req('POST', `${A}/quotas`, { token: admin, body: { project_id: project, quotas: [{ resource: 'alarms', limit: 0 }] } });
    assert.equal(set.status, 201);
    assertFault(await c.req('POST', `${A}/alarms`, { token: alt, body: alarm(uniqueName('q')) }), 403, /^Alarm quota exceeded for user .* on project /);
    assert.equal((await c.req('DELETE', `${A}/quotas?project_id=${project}`, { token: admin })).status, 204);
    assert.equal((await c.req('POST', `${A}/alarms`, { token: alt, body: alarm(uniqueName('q')) })).status, 201);
  });
});

describe('alarming durability', () => {
  it('keeps alarms, states and history across a restart on SQLite', async (t) => {
    const first = await startTestCloud({ sqlite: true });
    const later: TestCloud[] = [];
    t.after(async () => {
      for (const c of later) await c.close();
      await first.close().catch(() => {});
    });
    const token = await first.token('demo');
    const made = await first.req('POST', `${A}/alarms`, { token, body: alarm('durable', { enabled: false, time_constraints: [{ name: 'n', start: '0 1 * * *', duration: 60 }] }) });
    assert.equal(made.status, 201, made.text);
    await first.req('PUT', `${A}/alarms/${made.body.alarm_id}/state`, { token, raw: '"ok"', headers: { 'content-type': 'application/json' } });
    await first.cloud.close();
    const second = await startTestCloud({ dataDir: first.dataDir });
    later.push(second);
    const t2 = await second.token('demo');
    const shown = await second.req('GET', `${A}/alarms/${made.body.alarm_id}`, { token: t2 });
    assert.equal(shown.status, 200);
    assert.deepEqual([shown.body.name, shown.body.state, shown.body.time_constraints[0].start], ['durable', 'ok', '0 1 * * *']);
    const hist = await second.req('GET', `${A}/alarms/${made.body.alarm_id}/history`, { token: t2 });
    assert.deepEqual(hist.body.map((h: any) => h.type), ['state transition', 'creation']);
    assertFault(await second.req('POST', `${A}/alarms`, { token: t2, body: alarm('durable') }), 409);
  });
});
