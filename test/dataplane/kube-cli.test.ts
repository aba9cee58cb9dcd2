import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { leftovers } from '../../src/dataplane/cleanup.js';
import { cloudPrefix } from '../../src/dataplane/names.js';
import { run } from '../support/proc.js';
import { kubeDataplaneSkipReason } from '../support/kube-dataplane.js';

// `stratus kube up` as a user runs it (root: real nodes), stopped by SIGTERM, and killed with
// SIGKILL then cleaned by `stratus kube down`. After each, nothing of the cluster is left.

const skip = kubeDataplaneSkipReason();
const STRATUS = new URL('../../../bin/stratus.js', import.meta.url).pathname;

function startUp(dataDir: string) {
  const p = spawn(process.execPath, [STRATUS, 'kube', 'up', '--nodes', '2', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  p.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const ready = new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      if (out.includes('Press Ctrl-C to stop.')) {
        clearInterval(t);
        resolve();
      } else if (p.exitCode !== null) {
        clearInterval(t);
        reject(new Error(`kube up exited ${p.exitCode}: ${out}`));
      }
    }, 50);
  });
  return { p, ready, out: () => out };
}

function assertClean(dataDir: string) {
  const left = leftovers(dataDir);
  assert.deepEqual(left.namespaces, [], 'namespaces');
  assert.deepEqual(left.processes, [], 'processes');
  assert.deepEqual(left.rootLinks, [], 'root links');
  assert.deepEqual(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dataDir)), [], 'mounts');
}

test('stratus kube up/down on real nodes', { skip, timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stx-kube-cli-'));
  const dataDir = join(dir, 'data');
  t.after(async () => {
    await run(process.execPath, [STRATUS, 'kube', 'down', '--data-dir', dataDir]);
    rmSync(dir, { recursive: true, force: true });
  });

  await t.test('SIGTERM stops the cluster and removes its namespaces, processes and mounts', async () => {
    const up = startUp(dataDir);
    await up.ready;
    assert.match(up.out(), /node-1\s+10\.41\.0\.1/);
    assert.ok(existsSync(`/run/netns/${cloudPrefix(dataDir)}-n2`));
    // Node addresses are reachable through `stratus netns exec` with the kube data dir.
    const ping = await run(process.execPath, [STRATUS, 'netns', 'exec', '--data-dir', dataDir, '--', 'ping', '-c', '1', '-W', '2', '10.41.0.2']);
    assert.equal(ping.code, 0, ping.stderr);
    up.p.kill('SIGTERM');
    await new Promise((r) => up.p.once('exit', r));
    assert.match(up.out(), /Kubernetes stopped\./);
    assertClean(dataDir);
  });

  await t.test('after kill -9, kube down removes everything; the next kube up starts clean', async () => {
    const up = startUp(dataDir);
    await up.ready;
    up.p.kill('SIGKILL');
    await new Promise((r) => up.p.once('exit', r));
    assert.ok(leftovers(dataDir).namespaces.length >= 3, 'the killed cluster left its namespaces');
    const again = startUp(dataDir);
    await again.ready;
    assert.match(again.out(), /removed what a previous run left/);
    again.p.kill('SIGKILL');
    await new Promise((r) => again.p.once('exit', r));
    const down = await run(process.execPath, [STRATUS, 'kube', 'down', '--data-dir', dataDir]);
    assert.equal(down.code, 0, down.stdout + down.stderr);
    assertClean(dataDir);
  });
});
