// The real `openstack` CLI (Debian's python3-openstackclient, image commands through the SDK)
// against an in-process Stratus with a SQLite data dir and the file blob store. Spawned
// asynchronously: the cloud is served from this very process.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { onPath, requireTools, run, cliEnv } from '../support/proc.js';

const TOOLS = [{ cmd: 'openstack', debPackage: 'python3-openstackclient' }];
const CLOUDS = { demo: 'demo', alt_demo: 'alt_demo', admin: 'admin' } as const;

if (!TOOLS.every((x) => onPath(x.cmd))) {
  test('openstack image commands against Stratus', (t) => {
    requireTools(t, TOOLS);
  });
} else {
  describe('openstack image commands against Stratus', { concurrency: 3, timeout: 300_000 }, () => {
    let tc: TestCloud;
    let dir: string;
    let env: NodeJS.ProcessEnv;

    /** Runs `openstack --os-cloud <cloud> …`; asserts exit 0 and returns stdout. */
    const os = async (cloud: keyof typeof CLOUDS, ...args: string[]): Promise<string> => {
      const r = await run('openstack', ['--os-cloud', cloud, ...args], { env, cwd: dir, timeoutMs: 120_000 });
      assert.equal(r.code, 0, `openstack ${args.join(' ')} → exit ${r.code}\n${r.stderr}\n${r.stdout}`);
      return r.stdout;
    };
    const json = async (cloud: keyof typeof CLOUDS, ...args: string[]) => JSON.parse(await os(cloud, ...args, '-f', 'json'));

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'stratus-image-cli-'));
      tc = await startTestCloud({ sqlite: true });
      env = cliEnv(dir, tc.authUrl, CLOUDS);
    });

    after(async () => {
      await tc?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('image create --file, image save: identical bytes; set/list --property; delete', async () => {
      const name = uniqueName('cli');
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const src = join(dir, `${name}.img`);
      writeFileSync(src, data);
      const made = await json('demo', 'image', 'create', '--file', src, '--disk-format', 'raw', '--container-format', 'bare', '--property', 'os_distro=cirros', name);
      assert.equal(made.name, name);

      const shown = await json('demo', 'image', 'show', name);
      assert.equal(shown.status, 'active');
      assert.equal(shown.size, data.length);
      assert.equal(shown.checksum, createHash('md5').update(data).digest('hex'));
      assert.equal(shown.properties.os_distro, 'cirros');

      const out = join(dir, `${name}.out`);
      await os('demo', 'image', 'save', '--file', out, name);
      assert.ok(readFileSync(out).equals(data), 'image save returns the uploaded bytes');

      await os('demo', 'image', 'set', '--property', 'stratus_test=yes', '--tag', 'cli', name);
      const props = (await json('demo', 'image', 'show', name)).properties;
      assert.equal(props.stratus_test, 'yes');

      const listed = await json('demo', 'image', 'list', '--property', 'stratus_test=yes');
      assert.deepEqual(listed.map((i: any) => i.Name), [name]);
      assert.deepEqual(await json('demo', 'image', 'list', '--property', 'stratus_test=no'), []);

      await os('demo', 'image', 'unset', '--property', 'stratus_test', name);
      assert.equal('stratus_test' in (await json('demo', 'image', 'show', name)).properties, false);

      await os('demo', 'image', 'delete', name);
      const after = await run('openstack', ['--os-cloud', 'demo', 'image', 'show', name], { env, cwd: dir });
      assert.notEqual(after.code, 0, 'the image is gone');
      assert.equal((await json('demo', 'image', 'list')).some((i: any) => i.Name === name), false);
    });

    test('image create --import (glance-direct: stage, then import)', async () => {
      const name = uniqueName('cli-import');
      const data = randomBytes(256 * 1024);
      const src = join(dir, `${name}.img`);
      writeFileSync(src, data);
      await os('demo', 'image', 'create', '--import', '--file', src, '--disk-format', 'raw', '--container-format', 'bare', name);
      const deadline = Date.now() + 20_000;
      let status = '';
      while (Date.now() < deadline && status !== 'active') {
        status = (await json('demo', 'image', 'show', name)).status;
        if (status !== 'active') await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(status, 'active');
      const out = join(dir, `${name}.out`);
      await os('demo', 'image', 'save', '--file', out, name);
      assert.ok(readFileSync(out).equals(data));
      await os('demo', 'image', 'delete', name);
    });

    test('sharing: --shared, image add project, alt_demo accepts and sees it', async () => {
      const name = uniqueName('cli-shared');
      const src = join(dir, `${name}.img`);
      writeFileSync(src, randomBytes(4096));
      const img = await json('demo', 'image', 'create', '--file', src, '--disk-format', 'raw', '--container-format', 'bare', '--shared', name);
      const alt = (await json('admin', 'project', 'show', 'alt_demo')).id;
      const member = await json('demo', 'image', 'add', 'project', name, alt);
      assert.equal(member.status, 'pending');
      assert.equal((await json('alt_demo', 'image', 'list')).some((i: any) => i.ID === img.id), false);
      await os('alt_demo', 'image', 'set', '--accept', img.id);
      assert.equal((await json('alt_demo', 'image', 'list')).some((i: any) => i.ID === img.id), true);
      const members = await json('demo', 'image', 'member', 'list', name);
      assert.deepEqual(members.map((m: any) => [m['Member ID'], m.Status]), [[alt, 'accepted']]);
      await os('demo', 'image', 'delete', name);
    });
  });
}
