// OpenStack's own API tests (Debian's tempest) against Stratus: all of tier 1
// (test/tempest/tier1.txt: identity, compute, network, image, block storage, object storage)
// through the workplace runner test/tempest/run, against one cloud started the way a user
// starts it (`stratus up` as its own process, stopped by PID afterwards).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { cleanEnv, onPath, requireTools, run } from '../support/proc.js';
import { adminToken, ROOT, startStratusProcess, type StratusProcess } from '../support/stratus-process.js';

const TOOLS = [
  { cmd: 'tempest', debPackage: 'tempest' },
  { cmd: 'openstack', debPackage: 'python3-openstackclient' }, // the runner reads the catalog with it
];
const RUNNER = join(ROOT, 'test', 'tempest', 'run');
const TIER1 = join(ROOT, 'test', 'tempest', 'tier1.txt');
/**
 * Tier 1 selects 198 tests here: identity 49, compute 51 (4 skip by configuration: validation
 * off, one image), network 36, image 15, block storage 15, object storage 32.
 */
const MIN_PASSED = 194;

/**
 * The runner takes the first image as tempest's image_ref, and Stratus ships no fake images:
 * upload a small real one (1 MiB of raw bytes) first.
 */
async function uploadImage(url: string): Promise<void> {
  const token = await adminToken(url);
  const headers = { 'x-auth-token': token, 'content-type': 'application/json' };
  const created = await fetch(`${url}/image/v2/images`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: 'tempest-raw', disk_format: 'raw', container_format: 'bare', visibility: 'public' }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const { id } = (await created.json()) as { id: string };
  const put = await fetch(`${url}/image/v2/images/${id}/file`, {
    method: 'PUT',
    headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
    body: Buffer.alloc(1024 * 1024, 0x42),
  });
  assert.equal(put.status, 204, await put.text());
}

function tail(file: string, lines: number): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n') : `(no ${file})`;
}

if (!TOOLS.every((x) => onPath(x.cmd))) {
  test('tempest tier 1 against Stratus', (t) => {
    requireTools(t, TOOLS);
  });
} else {
  describe('tempest tier 1 against Stratus', () => {
    let dir: string | undefined;
    let ws: string | undefined;
    let cloud: StratusProcess | undefined;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'stratus-tempest-'));
      // `tempest init` registers each workspace by its directory's base name in
      // ~/.tempest/workspace.yaml and refuses a name it already knows: make it unique.
      ws = join(dir, basename(dir));
      cloud = await startStratusProcess(join(dir, 'data'));
      await uploadImage(cloud.url);
    });

    after(async () => {
      await cloud?.stop();
      if (ws) await run('tempest', ['workspace', 'remove', '--name', basename(ws)], { env: cleanEnv(), cwd: dir!, timeoutMs: 60_000 }).catch(() => undefined);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('every tier 1 line passes', { timeout: 1_200_000 }, async (t) => {
      const args = ['--auth-url', `${cloud!.url}/identity`, '--tier', TIER1, '--concurrency', '2', '--keep', ws!];
      const started = Date.now();
      const r = await run(RUNNER, args, { env: cleanEnv(), cwd: dir!, timeoutMs: 1_150_000 });
      t.diagnostic(`tempest took ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const summary = [...r.stdout.matchAll(/^tempest: (\d+) passed, (\d+) failed, (\d+) skipped$/gm)].pop();
      const report = () => {
        const results = join(ws!, 'results.txt');
        const failing = existsSync(results) ? readFileSync(results, 'utf8').split('\n').filter((l) => / \.\.\. FAILED/.test(l)) : [];
        return [
          `${RUNNER} ${args.join(' ')} → exit ${r.code}${r.signal ? ` (${r.signal})` : ''}`,
          `failing tests (${failing.length}):`,
          ...failing.map((l) => `  ${l}`),
          `stdout:\n${r.stdout.trim()}`,
          `stderr:\n${r.stderr.trim()}`,
          `tail of run.log:\n${tail(join(ws!, 'run.log'), 80)}`,
        ].join('\n');
      };
      if (!summary) assert.fail(`no "tempest: N passed, N failed, N skipped" line\n${report()}`);
      const [line, passed, failed] = [summary[0], Number(summary[1]), Number(summary[2])];
      t.diagnostic(line);
      if (failed !== 0 || passed < MIN_PASSED) assert.fail(`${line} (expected 0 failed and at least ${MIN_PASSED} passed)\n${report()}`);
      assert.equal(r.code, 0, report());
    });
  });
}
