// OpenStack's own API tests (Debian's tempest) against an in-process Stratus: the identity
// part of tier 1, through the workplace runner test/tempest/run (spawned asynchronously:
// the cloud is served from this very process).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestCloud, type TestCloud } from '../support/cloud.js';
import { cleanEnv, onPath, requireTools, run } from '../support/proc.js';

const TOOLS = [
  { cmd: 'tempest', debPackage: 'tempest' },
  { cmd: 'openstack', debPackage: 'python3-openstackclient' }, // the runner reads the catalog with it
];
// Compiled to dist/test/clients/: the runner stays in the source tree.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RUNNER = join(ROOT, 'test', 'tempest', 'run');
const TIER1 = join(ROOT, 'test', 'tempest', 'tier1.txt');
const MIN_PASSED = 49;

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

if (!TOOLS.every((x) => onPath(x.cmd))) {
  test('tempest identity tests against Stratus', (t) => {
    requireTools(t, TOOLS);
  });
} else {
  describe('tempest identity tests against Stratus', () => {
    let tc: TestCloud | undefined;
    let dir: string | undefined;
    let ws: string | undefined;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'stratus-tempest-'));
      // `tempest init` registers each workspace by its directory's base name in
      // ~/.tempest/workspace.yaml and refuses a name it already knows: make it unique.
      ws = join(dir, basename(dir));
      tc = await startTestCloud({ sqlite: true });
    });

    after(async () => {
      await tc?.close();
      // Unregister the workspace, then remove it with everything else.
      if (ws) await run('tempest', ['workspace', 'remove', '--name', basename(ws)], { env: cleanEnv(), cwd: dir!, timeoutMs: 60_000 }).catch(() => undefined);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('identity section of tier 1 passes', { timeout: 600_000 }, async (t) => {
      const lines = section(readFileSync(TIER1, 'utf8'), 'identity');
      assert.ok(lines.length > 0, `no identity lines in ${TIER1}`);
      const tier = join(dir!, 'tier-identity.txt');
      writeFileSync(tier, lines.join('\n') + '\n');
      // The runner replaces the --keep directory with a tempest workspace and leaves run.log there.
      const keep = ws!;
      const args = ['--auth-url', tc!.authUrl, '--tier', tier, '--concurrency', '2', '--keep', keep];
      const started = Date.now();
      const r = await run(RUNNER, args, { env: cleanEnv(), cwd: dir!, timeoutMs: 570_000 });
      t.diagnostic(`tempest took ${((Date.now() - started) / 1000).toFixed(1)} s`);

      const summary = [...r.stdout.matchAll(/^tempest: (\d+) passed, (\d+) failed, (\d+) skipped$/gm)].pop();
      const report = () => {
        const failing = existsSync(join(keep, 'results.txt'))
          ? readFileSync(join(keep, 'results.txt'), 'utf8').split('\n').filter((l) => / \.\.\. FAILED/.test(l))
          : [];
        return [
          `${RUNNER} ${args.join(' ')} → exit ${r.code}${r.signal ? ` (${r.signal})` : ''}`,
          `failing tests (${failing.length}):`,
          ...failing.map((l) => `  ${l}`),
          `stdout:\n${r.stdout.trim()}`,
          `stderr:\n${r.stderr.trim()}`,
          `tail of run.log:\n${tail(join(keep, 'run.log'), 80)}`,
        ].join('\n');
      };
      if (!summary) assert.fail(`no "tempest: N passed, N failed, N skipped" line\n${report()}`);
      const [line, passed, failed, skipped] = [summary[0], Number(summary[1]), Number(summary[2]), Number(summary[3])];
      t.diagnostic(line);
      if (failed !== 0 || passed < MIN_PASSED) {
        const msg = report();
        console.error(msg);
        assert.fail(`${line} (expected 0 failed and at least ${MIN_PASSED} passed)\n${msg}`);
      }
      assert.equal(r.code, 0, report());
      assert.ok(skipped >= 0);
    });
  });
}
