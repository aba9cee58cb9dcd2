// OpenStack's own API tests (Debian's tempest) against Stratus: the compute part of tier 1,
// through the workspace runner test/tempest/run, against a cloud started the way a user
// starts it (`stratus up` as its own process, killed by PID afterwards).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, onPath, requireTools, run } from '../support/proc.js';

const TOOLS = [
  { cmd: 'tempest', debPackage: 'tempest' },
  { cmd: 'openstack', debPackage: 'python3-openstackclient' }, // the runner reads the catalog with it
];
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RUNNER = join(ROOT, 'test', 'tempest', 'run');
const TIER1 = join(ROOT, 'test', 'tempest', 'tier1.txt');
const BIN = join(ROOT, 'bin', 'stratus.js');
/** Tier 1's compute lines select 51 tests here; 4 skip by configuration (validation off, one image). */
const MIN_PASSED = 45;

/** The lines of a tier file from the `# <section>` header up to the next `#` header. */
function section(text: string, name: string): string[] {
  const out: string[] = [];
  let inside = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      inside = new RegExp(`^#\\s*${name}\\b`).test(line);
      continue;
    }
    if (inside && line.trim()) out.push(line);
  }
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** `stratus up` in its own process; resolves once it answers /health. */
async function up(dataDir: string, port: number): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [BIN, 'up', '--data-dir', dataDir, '--port', String(port), '--no-clouds-yaml', '--log-level', 'warn'], { stdio: 'ignore', env: cleanEnv() });
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`stratus up exited with ${proc.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status === 200, () => false);
    if (ok) return proc;
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error('stratus up did not become healthy');
}

/** Uploads a small public image (the runner uses the first image as image_ref). */
async function uploadImage(base: string): Promise<void> {
  const auth = await fetch(`${base}/identity/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'secret' } } },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    }),
  });
  const token = auth.headers.get('x-subject-token')!;
  const headers = { 'x-auth-token': token, 'content-type': 'application/json' };
  const img = await fetch(`${base}/image/v2/images`, { method: 'POST', headers, body: JSON.stringify({ name: 'cirros-tempest', disk_format: 'raw', container_format: 'bare', visibility: 'public' }) });
  const id = ((await img.json()) as { id: string }).id;
  const put = await fetch(`${base}/image/v2/images/${id}/file`, { method: 'PUT', headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(1024 * 1024, 0x42) });
  assert.equal(put.status, 204, 'image upload');
}

function tail(file: string, lines: number): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n') : `(no ${file})`;
}

if (!TOOLS.every((x) => onPath(x.cmd))) {
  test('tempest compute tests against Stratus', (t) => {
    requireTools(t, TOOLS);
  });
} else {
  describe('tempest compute tests against Stratus', () => {
    let dir: string;
    let ws: string;
    let cloud: ChildProcess | undefined;
    let base: string;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'stratus-compute-tempest-'));
      // `tempest init` registers workspaces by base name in ~/.tempest/workspace.yaml: keep it unique.
      ws = join(dir, basename(dir));
      const port = await freePort();
      cloud = await up(join(dir, 'data'), port);
      base = `http://127.0.0.1:${port}`;
      await uploadImage(base);
    });

    after(async () => {
      if (cloud?.pid && cloud.exitCode === null) process.kill(cloud.pid, 'SIGTERM');
      await new Promise((r) => (cloud && cloud.exitCode === null ? cloud.once('exit', r) : r(undefined)));
      await run('tempest', ['workspace', 'remove', '--name', basename(ws)], { env: cleanEnv(), cwd: dir, timeoutMs: 60_000 }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    });

    test('compute section of tier 1 passes', { timeout: 1_200_000 }, async (t) => {
      const lines = section(readFileSync(TIER1, 'utf8'), 'compute');
      assert.ok(lines.length > 0, `no compute lines in ${TIER1}`);
      const tier = join(dir, 'tier-compute.txt');
      writeFileSync(tier, lines.join('\n') + '\n');
      const args = ['--auth-url', `${base}/identity`, '--tier', tier, '--concurrency', '2', '--keep', ws];
      const started = Date.now();
      const r = await run(RUNNER, args, { env: cleanEnv(), cwd: dir, timeoutMs: 1_150_000 });
      t.diagnostic(`tempest took ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const summary = [...r.stdout.matchAll(/^tempest: (\d+) passed, (\d+) failed, (\d+) skipped$/gm)].pop();
      const report = () => {
        const failing = existsSync(join(ws, 'results.txt')) ? readFileSync(join(ws, 'results.txt'), 'utf8').split('\n').filter((l) => / \.\.\. FAILED/.test(l)) : [];
        return [`${RUNNER} ${args.join(' ')} → exit ${r.code}`, `failing (${failing.length}):`, ...failing.map((l) => `  ${l}`), `stdout:\n${r.stdout.trim()}`, `stderr:\n${r.stderr.trim()}`, `tail of run.log:\n${tail(join(ws, 'run.log'), 60)}`].join('\n');
      };
      if (!summary) assert.fail(`no "tempest: N passed, N failed, N skipped" line\n${report()}`);
      const [line, passed, failed] = [summary[0], Number(summary[1]), Number(summary[2])];
      t.diagnostic(line);
      if (failed !== 0 || passed < MIN_PASSED) assert.fail(`${line} (expected 0 failed and at least ${MIN_PASSED} passed)\n${report()}`);
      assert.equal(r.code, 0, report());
    });
  });
}
