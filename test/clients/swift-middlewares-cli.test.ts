// Debian's `swift` CLI against the Swift middlewares: capabilities, StaticWeb, container quotas
// and container sync settings. The cloud runs in this process, so the CLI is spawned async.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, swiftCliEnv, uniqueName, type TestCloud } from '../support/cloud.js';
import { onPath, requireTools, run } from '../support/proc.js';

const TOOLS = [{ cmd: 'swift', debPackage: 'python3-swiftclient' }];

if (!TOOLS.every((x) => onPath(x.cmd))) {
  test('swift CLI against the Swift middlewares', (t) => {
    requireTools(t, TOOLS);
  });
} else {
  describe('swift CLI against the Swift middlewares', { timeout: 120_000 }, () => {
    let tc: TestCloud;
    let dir: string;
    let env: NodeJS.ProcessEnv;
    let storage: string;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'stratus-swift-mw-'));
      tc = await startTestCloud({});
      ({ env, storage } = await swiftCliEnv(tc));
    });

    after(async () => {
      await tc?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const swift = (...args: string[]) => run('swift', args, { env, cwd: dir, timeoutMs: 60_000 });
    async function ok(...args: string[]): Promise<string> {
      const r = await swift(...args);
      assert.equal(r.code, 0, `swift ${args.join(' ')} → exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      return r.stdout;
    }

    test('swift capabilities lists the middlewares', async () => {
      const out = await ok('capabilities');
      for (const m of ['formpost', 'staticweb', 'account_quotas', 'container_quotas', 'container_sync']) assert.match(out, new RegExp(`^Additional middleware: ${m}$`, 'm'), m);
    });

    test('a public container with web-index and web-listings serves a site anonymously', async () => {
      const c = uniqueName('site');
      writeFileSync(join(dir, 'index.html'), '<p>hi</p>');
      await ok('upload', c, 'index.html');
      await ok('post', '-r', '.r:*,.rlistings', '-m', 'web-index:index.html', '-m', 'web-listings:true', c);
      const page = await fetch(`${storage}/${c}/`);
      assert.equal(page.status, 200);
      assert.equal(await page.text(), '<p>hi</p>');
      // A token request still gets the plain listing.
      const listing = await fetch(`${storage}/${c}`, { headers: { 'x-auth-token': await tc.token('demo') } });
      assert.equal(await listing.text(), 'index.html\n');
    });

    test('an upload past the container quota fails with 413', async () => {
      const c = uniqueName('quota');
      await ok('post', '-m', 'quota-bytes:5', c);
      writeFileSync(join(dir, 'ten.bin'), '0123456789');
      const r = await swift('upload', c, 'ten.bin');
      assert.notEqual(r.code, 0);
      assert.match(r.stderr + r.stdout, /413/);
      const head = await fetch(`${storage}/${c}`, { method: 'HEAD', headers: { 'x-auth-token': await tc.token('demo') } });
      assert.equal(head.headers.get('x-container-bytes-used'), '0');
    });

    test('swift post -t/-k sets container sync; an unknown realm is refused', async () => {
      const c = uniqueName('sync');
      await ok('post', '-t', '//realm1/name1/AUTH_x/other', '-k', 'secret', c);
      const stat = await ok('stat', c);
      assert.match(stat, /Sync To: \/\/realm1\/name1\/AUTH_x\/other/);
      assert.match(stat, /Sync Key: secret/);
      const bad = await swift('post', '-t', '//nowhere/name1/AUTH_x/other', c);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /400/);
    });
  });
}
