// OpenStack's own API tests (Debian's tempest) for the image service: the "# image" lines of
// tier 1, through the workplace runner test/tempest/run, against a real `stratus up` process
// (a fresh data dir, an ephemeral port), stopped by its pid afterwards.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '../support/cloud.js';
import { cleanEnv, onPath, requireTools, run } from '../support/proc.js';

const TOOLS = [
  { cmd: 'tempest', debPackage: 'tempest' },
  { cmd: 'openstack', debPackage: 'python3-openstackclient' }, // the runner reads the catalog with it
];
// Compiled to dist/test/clients/: the runner and the CLI entry stay in the source tree.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RUNNER = join(ROOT, 'test', 'tempest', 'run');
const TIER1 = join(ROOT, 'test', 'tempest', 'tier1.txt');
const STRATUS = join(ROOT, 'bin', 'stratus.js');
const MIN_PASSED = 15;

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

function tail(file: string, lines: number): string {
  if (!existsSync(file)) return `(no ${file})`;
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

/** Starts `stratus up` in the background and resolves with its URL (from the state file). */
async function startStratus(dataDir: string): Promise<{ proc: ChildProcess; url: string; output: () => string }> {
  let output = '';
  const proc = spawn(process.execPath, [STRATUS, 'up', '--data-dir', dataDir, '--port', '0', '--no-clouds-yaml', '--log-level', 'warn'], {
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const stateFile = join(dataDir, 'stratus.state.json');
  const url = await eventually(
    async () => {
      if (proc.exitCode !== null) throw new Error(`stratus up exited ${proc.exitCode}:\n${output}`);
      if (!/ready/.test(output) || !existsSync(stateFile)) return undefined;
      return JSON.parse(readFileSync(stateFile, 'utf8')).url as string;
    },
    30_000,
    100,
  );
  return { proc, url, output: () => output };
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.pid === undefined) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  process.kill(proc.pid, 'SIGTERM');
  const timer = setTimeout(() => proc.pid !== undefined && proc.exitCode === null && process.kill(proc.pid, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

if (!TOOLS.every((x) => onPath(x.cmd))) {
  test('tempest image tests against Stratus', (t) => {
    requireTools(t, TOOLS);
  });
} else {
  describe('tempest image tests against Stratus', () => {
    let dir: string | undefined;
    let cloud: Awaited<ReturnType<typeof startStratus>> | undefined;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'stratus-tempest-image-'));
      cloud = await startStratus(join(dir, 'data'));
    });

    after(async () => {
      if (cloud) await stop(cloud.proc);
      if (dir) {
        await run('tempest', ['workspace', 'remove', '--name', `ws-${basename(dir)}`], { env: cleanEnv() }).catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('image section of tier 1 passes', { timeout: 600_000 }, async (t) => {
      const lines = section(readFileSync(TIER1, 'utf8'), 'image');
      assert.ok(lines.length > 0, `no image lines in ${TIER1}`);
      const tier = join(dir!, 'tier-image.txt');
      writeFileSync(tier, lines.join('\n') + '\n');
      // The runner replaces this directory with a tempest workspace. Tempest registers
      // workspaces by directory name in ~/.tempest, so the name must be unique.
      const ws = join(dir!, `ws-${basename(dir!)}`);
      const args = ['--auth-url', `${cloud!.url}/identity`, '--tier', tier, '--concurrency', '2', '--keep', ws];
      const started = Date.now();
      const r = await run(RUNNER, args, { env: cleanEnv(), cwd: dir!, timeoutMs: 570_000 });
      t.diagnostic(`tempest took ${((Date.now() - started) / 1000).toFixed(1)} s`);

      const summary = [...r.stdout.matchAll(/^tempest: (\d+) passed, (\d+) failed, (\d+) skipped$/gm)].pop();
      const report = () => {
        const failing = existsSync(join(ws, 'results.txt'))
          ? readFileSync(join(ws, 'results.txt'), 'utf8').split('\n').filter((l) => / \.\.\. FAILED/.test(l))
          : [];
        return [
          `${RUNNER} ${args.join(' ')} → exit ${r.code}${r.signal ? ` (${r.signal})` : ''}`,
          `failing tests (${failing.length}):`,
          ...failing.map((l) => `  ${l}`),
          `stdout:\n${r.stdout.trim()}`,
          `stderr:\n${r.stderr.trim()}`,
          `tail of run.log:\n${tail(join(ws, 'run.log'), 80)}`,
          `stratus output:\n${cloud!.output().slice(-4000)}`,
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
