// OpenStack's own API tests (Debian's tempest) against a real `stratus up` process: the block
// storage lines of tier 1, through the workplace runner test/tempest/run (spawned
// asynchronously). The cloud runs in a child process with its own data dir (real files).
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
  { cmd: 'openstack', debPackage: 'python3-openstackclient' },
];
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RUNNER = join(ROOT, 'test', 'tempest', 'run');
const TIER1 = join(ROOT, 'test', 'tempest', 'tier1.txt');
const MIN_PASSED = 14;
/** Tier lines whose tests create volumes from an image (tempest's image_ref). */
const NEEDS_IMAGE = /test_volumes_extend/;

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

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function startStratus(dataDir: string, port: number): Promise<ChildProcess> {
  const env = cleanEnv();
  delete env.STRATUS_ADMIN_PASSWORD;
  delete env.STRATUS_DATA_DIR;
  const child = spawn(process.execPath, ['bin/stratus.js', 'up', '--data-dir', dataDir, '--port', String(port), '--no-clouds-yaml', '--log-level', 'warn'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-20_000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stratus up did not start in 30 s:\n${out}`)), 30_000);
    child.stdout!.on('data', (b: Buffer) => {
      out = (out + b.toString()).slice(-20_000);
      if (/Stratus is up/.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`stratus up exited (${code ?? sig}) before it was up:\n${out}`));
    });
  });
}

/**
 * Whether a volume can be made from an image in this cloud: an image exists and block storage
 * is wired to the image service (until then create-from-image is a 400 by design).
 */
async function imageVolumes(url: string): Promise<{ ok: boolean; why: string }> {
  const auth = await fetch(`${url}/identity/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'secret' } } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } } }),
  });
  const token = auth.headers.get('x-subject-token') ?? '';
  const project = ((await auth.json()) as any).token.project.id as string;
  const images = await fetch(`${url}/image/v2/images`, { headers: { 'x-auth-token': token } });
  const list = images.ok ? (((await images.json()) as any).images as { id: string; status: string }[]) : [];
  const image = list.find((i) => i.status === 'active');
  if (!image) return { ok: false, why: 'the cloud has no active image' };
  const r = await fetch(`${url}/volume/v3/${project}/volumes`, {
    method: 'POST',
    headers: { 'x-auth-token': token, 'content-type': 'application/json' },
    body: JSON.stringify({ volume: { size: 1, imageRef: image.id, name: 'tempest-probe' } }),
  });
  const body = await r.text();
  if (r.status !== 202) return { ok: false, why: `create-from-image answered ${r.status}: ${body.slice(0, 200)}` };
  const id = JSON.parse(body).volume.id as string;
  for (let i = 0; i < 100; i++) {
    const v = ((await (await fetch(`${url}/volume/v3/${project}/volumes/${id}`, { headers: { 'x-auth-token': token } })).json()) as any).volume;
    if (v.status !== 'creating') {
      await fetch(`${url}/volume/v3/${project}/volumes/${id}`, { method: 'DELETE', headers: { 'x-auth-token': token } });
      return v.status === 'available' ? { ok: true, why: '' } : { ok: false, why: `a volume from image ${image.id} ended in ${v.status}` };
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  return { ok: false, why: 'a volume from an image stayed in creating' };
}

if (!TOOLS.every((x) => onPath(x.cmd))) {
  test('tempest block storage tests against Stratus', (t) => {
    requireTools(t, TOOLS);
  });
} else {
  describe('tempest block storage tests against Stratus', () => {
    let dir: string | undefined;
    let ws: string | undefined;
    let child: ChildProcess | undefined;
    let url = '';

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'stratus-volume-tempest-'));
      ws = mkdtempSync(join(tmpdir(), 'stratus-volume-ws-'));
      const port = await freePort();
      child = await startStratus(join(dir, 'data'), port);
      url = `http://127.0.0.1:${port}`;
    });

    after(async () => {
      if (child?.pid && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child!.once('exit', r));
        process.kill(child.pid, 'SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
      }
      if (ws) {
        // tempest init registered the workspace under its directory name.
        await run('tempest', ['workspace', 'remove', '--name', basename(ws)], { env: cleanEnv(), timeoutMs: 60_000 }).catch(() => undefined);
        rmSync(ws, { recursive: true, force: true });
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('block storage section of tier 1 passes', { timeout: 900_000 }, async (t) => {
      let lines = section(readFileSync(TIER1, 'utf8'), 'block storage');
      assert.ok(lines.length > 0, `no block storage lines in ${TIER1}`);
      const images = await imageVolumes(url);
      if (!images.ok) {
        const left = lines.filter((l) => NEEDS_IMAGE.test(l));
        lines = lines.filter((l) => !NEEDS_IMAGE.test(l));
        t.diagnostic(`left out (needs volumes from images: ${images.why}): ${left.join(' ')}`);
      }
      const tier = join(dir!, 'tier-volume.txt');
      writeFileSync(tier, lines.join('\n') + '\n');
      const args = ['--auth-url', `${url}/identity`, '--tier', tier, '--concurrency', '2', '--keep', ws!];
      const started = Date.now();
      const r = await run(RUNNER, args, { env: cleanEnv(), cwd: dir!, timeoutMs: 870_000 });
      t.diagnostic(`tempest took ${((Date.now() - started) / 1000).toFixed(1)} s`);

      const summary = [...r.stdout.matchAll(/^tempest: (\d+) passed, (\d+) failed, (\d+) skipped$/gm)].pop();
      const report = () => {
        const results = join(ws!, 'results.txt');
        const failing = existsSync(results) ? readFileSync(results, 'utf8').split('\n').filter((l) => / \.\.\. FAILED/.test(l)) : [];
        const log = join(ws!, 'run.log');
        return [
          `${RUNNER} ${args.join(' ')} → exit ${r.code}${r.signal ? ` (${r.signal})` : ''}`,
          `failing tests (${failing.length}):`,
          ...failing.map((l) => `  ${l}`),
          `stdout:\n${r.stdout.trim()}`,
          `stderr:\n${r.stderr.trim()}`,
          `tail of run.log:\n${existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-80).join('\n') : '(none)'}`,
        ].join('\n');
      };
      if (!summary) assert.fail(`no "tempest: N passed, N failed, N skipped" line\n${report()}`);
      const [line, passed, failed] = [summary[0], Number(summary[1]), Number(summary[2])];
      t.diagnostic(line);
      const min = images.ok ? MIN_PASSED + 1 : MIN_PASSED;
      if (failed !== 0 || passed < min) assert.fail(`${line} (expected 0 failed and at least ${min} passed)\n${report()}`);
      assert.equal(r.code, 0, report());
    });
  });
}
