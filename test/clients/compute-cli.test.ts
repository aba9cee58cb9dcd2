// The real `openstack` CLI (Debian's python3-openstackclient) driving compute against an
// in-process Stratus: keypair, server create --wait with image, flavor, network, key and
// security group, list/show, stop/start/reboot, console log, volume attach/detach, delete,
// and boot from a volume made from the image.
// The CLI is always spawned asynchronously: the cloud is served from this very process.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { onPath, requireTools, run, type RunResult, cliEnv } from '../support/proc.js';

const TOOLS = [{ cmd: 'openstack', debPackage: 'python3-openstackclient' }];
type Row = Record<string, any>;

if (!TOOLS.every((x) => onPath(x.cmd))) {
  test('openstack CLI: compute', (t) => {
    requireTools(t, TOOLS);
  });
} else {
  describe('openstack CLI: compute', { timeout: 600_000 }, () => {
    let tc: TestCloud;
    let dir: string;
    let env: NodeJS.ProcessEnv;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'stratus-compute-cli-'));
      tc = await startTestCloud({ sqlite: true });
      env = cliEnv(dir, tc.authUrl, { demo: 'demo', admin: 'admin' });
    });

    after(async () => {
      await tc?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const show = (args: string[], r: RunResult) => `openstack ${args.join(' ')} → exit ${r.code}\nstdout: ${r.stdout.trim()}\nstderr: ${r.stderr.trim()}`;
    /** `openstack --os-cloud demo <args>`; asserts success and returns stdout. */
    async function os(...args: string[]): Promise<string> {
      const full = ['--os-cloud', 'demo', ...args];
      const r = await run('openstack', full, { env, timeoutMs: 120_000 });
      assert.equal(r.code, 0, show(full, r));
      return r.stdout;
    }
    const osJson = async <T = Row>(...args: string[]): Promise<T> => JSON.parse(await os(...args, '-f', 'json')) as T;
    const field = async (kind: string, name: string, key: string) => (await os(kind, 'show', name, '-f', 'value', '-c', key)).trim();
    /** Polls `<kind> show` until `key` equals `want` (the CLI has no --wait for every action). */
    async function until(kind: string, name: string, key: string, want: string, timeoutMs = 60_000): Promise<void> {
      const end = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < end) {
        last = await field(kind, name, key);
        if (last === want) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.fail(`${kind} ${name}: ${key} is ${last}, not ${want}`);
    }

    test('keypair, server create --wait, list/show, power actions, console, volume, delete', async () => {
      const image = uniqueName('cli-img');
      const key = uniqueName('cli-key');
      const vm = uniqueName('cli-vm');
      const vol = uniqueName('cli-vol');
      const file = join(dir, 'disk.raw');
      writeFileSync(file, Buffer.alloc(1024 * 1024, 0x42));
      await os('image', 'create', '--file', file, '--disk-format', 'raw', '--container-format', 'bare', image);

      const pkFile = join(dir, `${key}.pem`);
      const kp = await osJson('keypair', 'create', '--private-key', pkFile, key);
      assert.equal(kp.name, key);
      assert.ok(existsSync(pkFile) && /PRIVATE KEY/.test(readFileSync(pkFile, 'utf8')), 'private key saved');

      const created = await osJson('server', 'create', '--image', image, '--flavor', 'm1.nano', '--network', 'private', '--key-name', key, '--security-group', 'default', '--wait', vm);
      assert.equal(created.status, 'ACTIVE');
      assert.equal(created.key_name, key);
      assert.match(JSON.stringify(created.addresses), /private/);

      const list = await osJson<Row[]>('server', 'list');
      const row = list.find((r) => r.Name === vm);
      assert.ok(row, `${vm} in server list`);
      assert.equal(row.Status, 'ACTIVE');
      assert.equal(row.Image, image);
      assert.equal(row.Flavor, 'm1.nano');
      const shown = await osJson('server', 'show', vm);
      assert.equal(shown.id, created.id);
      assert.ok([1, 'Running'].includes(shown['OS-EXT-STS:power_state']), String(shown['OS-EXT-STS:power_state']));

      await os('server', 'stop', vm);
      await until('server', vm, 'status', 'SHUTOFF');
      await os('server', 'start', vm);
      await until('server', vm, 'status', 'ACTIVE');
      await os('server', 'reboot', '--wait', vm);
      await os('server', 'reboot', '--hard', '--wait', vm);
      assert.equal(await field('server', vm, 'status'), 'ACTIVE');
      assert.match(await os('console', 'log', 'show', vm), /login:/);
      const stopAgain = await run('openstack', ['--os-cloud', 'demo', 'server', 'start', vm], { env, timeoutMs: 60_000 });
      assert.notEqual(stopAgain.code, 0, 'starting an ACTIVE server is refused');
      assert.match(stopAgain.stderr, /HTTP 409/);

      await os('volume', 'create', '--size', '1', vol);
      await until('volume', vol, 'status', 'available');
      await os('server', 'add', 'volume', vm, vol);
      await until('volume', vol, 'status', 'in-use');
      const attached = await osJson('volume', 'show', vol);
      assert.match(JSON.stringify(attached.attachments), new RegExp(created.id as string));
      assert.match(JSON.stringify((await osJson('server', 'show', vm))['volumes_attached']), new RegExp(attached.id as string));
      await os('server', 'remove', 'volume', vm, vol);
      await until('volume', vol, 'status', 'available');

      await os('server', 'delete', '--wait', vm);
      assert.ok(!(await osJson<Row[]>('server', 'list')).some((r) => r.Name === vm));
      await os('volume', 'delete', vol);

      // Boot from volume: a bootable volume made from the image, then `server create --volume`.
      const bootVol = uniqueName('cli-bootvol');
      const bfv = uniqueName('cli-bfv');
      await os('volume', 'create', '--image', image, '--size', '1', '--bootable', bootVol);
      await until('volume', bootVol, 'status', 'available');
      const booted = await osJson('server', 'create', '--volume', bootVol, '--flavor', 'm1.nano', '--network', 'private', '--wait', bfv);
      assert.equal(booted.status, 'ACTIVE');
      await until('volume', bootVol, 'status', 'in-use');
      assert.match(JSON.stringify((await osJson('volume', 'show', bootVol)).attachments), new RegExp(booted.id as string));
      await os('server', 'delete', '--wait', bfv);
      await until('volume', bootVol, 'status', 'available');
      await os('volume', 'delete', bootVol);

      await os('keypair', 'delete', key);
      await os('image', 'delete', image);
    });
  });
}
