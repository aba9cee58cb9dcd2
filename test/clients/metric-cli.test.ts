// The real `openstack metric …` commands (Debian's python3-gnocchiclient) against an
// in-process Stratus: archive policies, resources, metrics, measures, aggregates and batch.
import { test, describe, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { onPath, requireTools, run, type RunResult, cliEnv } from '../support/proc.js';

const TOOLS = [{ cmd: 'openstack', debPackage: 'python3-openstackclient python3-gnocchiclient' }];
type Row = Record<string, any>;

// The plugin must be importable by the interpreter the `openstack` script runs with.
const hasGnocchiClient = async () => onPath('openstack') && (await run('/usr/bin/python3', ['-c', 'import gnocchiclient'], { timeoutMs: 20_000 }).catch(() => ({ code: 1 }))).code === 0;
function skipWithoutClient(t: TestContext): void {
  if (!onPath('openstack')) return void requireTools(t, TOOLS);
  const msg = 'gnocchiclient is not installed: apt-get install -y python3-gnocchiclient';
  if (process.env.CI === 'true') assert.fail(msg);
  t.skip(msg);
}

describe('openstack metric commands against Stratus', { concurrency: 2, timeout: 300_000 }, () => {
  let tc: TestCloud;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let ok = false;

  before(async () => {
    ok = await hasGnocchiClient();
    if (!ok) return;
    dir = mkdtempSync(join(tmpdir(), 'stratus-metric-cli-'));
    tc = await startTestCloud({ sqlite: true, config: {} });
    env = cliEnv(dir, tc.authUrl, { demo: 'demo', admin: 'admin' });
  });
  after(async () => {
    await tc?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const show = (args: string[], r: RunResult) => `openstack ${args.join(' ')} → exit ${r.code}\nstdout: ${r.stdout.trim()}\nstderr: ${r.stderr.trim()}`;
  const cli = (cloud: string, args: string[]) => run('openstack', ['--os-cloud', cloud, ...args], { env, timeoutMs: 90_000 });
  async function os(cloud: string, ...args: string[]): Promise<string> {
    const r = await cli(cloud, args);
    assert.equal(r.code, 0, show(args, r));
    return r.stdout;
  }
  const osJson = async <T = Row>(cloud: string, ...args: string[]): Promise<T> => JSON.parse(await os(cloud, ...args, '-f', 'json')) as T;

  test('archive-policy list/show, create and delete as admin; a member may not create', async (t) => {
    if (!ok) return skipWithoutClient(t);
    const list = await osJson<Row[]>('demo', 'metric', 'archive-policy', 'list');
    const names = list.map((p) => p.name);
    for (const n of ['low', 'medium', 'high', 'bool', 'ceilometer-low', 'ceilometer-high']) assert.ok(names.includes(n), `${n} in ${names}`);
    const low = await osJson('demo', 'metric', 'archive-policy', 'show', 'low');
    assert.deepEqual(low.definition, [{ granularity: '0:05:00', points: 8640, timespan: '30 days, 0:00:00' }]);
    const name = uniqueName('ap');
    const denied = await cli('demo', ['metric', 'archive-policy', 'create', name, '-d', 'granularity:60,points:10']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /Access was denied|403/);
    const made = await osJson('admin', 'metric', 'archive-policy', 'create', name, '-d', 'granularity:1m,timespan:1h', '-m', 'mean', '-m', 'max');
    assert.deepEqual(made.definition, [{ granularity: '0:01:00', points: 60, timespan: '1:00:00' }]);
    await os('admin', 'metric', 'archive-policy', 'delete', name);
    const gone = await cli('admin', ['metric', 'archive-policy', 'show', name]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /does not exist/);
  });

  test('metric create, measures add/show with --aggregation and --granularity, metric aggregates', async (t) => {
    if (!ok) return skipWithoutClient(t);
    const m = await osJson('demo', 'metric', 'create', '--archive-policy-name', 'medium', '--unit', 'ms', uniqueName('lat'));
    assert.equal(m['archive_policy/name'], 'medium');
    await os('demo', 'metric', 'measures', 'add', m.id, '-m', '2024-03-01T10:00:00@10', '-m', '2024-03-01T10:00:30@20', '-m', '2024-03-01T10:01:05@40');
    const mean = await osJson<Row[]>('demo', 'metric', 'measures', 'show', m.id, '--granularity', '60', '--utc');
    assert.deepEqual(mean.map((r) => [r.timestamp, r.granularity, r.value]), [['2024-03-01T10:00:00+00:00', 60, 15], ['2024-03-01T10:01:00+00:00', 60, 40]]);
    const max = await osJson<Row[]>('demo', 'metric', 'measures', 'show', m.id, '--aggregation', 'max', '--granularity', '3600', '--utc');
    assert.deepEqual(max.map((r) => r.value), [40]);
    const agg = await osJson<Row[]>('demo', 'metric', 'aggregates', `(aggregate sum (metric ${m.id} mean))`, '--granularity', '60');
    assert.deepEqual(agg.map((r) => [r.name, r.value]), [['aggregated', 15], ['aggregated', 40]]);
    const bad = await cli('demo', ['metric', 'measures', 'show', m.id, '--aggregation', 'p42x']);
    assert.notEqual(bad.code, 0);
    const listed = await osJson<Row[]>('demo', 'metric', 'list');
    assert.ok(listed.some((x) => x.id === m.id));
    await os('demo', 'metric', 'delete', m.id);
  });

  test('resource create --type instance, list/show --type, search, resource metrics and batch', async (t) => {
    if (!ok) return skipWithoutClient(t);
    const id = '3f0c6f1e-0000-4000-8000-' + Date.now().toString(16).padStart(12, '0').slice(-12);
    const name = uniqueName('vm');
    const r = await osJson('demo', 'metric', 'resource', 'create', '--type', 'instance', '-a', `display_name:${name}`, '-a', 'flavor_id:42', '-a', 'host:h1', '-n', 'cpu:ceilometer-low', id);
    assert.equal(r.type, 'instance');
    assert.equal(r.display_name, name);
    const list = await osJson<Row[]>('demo', 'metric', 'resource', 'list', '--type', 'instance');
    assert.ok(list.some((x) => x.id === id && x.display_name === name));
    const shown = await osJson('demo', 'metric', 'resource', 'show', '--type', 'instance', id);
    assert.equal(shown.flavor_id, '42');
    const found = await osJson<Row[]>('demo', 'metric', 'resource', 'search', '--type', 'instance', `display_name=${name} and flavor_id!=1`);
    assert.deepEqual(found.map((x) => x.id), [id]);
    const file = join(dir, `batch-${name}.json`);
    writeFileSync(file, JSON.stringify({ [id]: { cpu: [{ timestamp: '2024-03-01T10:00:00', value: 5 }], 'memory.usage': [{ timestamp: '2024-03-01T10:00:00', value: 64 }] } }));
    await os('demo', 'metric', 'measures', 'batch-resources-metrics', '--create-metrics', file);
    const mem = await osJson<Row[]>('demo', 'metric', 'measures', 'show', '--resource-id', id, 'memory.usage', '--utc');
    assert.ok(mem.some((x) => x.value === 64), JSON.stringify(mem));
    const agg = await osJson<Row[]>('demo', 'metric', 'aggregates', '--resource-type', 'instance', '(metric cpu mean)', `display_name=${name}`, '--granularity', '300');
    assert.deepEqual(agg.map((x) => [x.name, x.value]), [[`${id}/cpu/mean`, 5]]);
    const alt = await cli('admin', ['metric', 'resource', 'show', '--type', 'volume', id]);
    assert.notEqual(alt.code, 0);
    assert.match(alt.stderr, /does not exist/);
    await os('demo', 'metric', 'resource', 'delete', id);
  });
});
