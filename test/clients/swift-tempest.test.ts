// OpenStack's own object-storage API tests (Debian's tempest) against a real `stratus up`
// process: the "# object storage" lines of tier 1, through test/tempest/run. The cloud is a
// child process on a fresh data dir, stopped by PID afterwards.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stratusUp, type UpProcess } from '../api/swift-helpers.js';
import { cleanEnv, onPath, requireTools, run } from '../support/proc.js';

const TOOLS = [
  { cmd: 'tempest', debPackage: 'tempest' },
  { cmd: 'openstack', debPackage: 'python3-openstackclient' }, // the runner reads the catalog with it
];
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RUNNER = join(ROOT, 'test', 'tempest', 'run');
const TIER1 = join(ROOT, 'test', 'tempest', 'tier1.txt');

/** The lines of a tier file under `# <name>`, up to the next `#` header. */
function section(text: string, name: string): string[] {
  const out: string[] = [];
  let inside = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      inside = line.startsWith(`# ${name}`);
      continue;
    }
    if (inside && line.trim()) out.push(line);
  }
  return out;
}

if (!TOOLS.every((x) => onPath(x.cmd))) {
  test('tempest object-storage tests against stratus up', (t) => {
    requireTools(t, TOOLS);
  });
} else {
  describe('tempest object-storage tests against stratus up', () => {
    let dir: string;
    let ws: string;
    let cloud: UpProcess | undefined;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'stratus-swift-tempest-'));
      // tempest registers workspaces by base name and refuses one it knows: make it unique.
      ws = join(dir, basename(dir));
      cloud = await stratusUp(ROOT, join(dir, 'data'));
    });

    after(async () => {
      if (cloud && cloud.child.exitCode === null) {
        process.kill(cloud.child.pid!, 'SIGTERM');
        await cloud.exited;
      }
      await run('tempest', ['workspace', 'remove', '--name', basename(ws)], { env: cleanEnv(), cwd: dir, timeoutMs: 60_000 }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    });

    test('the object storage lines of tier 1 pass with 0 failed', { timeout: 900_000 }, async (t) => {
      const lines = section(readFileSync(TIER1, 'utf8'), 'object storage');
      assert.ok(lines.length > 0, `no object storage lines in ${TIER1}`);
      const tier = join(dir, 'tier-object-storage.txt');
      writeFileSync(tier, lines.join('\n') + '\n');
      const args = ['--auth-url', `${cloud!.url}/identity`, '--tier', tier, '--keep', ws];
      const r = await run(RUNNER, args, { env: cleanEnv(), cwd: dir, timeoutMs: 870_000 });
      const summary = [...r.stdout.matchAll(/^tempest: (\d+) passed, (\d+) failed, (\d+) skipped$/gm)].pop();
      const report = () => {
        const results = join(ws, 'results.txt');
        const failing = existsSync(results) ? readFileSync(results, 'utf8').split('\n').filter((l) => / \.\.\. FAILED/.test(l)) : [];
        return [`${RUNNER} ${args.join(' ')} → exit ${r.code}`, ...failing, `stdout:\n${r.stdout}`, `stderr:\n${r.stderr}`].join('\n');
      };
      assert.ok(summary, `no "tempest: N passed, N failed, N skipped" line\n${report()}`);
      t.diagnostic(summary[0]);
      assert.equal(Number(summary[2]), 0, report());
      assert.ok(Number(summary[1]) >= 32, `expected the 32 tier-1 object tests to pass\n${report()}`);
      assert.equal(r.code, 0, report());
    });
  });
}
