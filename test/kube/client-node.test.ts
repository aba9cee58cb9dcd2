import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import WebSocket from 'ws';
import * as clientNode from '@kubernetes/client-node';
import type { KubernetesObject, V1Status } from '@kubernetes/client-node';
import { eventually, startTestKube } from '../support/kube.js';

// The core flows through @kubernetes/client-node: typed APIs, the generic object API (legacy
// per-group-version discovery), watch, log follow, exec (v5 and v4) and port-forward (v4).
// NOTE: pinned to client-node 1.4: 2.x depends on undici 8, which needs Node >= 22.19 and
// throws at import on Node 20.

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

test('@kubernetes/client-node against the Stratus API server', { timeout: 120_000 }, async (t) => {
  const { AppsV1Api, CoreV1Api, Exec, KubeConfig, KubernetesObjectApi, Log, PatchStrategy, PortForward, Watch, setHeaderOptions } = clientNode;
  const k = await startTestKube(t, { nodes: 1 });
  const kc = new KubeConfig();
  kc.loadFromFile(k.cluster.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const ns = 'default';

  await t.test('list and create through the typed APIs', async () => {
    const nsList = await core.listNamespace();
    assert.deepEqual(
      nsList.items.map((n) => n.metadata?.name).filter((n) => ['default', 'kube-system'].includes(n!)).sort(),
      ['default', 'kube-system'],
    );
    const created = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cn-one' }, data: { a: '1' } } });
    assert.equal(created.metadata?.name, 'cn-one');
    assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    const list = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: '' });
    assert.ok(list.items.some((c) => c.metadata?.name === 'cn-one'));
    await assert.rejects(core.readNamespacedConfigMap({ name: 'absent', namespace: ns }), (e: Error & { code?: number }) => e.code === 404);
  });

  await t.test('patch with merge, strategic and JSON patch types', async () => {
    const merged = await core.patchNamespacedConfigMap({ name: 'cn-one', namespace: ns, body: { data: { b: '2' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    assert.deepEqual(merged.data, { a: '1', b: '2' });
    const smp = await core.patchNamespacedConfigMap({ name: 'cn-one', namespace: ns, body: { metadata: { labels: { s: 'y' } } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
    assert.equal(smp.metadata?.labels?.s, 'y');
    const jp = await core.patchNamespacedConfigMap({ name: 'cn-one', namespace: ns, body: [{ op: 'remove', path: '/data/a' }] }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch));
    assert.deepEqual(jp.data, { b: '2' });
  });

  await t.test('watch sees ADDED, MODIFIED and DELETED', async () => {
    const seen: string[] = [];
    let ended: unknown;
    const w = new Watch(kc);
    const ctl = await w.watch(`/api/v1/namespaces/${ns}/configmaps`, { labelSelector: 'watched=yes' }, (type, obj: { metadata: { name: string } }) => {
      seen.push(`${type} ${obj.metadata.name}`);
    }, (err) => {
      ended = err ?? 'done';
    });
    try {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cn-w', labels: { watched: 'yes' } }, data: { x: '1' } } });
      await eventually(() => seen.includes('ADDED cn-w'), 5_000, 'ADDED');
      await core.replaceNamespacedConfigMap({ name: 'cn-w', namespace: ns, body: { metadata: { name: 'cn-w', labels: { watched: 'yes' } }, data: { x: '2' } } });
      await eventually(() => seen.includes('MODIFIED cn-w'), 5_000, 'MODIFIED');
      await core.deleteNamespacedConfigMap({ name: 'cn-w', namespace: ns });
      await eventually(() => seen.includes('DELETED cn-w'), 5_000, 'DELETED');
      assert.deepEqual(seen, ['ADDED cn-w', 'MODIFIED cn-w', 'DELETED cn-w']);
      assert.equal(ended, undefined, 'the watch is still open');
    } finally {
      ctl.abort();
    }
  });

  await t.test('KubernetesObjectApi creates, reads and patches by apiVersion and kind', async () => {
    const spec = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'cn-web', namespace: ns },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'cn-web' } },
        template: { metadata: { labels: { app: 'cn-web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25', command: ['sh', '-c', 'echo started; sleep infinity'] }] } },
      },
    };
    const created: KubernetesObject = await objects.create<KubernetesObject>(spec);
    assert.equal(created.metadata?.name, 'cn-web');
    const read: KubernetesObject = await objects.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'cn-web', namespace: ns } });
    assert.equal(read.metadata?.uid, created.metadata?.uid);
    const patched = await objects.patch({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'cn-web', namespace: ns, labels: { patched: 'yes' } } }, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);
    assert.equal(patched.metadata?.labels?.patched, 'yes');
    await eventually(async () => (await apps.readNamespacedDeployment({ name: 'cn-web', namespace: ns })).status?.readyReplicas === 1, 15_000, 'cn-web ready');
  });

  const podName = await eventually(async () => {
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=cn-web' });
    const p = pods.items.find((x) => x.status?.phase === 'Running');
    return p?.metadata?.name;
  }, 15_000, 'a running cn-web pod');

  await t.test('log follow streams the container output', async () => {
    const out = collector();
    const ctl = await new Log(kc).log(ns, podName, 'web', out.stream, { follow: true });
    try {
      await eventually(() => /^started$/m.test(out.text()), 5_000, 'log line');
      assert.match(out.text(), /^started\n$/m);
    } finally {
      ctl.abort();
    }
  });

  await t.test('exec over v5.channel.k8s.io returns stdout and the exit status', async () => {
    const out = collector();
    const err = collector();
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(kc).exec(ns, podName, 'web', ['sh', '-c', 'echo to-out; exit 4'], out.stream, err.stream, null, false, resolve).catch(reject);
    });
    assert.equal(out.text(), 'to-out\n');
    assert.equal(status.status, 'Failure');
    assert.equal(status.details?.causes?.[0]?.message, '4');
  });

  await t.test('exec over v4.channel.k8s.io (an older client) works too', async () => {
    const url = new URL(`${k.cluster.url}/api/v1/namespaces/${ns}/pods/${podName}/exec`);
    for (const c of ['echo', 'v4 works']) url.searchParams.append('command', c);
    url.searchParams.set('stdout', 'true');
    const ws = new WebSocket(url.toString().replace(/^https/, 'wss'), ['v4.channel.k8s.io'], { ca: k.cluster.caPem, headers: { Authorization: `Bearer ${k.cluster.adminToken}` } });
    const frames: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (d: Buffer) => frames.push(Buffer.from(d)));
      ws.on('close', () => resolve());
      ws.on('error', reject);
    });
    assert.equal(ws.protocol, 'v4.channel.k8s.io');
    const stdout = Buffer.concat(frames.filter((f) => f[0] === 1).map((f) => f.subarray(1))).toString();
    assert.equal(stdout, 'v4 works\n');
    const status = JSON.parse(Buffer.concat(frames.filter((f) => f[0] === 3).map((f) => f.subarray(1))).toString()) as { status: string };
    assert.equal(status.status, 'Success');
  });

  await t.test('port-forward over v4.channel.k8s.io reaches the pod port', async () => {
    const input = new PassThrough();
    const out = collector();
    const ws = (await new PortForward(kc).portForward(ns, podName, [8080], out.stream, null, input)) as WebSocket;
    try {
      input.write('GET /via-client-node HTTP/1.1\r\nHost: x\r\n\r\n');
      await eventually(() => out.text().includes('answered GET /via-client-node'), 5_000, 'the answer');
      assert.match(out.text(), /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(out.text(), new RegExp(`fake runtime: pod ${ns}/${podName} port 8080 answered GET /via-client-node\\n$`));
    } finally {
      ws.close();
    }
  });

  await t.test('an unauthenticated caller gets a 401 Status', async () => {
    const r = await new Promise<{ code: number; body: string }>((resolve, reject) => {
      import('node:https').then(({ request }) => {
        const req = request(`${k.cluster.url}/api/v1/namespaces`, { ca: k.cluster.caPem }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => resolve({ code: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      }, reject);
    });
    assert.equal(r.code, 401);
    assert.equal((JSON.parse(r.body) as { reason: string }).reason, 'Unauthorized');
  });
});
