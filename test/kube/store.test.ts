import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openRegistry } from '../../src/kube/apiserver/registry.js';
import { findResource } from '../../src/kube/resources.js';
import { KubeStore } from '../../src/kube/store/store.js';
import type { KubeObject, WatchEvent } from '../../src/kube/types.js';

const NS = findResource('', 'v1', 'namespaces')!;
const CM = findResource('', 'v1', 'configmaps')!;
const PODS = findResource('', 'v1', 'pods')!;

function tmp(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kube-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const obj = (name: string, v: number): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: String(v) } });

test('store: revisions, frozen entries, reopen rebuilds index and history, compaction keeps what watchers need', (t) => {
  const dir = tmp(t);
  let s = KubeStore.open(dir, { historySize: 8 });
  try {
    const a = s.create('/core/configmaps/ns/a', obj('a', 1));
    assert.equal(a.rev, 1);
    assert.equal(a.obj.metadata.resourceVersion, '1');
    assert.throws(() => ((a.obj.metadata as any).name = 'x'), TypeError);
    s.create('/core/configmaps/ns/b', obj('b', 1));
    s.create('/core/configmaps/other/c', obj('c', 1));
    for (let i = 2; i <= 12; i++) s.update('/core/configmaps/ns/a', obj('a', i));
    s.delete('/core/configmaps/ns/b', obj('b', 1));
    assert.equal(s.revision(), 15);
    assert.deepEqual(s.list('/core/configmaps/').map((e) => e.key), ['/core/configmaps/ns/a', '/core/configmaps/other/c']);
    assert.deepEqual(s.list('/core/configmaps/ns/').map((e) => e.obj.data), [{ v: '12' }]);
    s.close();
    s = KubeStore.open(dir, { historySize: 8 });
    assert.equal(s.revision(), 15);
    assert.equal((s.get('/core/configmaps/ns/a')!.obj.data as any).v, '12');
    assert.equal(s.get('/core/configmaps/ns/b'), undefined);
    assert.ok(s.oldestRevision() <= 15 - 8);
    const replay = s.since(s.oldestRevision());
    assert.equal(replay.at(-1)!.type, 'DELETED');
    assert.equal(replay[0]!.prev?.key, '/core/configmaps/ns/a', 'the version before the window survives compaction');
    assert.throws(() => s.since(0), /too old resource version: 0/);
    // state at an older revision, from the history ring
    const at = s.listAt('/core/configmaps/ns/', 13);
    assert.deepEqual(at.map((e) => [e.key, (e.obj.data as any).v]), [['/core/configmaps/ns/a', '11'], ['/core/configmaps/ns/b', '1']]);
  } finally {
    s.close();
  }
});

test('durability: every write acknowledged before kill -9 is there after reopen', async (t) => {
  const dir = tmp(t);
  const child = spawn(process.execPath, [fileURLToPath(new URL('./store-crash-child.js', import.meta.url)), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const acked: string[] = [];
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => resolve());
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) if (l.startsWith('ack ')) acked.push(l.slice(4));
      if (acked.length >= 300 && child.signalCode === null) child.kill('SIGKILL');
    });
  });
  assert.equal(child.signalCode, 'SIGKILL');
  assert.ok(acked.length >= 300);
  const reg = await openRegistry({ dataDir: dir });
  try {
    const items = (await reg.list(CM, 'default')).items;
    const byName = new Map(items.map((i) => [i.metadata.name, i]));
    for (const name of acked) assert.ok(byName.has(name), `acknowledged ${name} survived`);
    // the update of c<n-1> was acknowledged together with c<n>
    for (const name of acked.slice(1)) {
      const prev = `c${Number(name.slice(1)) - 1}`;
      assert.equal((byName.get(prev)!.data as any).updated, 'yes', `${prev} update survived`);
    }
    t.diagnostic(`${acked.length} acknowledged writes before SIGKILL, ${items.length} objects after reopen`);
  } finally {
    await reg.close();
  }
});

test('5,000 pods: namespace list latency and watch fan-out rate', async (t) => {
  const reg = await openRegistry({ dataDir: ':memory:' });
  t.after(() => reg.close());
  await reg.create(NS, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  await reg.create(NS, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
  for (let i = 0; i < 200; i++) await reg.create(PODS, 'other', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `o${i}` }, spec: { containers: [{ name: 'c', image: 'x' }] } });
  const pod = (i: number): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `web-${i}`, labels: { app: 'web', 'pod-template-hash': 'abcde' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abcde', uid: '7b0c8f1e-0000-4000-8000-000000000000', controller: true, blockOwnerDeletion: true }] },
    spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
  });
  for (let i = 0; i < 5000; i++) await reg.create(PODS, 'default', pod(i));
  const time = async (fn: () => Promise<unknown>): Promise<number> => {
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await fn();
      runs.push(performance.now() - t0);
    }
    return runs.sort((a, b) => a - b)[2]!;
  };
  const copyMs = await time(() => reg.list(PODS, 'default'));
  const roMs = await time(() => reg.listReadOnly(PODS, 'default'));
  const selMs = await time(() => reg.listReadOnly(PODS, 'default', { labelSelector: 'app=web', fieldSelector: 'spec.nodeName=node-1' }));
  const pageMs = await time(() => reg.list(PODS, 'default', { limit: 500 }));
  const list = await reg.list(PODS, 'default');
  assert.equal(list.items.length, 5000);
  assert.equal((await reg.listReadOnly(PODS, 'default', { labelSelector: 'app=web' })).items.length, 5000);
  t.diagnostic(`list 5,000 pods (median of 5): ${copyMs.toFixed(1)} ms with private copies, ${roMs.toFixed(1)} ms read-only, ${selMs.toFixed(1)} ms read-only with label+field selectors, ${pageMs.toFixed(1)} ms for a 500-item page`);
  assert.ok(roMs < 100, `read-only list took ${roMs} ms`);

  // fan-out: 10 watchers on the namespace, 2,000 updates
  let delivered = 0;
  const watches = [];
  for (let w = 0; w < 10; w++) watches.push(await reg.watch(PODS, 'default', { resourceVersion: String(reg.revision()) }, (_e: WatchEvent) => void delivered++));
  const t0 = performance.now();
  for (let i = 0; i < 2000; i++) await reg.patch(PODS, 'default', `web-${i}`, 'merge', { metadata: { annotations: { n: '1' } } });
  while (delivered < 20_000) await new Promise((r) => setImmediate(r));
  const ms = performance.now() - t0;
  t.diagnostic(`watch fan-out: 2,000 patches × 10 watchers = 20,000 deliveries in ${ms.toFixed(0)} ms (${Math.round(20_000 / (ms / 1000))} events/s incl. the patches)`);
  for (const w of watches) w.stop();
  assert.equal(delivered, 20_000);
});
