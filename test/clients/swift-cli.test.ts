// Debian's `swift` CLI (python3-swiftclient) and `openstack container/object` against an
// in-process Stratus. Clients are always spawned asynchronously: the cloud is served from this
// very process.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, swiftCliEnv, uniqueName, type TestCloud } from '../support/cloud.js';
import { onPath, requireTools, run } from '../support/proc.js';

/** Empties and removes containers through the API (bulk delete), faster than the CLI. */
async function removeContainers(tc: TestCloud, storage: string, names: string[]): Promise<void> {
  const headers = { 'x-auth-token': await tc.token('demo') };
  for (const c of names) {
    const r = await fetch(`${storage}/${encodeURIComponent(c)}?format=json`, { headers });
    if (r.status !== 200) continue;
    const objects = (await r.json()) as { name: string }[];
    const body = [...objects.map((o) => `/${encodeURIComponent(c)}/${encodeURIComponent(o.name)}`), `/${encodeURIComponent(c)}`].join('\n');
    await fetch(`${storage}?bulk-delete`, { method: 'POST', headers, body });
  }
}

const TOOLS = [
  { cmd: 'swift', debPackage: 'python3-swiftclient' },
  { cmd: 'openstack', debPackage: 'python3-openstackclient' },
];

if (!TOOLS.every((x) => onPath(x.cmd))) {
  test('swift and openstack object CLIs against Stratus', (t) => {
    requireTools(t, TOOLS);
  });
} else {
  describe('swift and openstack object CLIs against Stratus', { concurrency: 3, timeout: 300_000 }, () => {
    let tc: TestCloud;
    let dir: string;
    let env: NodeJS.ProcessEnv;
    let storage: string;
    const containers: string[] = [];

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'stratus-swift-cli-'));
      tc = await startTestCloud({ sqlite: true });
      ({ env, storage } = await swiftCliEnv(tc));
    });

    after(async () => {
      if (tc) await removeContainers(tc, storage, containers);
      await tc?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** Runs a CLI in the scratch dir and asserts success; returns stdout. */
    async function cli(cmd: 'swift' | 'openstack', ...args: string[]): Promise<string> {
      const r = await run(cmd, args, { env, cwd: dir, timeoutMs: 120_000 });
      assert.equal(r.code, 0, `${cmd} ${args.join(' ')} → exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      return r.stdout;
    }
    const file = (name: string, size: number) => {
      const data = randomBytes(size);
      writeFileSync(join(dir, name), data);
      return data;
    };
    const container = () => {
      const c = uniqueName('cli');
      containers.push(c);
      return c;
    };
    const anonymous = async (path: string) => {
      const r = await fetch(`${tc.url}${path}`);
      return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
    };

    test('swift upload / download / list / stat keep the bytes', async () => {
      const c = container();
      const data = file('plain.bin', 1_500_000);
      await cli('swift', 'upload', c, 'plain.bin');
      assert.match(await cli('swift', 'list', c), /^plain\.bin$/m);
      assert.match(await cli('swift', 'stat', c, 'plain.bin'), /Content Length: 1500000/);
      await cli('swift', 'download', c, 'plain.bin', '-o', 'plain.out');
      assert.ok(readFileSync(join(dir, 'plain.out')).equals(data));
    });

    test('swift upload --segment-size --use-slo makes a static large object', async () => {
      const c = container();
      const data = file('slo.bin', 3_100_000);
      await cli('swift', 'upload', '--segment-size', '1000000', '--use-slo', c, 'slo.bin');
      assert.match(await cli('swift', 'stat', c, 'slo.bin'), /X-Static-Large-Object: True/i);
      assert.equal((await cli('swift', 'list', `${c}_segments`)).trim().split('\n').length, 4);
      await cli('swift', 'download', c, 'slo.bin', '-o', 'slo.out');
      assert.ok(readFileSync(join(dir, 'slo.out')).equals(data));
      await cli('swift', 'delete', c, 'slo.bin');
      assert.equal((await cli('swift', 'list', `${c}_segments`)).trim(), '', 'segments deleted with the manifest');
      containers.push(`${c}_segments`);
    });

    test('swift upload --segment-size makes a dynamic large object', async () => {
      const c = container();
      containers.push(`${c}_segments`);
      const data = file('dlo.bin', 2_500_000);
      await cli('swift', 'upload', '--segment-size', '1000000', c, 'dlo.bin');
      assert.match(await cli('swift', 'stat', c, 'dlo.bin'), /Manifest: .*_segments\/dlo\.bin\//);
      await cli('swift', 'download', c, 'dlo.bin', '-o', 'dlo.out');
      assert.ok(readFileSync(join(dir, 'dlo.out')).equals(data));
    });

    test("swift post -r '.r:*' makes objects readable without a token", async () => {
      const c = container();
      const data = file('pub.txt', 1000);
      await cli('swift', 'upload', c, 'pub.txt');
      const path = `${new URL(storage).pathname}/${c}/pub.txt`;
      assert.equal((await anonymous(path)).status, 401);
      await cli('swift', 'post', '-r', '.r:*', c);
      const r = await anonymous(path);
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(data));
    });

    test('swift tempurl gives a working anonymous URL', async () => {
      const c = container();
      const data = file('temp.bin', 5000);
      await cli('swift', 'upload', c, 'temp.bin');
      await cli('swift', 'post', '-m', 'Temp-URL-Key:cli-secret');
      const path = `${new URL(storage).pathname}/${c}/temp.bin`;
      const url = (await cli('swift', 'tempurl', 'GET', '120', path, 'cli-secret')).trim();
      const r = await anonymous(url);
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(data));
      assert.equal((await anonymous(url.replace('temp_url_sig=', 'temp_url_sig=ff'))).status, 401);
    });

    test('openstack container create/list and object create/save/list', async () => {
      const c = container();
      const data = file('osc.dat', 70_000);
      await cli('openstack', 'container', 'create', c);
      const listed = JSON.parse(await cli('openstack', 'container', 'list', '-f', 'json')) as { Name: string }[];
      assert.ok(listed.some((x) => x.Name === c));
      const created = JSON.parse(await cli('openstack', 'object', 'create', c, 'osc.dat', '-f', 'json'));
      assert.equal(created[0]?.etag ?? created.etag, createHash('md5').update(data).digest('hex'));
      const abs = join(dir, 'osc.dat');
      await cli('openstack', 'object', 'create', c, abs);
      const objects = (JSON.parse(await cli('openstack', 'object', 'list', c, '-f', 'json')) as { Name: string }[]).map((o) => o.Name).sort();
      assert.deepEqual(objects, [abs, 'osc.dat'].sort());
      await cli('openstack', 'object', 'save', '--file', 'osc.out', c, 'osc.dat');
      assert.ok(readFileSync(join(dir, 'osc.out')).equals(data));
      await cli('openstack', 'object', 'save', '--file', 'abs.out', c, abs);
      assert.ok(readFileSync(join(dir, 'abs.out')).equals(data));
    });
  });
}
