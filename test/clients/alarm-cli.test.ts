// The real `openstack alarm …` commands (Debian's python3-aodhclient) against an in-process
// Stratus. Always spawned asynchronously: the cloud is served from this very process.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { cliEnv, onPath, requireTools, run, type RunResult } from '../support/proc.js';

const TOOLS = [{ cmd: 'openstack', debPackage: 'python3-openstackclient python3-aodhclient' }];
type Row = Record<string, any>;

/** aodhclient plugs `alarm` into openstack; without it `openstack alarm` is an unknown command. */
const AODHCLIENT = existsSync('/usr/lib/python3/dist-packages/aodhclient');

if (!TOOLS.every((x) => onPath(x.cmd)) || !AODHCLIENT) {
  test('openstack alarm commands against Stratus', (t) => {
    if (!requireTools(t, TOOLS)) return;
    const msg = 'python3-aodhclient is not installed: apt-get install -y python3-aodhclient (or scripts/install-deps)';
    if (process.env.CI === 'true') assert.fail(msg);
    t.skip(msg);
  });
} else {
  describe('openstack alarm commands against Stratus', { concurrency: 4, timeout: 300_000 }, () => {
    let tc: TestCloud;
    let dir: string;
    let env: NodeJS.ProcessEnv;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'stratus-alarm-cli-'));
      tc = await startTestCloud();
      env = cliEnv(dir, tc.authUrl, { demo: 'demo', admin: 'admin' });
    });

    after(async () => {
      await tc?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const show = (args: string[], r: RunResult) => `openstack ${args.join(' ')} → exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\nstdout: ${r.stdout.trim()}\nstderr: ${r.stderr.trim()}`;
    const cli = (args: string[]) => run('openstack', ['--os-cloud', 'demo', ...args], { env, timeoutMs: 90_000 });
    async function os(...args: string[]): Promise<string> {
      const r = await cli(args);
      assert.equal(r.code, 0, show(args, r));
      return r.stdout;
    }
    const osJson = async <T = Row>(...args: string[]): Promise<T> => JSON.parse(await os(...args, '-f', 'json')) as T;
    const threshold = (name: string, ...extra: string[]) => [
      'alarm', 'create', '--type', 'gnocchi_resources_threshold', '--name', name, '--metric', 'cpu', '--resource-id', 'vm1',
      '--resource-type', 'instance', '--threshold', '80', '--aggregation-method', 'mean', ...extra,
    ];

    test('alarm create, show (by name and id), list, update, delete', async () => {
      const name = uniqueName('cli-cpu');
      const a = await osJson(...threshold(name, '--granularity', '300', '--comparison-operator', 'gt', '--evaluation-periods', '2', '--severity', 'moderate',
        '--alarm-action', 'http://127.0.0.1:9/alarm', '--time-constraint', 'name=night;start=0 23 * * *;duration=3600;timezone=Europe/Paris'));
      assert.equal(a.name, name);
      assert.deepEqual([a.type, a.metric, a.resource_id, a.granularity, a.comparison_operator, a.threshold, a.evaluation_periods], ['gnocchi_resources_threshold', 'cpu', 'vm1', 300, 'gt', 80, 2]);
      assert.equal(a.state, 'insufficient data');
      assert.deepEqual(a.alarm_actions, ['http://127.0.0.1:9/alarm']);
      assert.deepEqual(JSON.parse(a.time_constraints)[0], { name: 'night', start: '0 23 * * *', duration: 3600, timezone: 'Europe/Paris', description: 'Time constraint at 0 23 * * * lasting for 3600 seconds' });

      const [byName, byId] = await Promise.all([osJson('alarm', 'show', name), osJson('alarm', 'show', a.alarm_id)]);
      assert.equal(byName.alarm_id, a.alarm_id);
      assert.equal(byId.name, name);

      const list = await osJson<Row[]>('alarm', 'list', '--filter', 'severity=moderate', '--sort', 'name:asc');
      assert.ok(list.some((r) => r.alarm_id === a.alarm_id && r.name === name && r.state === 'insufficient data' && r.severity === 'moderate' && r.enabled === true), JSON.stringify(list));

      const updated = await osJson('alarm', 'update', name, '--threshold', '95', '--severity', 'critical', '--enabled', 'False');
      assert.deepEqual([updated.threshold, updated.severity, updated.enabled, updated.granularity], [95, 'critical', false, 300]);

      await os('alarm', 'delete', name);
      const gone = await cli(['alarm', 'show', a.alarm_id]);
      assert.notEqual(gone.code, 0);
      assert.match(gone.stderr, /not found/);
    });

    test('alarm state get/set and alarm-history show/search', async () => {
      const name = uniqueName('cli-state');
      // Disabled, so that the evaluator (which reads no measures here) leaves the state alone.
      const a = await osJson(...threshold(name, '--enabled', 'False'));
      assert.deepEqual(await osJson('alarm', 'state', 'set', '--state', 'alarm', name), { state: 'alarm' });
      assert.deepEqual(await osJson('alarm', 'state', 'get', a.alarm_id), { state: 'alarm' });
      const history = await osJson<Row[]>('alarm-history', 'show', a.alarm_id);
      assert.deepEqual(history.map((h) => h.type), ['state transition', 'creation']);
      assert.deepEqual(JSON.parse(history[0]!.detail), { state: 'alarm', state_reason: 'Manually set via API' });
      assert.ok(history.every((h) => typeof h.event_id === 'string' && /^\d{4}-\d\d-\d\dT/.test(h.timestamp)));
      const found = await osJson<Row[]>('alarm-history', 'search', '--query', `alarm_id=${a.alarm_id} and type=creation`);
      assert.deepEqual(found.map((h) => [h.alarm_id, h.type]), [[a.alarm_id, 'creation']]);
      assert.equal(JSON.parse(found[0]!.detail).name, name);
    });

    test('composite alarms and rich list queries', async () => {
      const name = uniqueName('cli-comp');
      const rule = { or: [{ type: 'gnocchi_resources_threshold', metric: 'cpu', resource_id: 'vm1', resource_type: 'instance', threshold: 80, aggregation_method: 'mean' }, { type: 'gnocchi_aggregation_by_metrics_threshold', metrics: ['m1', 'm2'], threshold: 1, aggregation_method: 'max' }] };
      const a = await osJson('alarm', 'create', '--type', 'composite', '--name', name, '--composite-rule', JSON.stringify(rule), '--repeat-actions', 'True');
      assert.equal(a.type, 'composite');
      assert.equal(JSON.parse(a.composite_rule).or[1].granularity, 60);
      const rows = await osJson<Row[]>('alarm', 'list', '--query', `type=composite and name="${name}"`);
      assert.deepEqual(rows.map((r) => r.alarm_id), [a.alarm_id]);
    });

    test('errors come back as Aodh faults the client prints', async () => {
      const name = uniqueName('cli-bad');
      await os(...threshold(name));
      const dup = await cli(threshold(name));
      assert.equal(dup.code, 1, show(threshold(name), dup));
      assert.match(dup.stderr, /Alarm with name='.*' exists \(HTTP 409\)/);
      const args = ['alarm', 'create', '--type', 'gnocchi_resources_threshold', '--name', uniqueName('x'), '--metric', 'cpu', '--resource-id', 'vm1', '--resource-type', 'instance', '--threshold', '1', '--aggregation-method', 'average'];
      const bad = await cli(args);
      assert.equal(bad.code, 1, show(args, bad));
      assert.match(bad.stderr, /aggregation_method should be in .* not average \(HTTP 400\)/);
    });
  });
}
