// The real `openstack` CLI (Debian's python3-openstackclient, which drives cinderclient) against
// an in-process Stratus: the volume flows of a user. Always spawned asynchronously: the cloud
// is served from this very process.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { onPath, requireTools, run, type RunResult, cliEnv } from '../support/proc.js';

const TOOLS = [{ cmd: 'openstack', debPackage: 'python3-openstackclient' }];
type Row = Record<string, any>;

if (!TOOLS.every((x) => onPath(x.cmd))) {
  test('openstack volume commands against Stratus', (t) => {
    requireTools(t, TOOLS);
  });
} else {
  describe('openstack volume commands against Stratus', { concurrency: 4, timeout: 300_000 }, () => {
    let tc: TestCloud;
    let dir: string;
    let env: NodeJS.ProcessEnv;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'stratus-volume-cli-'));
      tc = await startTestCloud({ sqlite: true });
      env = cliEnv(dir, tc.authUrl, { demo: 'demo', admin: 'admin' });
    });

    after(async () => {
      await tc?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const show = (args: string[], r: RunResult) => `openstack ${args.join(' ')} → exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\nstdout: ${r.stdout.trim()}\nstderr: ${r.stderr.trim()}`;
    const cli = (cloud: string, args: string[]) => run('openstack', ['--os-cloud', cloud, ...args], { env, timeoutMs: 90_000 });

    async function os(...args: string[]): Promise<string> {
      const r = await cli('demo', args);
      assert.equal(r.code, 0, show(args, r));
      return r.stdout;
    }
    async function osJson<T = Row>(...args: string[]): Promise<T> {
      return JSON.parse(await os(...args, '-f', 'json')) as T;
    }
    /** Polls `volume show` (or `volume snapshot show`) until the status. */
    const until = (kind: 'volume' | 'snapshot', name: string, status: string) =>
      eventually(async () => {
        const v = await osJson(...(kind === 'volume' ? ['volume', 'show', name] : ['volume', 'snapshot', 'show', name]));
        return v.status === status ? v : undefined;
      }, 60_000, 250);
    const gone = (args: string[]) => eventually(async () => (await cli('demo', args)).code !== 0, 60_000, 250);

    test('volume create --size 1, list, show, set/unset --property, extend, delete', async () => {
      const name = uniqueName('cli-vol');
      const created = await osJson('volume', 'create', '--size', '1', '--property', 'origin=cli', name);
      assert.equal(created.name, name);
      assert.equal(created.size, 1);
      assert.ok(['creating', 'available'].includes(created.status), created.status);
      const v = await until('volume', name, 'available');
      assert.equal(v.id, created.id);
      assert.equal(v.type, '__DEFAULT__');
      assert.deepEqual(v.properties, { origin: 'cli' });

      const list = await osJson<Row[]>('volume', 'list');
      assert.ok(list.some((r) => r.ID === v.id && r.Name === name && r.Status === 'available' && r.Size === 1), JSON.stringify(list));
      const long = await osJson<Row[]>('volume', 'list', '--long', '--name', name);
      assert.deepEqual(long.map((r) => r.ID), [v.id]);

      await os('volume', 'set', '--property', 'k1=v1', '--property', 'k2=v2', '--description', 'set by the CLI', name);
      let shown = await osJson('volume', 'show', name);
      assert.deepEqual(shown.properties, { origin: 'cli', k1: 'v1', k2: 'v2' });
      assert.equal(shown.description, 'set by the CLI');
      await os('volume', 'unset', '--property', 'k1', name);
      shown = await osJson('volume', 'show', v.id);
      assert.deepEqual(shown.properties, { origin: 'cli', k2: 'v2' });

      await os('volume', 'set', '--size', '2', name);
      assert.equal((await until('volume', name, 'available')).size, 2);
      await os('volume', 'set', '--bootable', name);
      assert.equal((await osJson('volume', 'show', name)).bootable, 'true');

      await os('volume', 'delete', name);
      await gone(['volume', 'show', v.id]);
      assert.ok(!(await osJson<Row[]>('volume', 'list')).some((r) => r.ID === v.id));
    });

    test('volume snapshot create, list, show, delete; a volume from the snapshot', async () => {
      const vol = uniqueName('cli-snapvol');
      const snap = uniqueName('cli-snap');
      await osJson('volume', 'create', '--size', '1', vol);
      await until('volume', vol, 'available');
      const s = await osJson('volume', 'snapshot', 'create', '--volume', vol, '--property', 'p=q', snap);
      assert.equal(s.name, snap);
      const ready = await until('snapshot', snap, 'available');
      assert.equal(ready.size, 1);
      const list = await osJson<Row[]>('volume', 'snapshot', 'list');
      assert.ok(list.some((r) => r.ID === s.id && r.Name === snap && r.Status === 'available'), JSON.stringify(list));

      const restored = uniqueName('cli-restored');
      await osJson('volume', 'create', '--snapshot', snap, '--size', '2', restored);
      const r = await until('volume', restored, 'available');
      assert.equal(r.snapshot_id, s.id);
      await os('volume', 'delete', restored);
      await gone(['volume', 'show', restored]);

      await os('volume', 'snapshot', 'delete', snap);
      await gone(['volume', 'snapshot', 'show', s.id]);
      await os('volume', 'delete', vol);
      await gone(['volume', 'show', vol]);
    });

    test('volume type list shows __DEFAULT__; admins create and delete types', async () => {
      const types = await osJson<Row[]>('volume', 'type', 'list');
      assert.ok(types.some((t) => t.Name === '__DEFAULT__'), JSON.stringify(types));
      const name = uniqueName('cli-type');
      const args = ['volume', 'type', 'create', '--property', 'tier=gold', name, '-f', 'json'];
      const made = await cli('admin', args);
      assert.equal(made.code, 0, show(args, made));
      const del = await cli('admin', ['volume', 'type', 'delete', name]);
      assert.equal(del.code, 0, show(['volume', 'type', 'delete', name], del));
      const refused = await cli('demo', ['volume', 'type', 'create', uniqueName('nope')]);
      assert.notEqual(refused.code, 0, 'members cannot create types');
    });

    test('limits show --absolute and availability zone list --volume', async () => {
      const limits = await osJson<Row[]>('limits', 'show', '--absolute');
      assert.ok(limits.some((r) => r.Name === 'maxTotalVolumes'), JSON.stringify(limits));
      const az = await osJson<Row[]>('availability', 'zone', 'list', '--volume');
      assert.ok(az.some((r) => r['Zone Name'] === 'nova'), JSON.stringify(az));
    });
  });
}
