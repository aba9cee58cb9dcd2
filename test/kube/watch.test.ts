import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { test, type TestContext } from 'node:test';
import type { Watch } from '../../src/kube/api.js';
import { openRegistry, type Registry } from '../../src/kube/apiserver/registry.js';
import { KubeError } from '../../src/kube/errors.js';
import { findResource } from '../../src/kube/resources.js';
import type { KubeObject, WatchEvent } from '../../src/kube/types.js';

const NS = findResource('', 'v1', 'namespaces')!;
const CM = findResource('', 'v1', 'configmaps')!;
const PODS = findResource('', 'v1', 'pods')!;

function tmp(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kube-watch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data });

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A watcher that records events and checks revision order as they arrive. */
class Recorder {
  events: WatchEvent[] = [];
  lastRv = 0;
  outOfOrder = 0;
  watch?: Watch;
  onEvent = (ev: WatchEvent): void => {
    const rv = Number(ev.object.metadata.resourceVersion);
    if (ev.type !== 'BOOKMARK') {
      if (rv <= this.lastRv) this.outOfOrder++;
      this.lastRv = rv;
    }
    this.events.push(ev);
  };
}

test('3 watchers see every one of 2,000 events in revision order, then resume after a restart or get 410', async (t) => {
  const dir = tmp(t);
  let reg: Registry = await openRegistry({ dataDir: dir });
  try {
    await reg.create(NS, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    const start = String(reg.revision());
    const recorders = [new Recorder(), new Recorder(), new Recorder()];
    for (const r of recorders) r.watch = await reg.watch(CM, 'default', { resourceVersion: start }, r.onEvent);
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) {
      await reg.create(CM, 'default', cm(`c${i}`, { v: '0' }));
      if (i % 50 === 0) await tick();
    }
    for (let i = 0; i < 1000; i++) {
      await reg.update(CM, 'default', `c${i}`, cm(`c${i}`, { v: '1' }));
      if (i % 50 === 0) await tick();
      // The second watcher stops three quarters in, to resume from history after the restart.
      if (i === 500) recorders[1]!.watch!.stop();
    }
    await until(() => recorders[0]!.events.length === 2000 && recorders[2]!.events.length === 2000, 'all events');
    const ms = performance.now() - t0;
    t.diagnostic(`2,000 writes fanned out to 3 watchers in ${ms.toFixed(0)} ms (${Math.round((3 * 2000) / (ms / 1000))} deliveries/s, durable writes included)`);
    for (const r of [recorders[0]!, recorders[2]!]) {
      assert.equal(r.outOfOrder, 0);
      assert.deepEqual(r.events.slice(0, 1000).map((e) => e.type), Array(1000).fill('ADDED'));
      assert.deepEqual(r.events.slice(1000).map((e) => e.type), Array(1000).fill('MODIFIED'));
      const revs = r.events.map((e) => Number(e.object.metadata.resourceVersion));
      assert.deepEqual(revs, revs.map((_, i) => Number(start) + 1 + i), 'every revision, none skipped');
      assert.equal(r.events[1500]!.object.metadata.name, 'c500');
      assert.deepEqual(r.events[1500]!.object.data, { v: '1' });
    }
    const stoppedAt = recorders[1]!.lastRv;
    assert.ok(stoppedAt > Number(start) + 1000 && stoppedAt < Number(start) + 2000);
    const resumeAt = [recorders[0]!.lastRv, stoppedAt, recorders[2]!.lastRv];
    const dones = recorders.map((r) => r.watch!.done);
    await reg.close();
    await Promise.all(dones); // close ends every watch

    // Restart with a shorter history: revisions below it are gone.
    reg = await openRegistry({ dataDir: dir, historySize: 1000 });
    assert.equal(reg.revision(), Number(start) + 2000);
    const after = recorders.map(() => new Recorder());
    for (let i = 0; i < 3; i++) after[i]!.watch = await reg.watch(CM, 'default', { resourceVersion: String(resumeAt[i]) }, after[i]!.onEvent);
    for (let i = 0; i < 10; i++) await reg.update(CM, 'default', `c${i}`, cm(`c${i}`, { v: '2' }));
    await reg.delete(CM, 'default', 'c999');
    const expected = [11, Number(start) + 2000 - stoppedAt + 11, 11];
    await until(() => after.every((r, i) => r.events.length === expected[i]), 'resumed events');
    for (const r of after) {
      assert.equal(r.outOfOrder, 0);
      assert.equal(r.events.at(-1)!.type, 'DELETED');
      assert.equal(r.events.at(-1)!.object.metadata.name, 'c999');
    }
    assert.equal(Number(after[1]!.events[0]!.object.metadata.resourceVersion), stoppedAt + 1, 'replayed from the log after the restart');
    const e = await reg.watch(CM, 'default', { resourceVersion: start }, () => undefined).catch((x: unknown) => x);
    assert.ok(e instanceof KubeError);
    assert.equal(e.code, 410);
    assert.equal(e.reason, 'Expired');
    assert.match(e.message, /^too old resource version: \d+ \(\d+\)$/);
    for (const r of after) r.watch!.stop();
  } finally {
    await reg.close();
  }
});

test('watch without resourceVersion starts with ADDED for current matches; selector transitions', async (t) => {
  const reg = await openRegistry({ dataDir: ':memory:' });
  t.after(() => reg.close());
  await reg.create(NS, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  await reg.create(CM, 'default', cm('a', {}, { tier: 'web' }));
  await reg.create(CM, 'default', cm('b', {}, { tier: 'db' }));
  const r = new Recorder();
  const w = await reg.watch(CM, 'default', { labelSelector: 'tier=web' }, r.onEvent);
  t.after(() => w.stop());
  await reg.patch(CM, 'default', 'b', 'merge', { metadata: { labels: { tier: 'web' } } }); // starts matching → ADDED
  await reg.patch(CM, 'default', 'a', 'merge', { metadata: { labels: { tier: 'db' } } }); // stops matching → DELETED
  await reg.patch(CM, 'default', 'a', 'merge', { data: { x: '1' } }); // still not matching → nothing
  await reg.patch(CM, 'default', 'b', 'merge', { data: { x: '1' } }); // MODIFIED
  await reg.delete(CM, 'default', 'b'); // DELETED
  await until(() => r.events.length === 5, 'five events');
  assert.deepEqual(r.events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED a', 'ADDED b', 'DELETED a', 'MODIFIED b', 'DELETED b']);
  // the same transitions when replayed from history by a field-selector watch
  const h = new Recorder();
  const w2 = await reg.watch(CM, 'default', { resourceVersion: r.events[0]!.object.metadata.resourceVersion, fieldSelector: 'metadata.name=a' }, h.onEvent);
  t.after(() => w2.stop());
  await until(() => h.events.length === 2, 'replayed events');
  assert.deepEqual(h.events.map((e) => e.type), ['MODIFIED', 'MODIFIED']);
});

test('bookmarks, timeoutSeconds, sendInitialEvents, event handlers that write', async (t) => {
  const reg = await openRegistry({ dataDir: ':memory:', bookmarkIntervalMs: 20 });
  t.after(() => reg.close());
  await reg.create(NS, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  await reg.create(CM, 'default', cm('x'));
  const b = new Recorder();
  const wb = await reg.watch(CM, 'default', { resourceVersion: String(reg.revision()), allowWatchBookmarks: true }, b.onEvent);
  t.after(() => wb.stop());
  await until(() => b.events.some((e) => e.type === 'BOOKMARK'), 'a bookmark', 2000);
  const bm = b.events.find((e) => e.type === 'BOOKMARK')!;
  assert.deepEqual(bm.object, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: String(reg.revision()) } });

  const started = Date.now();
  const wt = await reg.watch(CM, 'default', { timeoutSeconds: 0.1 }, () => undefined);
  await wt.done;
  assert.ok(Date.now() - started >= 90);

  const s = new Recorder();
  const ws = await reg.watch(CM, 'default', { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true }, s.onEvent);
  t.after(() => ws.stop());
  await until(() => s.events.length >= 2, 'initial events');
  assert.equal(s.events[0]!.type, 'ADDED');
  assert.equal(s.events[1]!.type, 'BOOKMARK');
  assert.equal(s.events[1]!.object.metadata.annotations!['k8s.io/initial-events-end'], 'true');

  // A handler that writes (as controllers do) still sees events one at a time, in order.
  const seen: string[] = [];
  const wc = await reg.watch(PODS, 'default', { resourceVersion: String(reg.revision()) }, (ev) => {
    seen.push(`${ev.type} ${ev.object.metadata.name} ${ev.object.metadata.resourceVersion}`);
    if (ev.type === 'ADDED' && ev.object.metadata.name === 'p') void reg.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'q' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
  });
  t.after(() => wc.stop());
  await reg.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
  await reg.delete(PODS, 'default', 'p');
  await until(() => seen.length === 3, 'three pod events');
  const revs = seen.map((x) => Number(x.split(' ')[2]));
  assert.deepEqual([...revs].sort((a, b) => a - b), revs);
});
