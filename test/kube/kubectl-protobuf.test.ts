import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { requireTools } from '../support/proc.js';
import { eventually, startTestKube } from '../support/kube.js';

// kubectl's `create <generator>` commands, `drain` and other typed-client commands send protobuf
// request bodies (application/vnd.kubernetes.protobuf): the real kubectl against an in-process
// cluster (fake runtime), checking what got stored with `get -o json`.

const KUBECTL = [{ cmd: 'kubectl', debPackage: 'kubectl (google-cloud-cli)' }];

interface Obj {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; uid: string };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  type?: string;
  status?: Record<string, unknown>;
}

test('kubectl typed-client commands (protobuf bodies)', async (t) => {
  if (!requireTools(t, KUBECTL)) return;
  const k = await startTestKube(t, { nodes: 2 });
  const get = async (...args: string[]) => JSON.parse(await k.ok(['get', ...args, '-o', 'json'])) as Obj;

  await t.test('create namespace', async () => {
    assert.match(await k.ok(['create', 'namespace', 'proto']), /^namespace\/proto created$/m);
    const ns = await get('namespace', 'proto');
    assert.equal(ns.metadata.name, 'proto');
    assert.equal(ns.status?.phase, 'Active');
  });

  await t.test('create configmap --from-literal', async () => {
    assert.match(await k.ok(['create', 'configmap', 'c', '-n', 'proto', '--from-literal=a=1', '--from-literal=empty=']), /^configmap\/c created$/m);
    const cm = await get('configmap', 'c', '-n', 'proto');
    assert.deepEqual(cm.data, { a: '1', empty: '' });
  });

  await t.test('create configmap --from-file with binary content goes to binaryData', async () => {
    const file = k.manifest('blob.bin', '');
    writeFileSync(file, Buffer.from([0, 1, 2, 0xfe, 0xff]));
    await k.ok(['create', 'configmap', 'bin', '-n', 'proto', `--from-file=blob=${file}`]);
    const cm = JSON.parse(await k.ok(['get', 'configmap', 'bin', '-n', 'proto', '-o', 'json'])) as { binaryData?: Record<string, string> };
    assert.deepEqual(cm.binaryData, { blob: Buffer.from([0, 1, 2, 0xfe, 0xff]).toString('base64') });
  });

  await t.test('create secret generic --from-literal', async () => {
    assert.match(await k.ok(['create', 'secret', 'generic', 's', '-n', 'proto', '--from-literal=p=q']), /^secret\/s created$/m);
    const s = await get('secret', 's', '-n', 'proto');
    assert.equal(s.type, 'Opaque');
    assert.equal(Buffer.from(s.data!.p!, 'base64').toString(), 'q');
  });

  await t.test('create serviceaccount', async () => {
    assert.match(await k.ok(['create', 'serviceaccount', 'sa1', '-n', 'proto']), /^serviceaccount\/sa1 created$/m);
    assert.equal((await get('serviceaccount', 'sa1', '-n', 'proto')).metadata.name, 'sa1');
  });

  await t.test('create token --duration --audience (a protobuf TokenRequest)', async (t2) => {
    const r = await k.kubectl(['create', 'token', 'sa1', '-n', 'proto', '--duration=10m', '--audience=foo', '--audience=bar']);
    if (r.code !== 0 && /not implemented|ServiceUnavailable|MethodNotAllowed/i.test(r.stderr)) {
      t2.skip(`this build does not issue service-account tokens: ${r.stderr.trim()}`);
      return;
    }
    assert.equal(r.code, 0, r.stderr);
    const claims = JSON.parse(Buffer.from(r.stdout.trim().split('.')[1]!, 'base64url').toString()) as { aud: string[]; exp: number; iat: number; sub: string };
    assert.deepEqual(claims.aud, ['foo', 'bar']);
    assert.equal(claims.exp - claims.iat, 600);
    assert.equal(claims.sub, 'system:serviceaccount:proto:sa1');
  });

  await t.test('create deployment --replicas --port, then rollout status', async () => {
    assert.match(await k.ok(['create', 'deployment', 'web', '-n', 'proto', '--image=busybox', '--replicas=2', '--port=80']), /^deployment\.apps\/web created$/m);
    const d = await get('deployment', 'web', '-n', 'proto');
    assert.equal(d.spec!.replicas, 2);
    assert.deepEqual(d.spec!.selector, { matchLabels: { app: 'web' } });
    const tpl = d.spec!.template as { metadata: { labels: Record<string, string> }; spec: { containers: { name: string; image: string; ports: { containerPort: number; protocol: string }[] }[] } };
    assert.deepEqual(tpl.metadata.labels, { app: 'web' });
    assert.equal(tpl.spec.containers[0]!.name, 'busybox');
    assert.equal(tpl.spec.containers[0]!.image, 'busybox');
    assert.equal(tpl.spec.containers[0]!.ports[0]!.containerPort, 80);
    assert.equal(tpl.spec.containers[0]!.ports[0]!.protocol, 'TCP', 'defaults applied as for JSON bodies');
    assert.equal((d.spec!.strategy as { type: string }).type, 'RollingUpdate');
    assert.match(await k.ok(['rollout', 'status', 'deployment/web', '-n', 'proto', '--timeout=30s']), /successfully rolled out/);
    const pods = (await k.ok(['get', 'pods', '-n', 'proto', '-l', 'app=web', '-o', 'name'])).trim().split('\n');
    assert.equal(pods.length, 2);
  });

  await t.test('create service nodeport --tcp', async () => {
    assert.match(await k.ok(['create', 'service', 'nodeport', 'np', '-n', 'proto', '--tcp=80:8080']), /^service\/np created$/m);
    const svc = await get('service', 'np', '-n', 'proto');
    const spec = svc.spec as { type: string; clusterIP: string; selector: Record<string, string>; ports: { name: string; port: number; targetPort: number; protocol: string; nodePort: number }[] };
    assert.equal(spec.type, 'NodePort');
    assert.deepEqual(spec.selector, { app: 'np' });
    assert.equal(spec.ports.length, 1);
    assert.equal(spec.ports[0]!.name, '80-8080');
    assert.equal(spec.ports[0]!.port, 80);
    assert.equal(spec.ports[0]!.targetPort, 8080);
    assert.equal(spec.ports[0]!.protocol, 'TCP');
    assert.ok(spec.ports[0]!.nodePort >= 30000 && spec.ports[0]!.nodePort <= 32767, `nodePort allocated: ${spec.ports[0]!.nodePort}`);
    assert.match(spec.clusterIP, /^\d+\.\d+\.\d+\.\d+$/);
  });

  await t.test('create service clusterip: an unset target port defaults to the port', async () => {
    await k.ok(['create', 'service', 'clusterip', 'cip', '-n', 'proto', '--tcp=5678:8080', '--tcp=53']);
    const spec = (await get('service', 'cip', '-n', 'proto')).spec as { ports: { port: number; targetPort: number }[] };
    assert.deepEqual(spec.ports.map((p) => [p.port, p.targetPort]), [[5678, 8080], [53, 53]]);
  });

  await t.test('create job -- command, and it completes', async () => {
    assert.match(await k.ok(['create', 'job', 'j', '-n', 'proto', '--image=busybox', '--', 'echo', 'hi']), /^job\.batch\/j created$/m);
    const job = await get('job', 'j', '-n', 'proto');
    const tpl = job.spec!.template as { spec: { restartPolicy: string; containers: { name: string; image: string; command: string[] }[] } };
    assert.equal(tpl.spec.restartPolicy, 'Never');
    assert.deepEqual(tpl.spec.containers[0]!.command, ['echo', 'hi']);
    assert.equal(tpl.spec.containers[0]!.image, 'busybox');
    await k.ok(['wait', '--for=condition=Complete', 'job/j', '-n', 'proto', '--timeout=30s']);
  });

  await t.test('create against an existing name is a 409 from the server, not a decoding error', async () => {
    const again = await k.kubectl(['create', 'configmap', 'c', '-n', 'proto', '--from-literal=a=2']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /configmaps "c" already exists/);
  });

  await t.test('over HTTPS: malformed protobuf is 400, a type without a table 415, never 500', async () => {
    const post = (path: string, body: Buffer) =>
      new Promise<{ code: number; status: { kind: string; reason: string; message: string } }>((resolve, reject) => {
        const req = request(`${k.cluster.url}${path}`, {
          method: 'POST',
          ca: k.cluster.caPem,
          headers: { Authorization: `Bearer ${k.cluster.adminToken}`, 'Content-Type': 'application/vnd.kubernetes.protobuf', Accept: 'application/json' },
        }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ code: res.statusCode!, status: JSON.parse(text) }));
        });
        req.once('error', reject);
        req.end(body);
      });
    const magic = [0x6b, 0x38, 0x73, 0x00];
    const bad = await post('/api/v1/namespaces/proto/configmaps', Buffer.from([...magic, 0x0a, 0x40, 0x0a]));
    assert.equal(bad.code, 400);
    assert.equal(bad.status.reason, 'BadRequest');
    assert.match(bad.status.message, /protobuf request body is malformed/);
    // runtime.Unknown{typeMeta{apiVersion "networking.k8s.io/v1", kind "Ingress"}, raw ""}
    const tm = [0x0a, 20, ...Buffer.from('networking.k8s.io/v1'), 0x12, 7, ...Buffer.from('Ingress')];
    const role = await post('/api/v1/namespaces/proto/configmaps', Buffer.from([...magic, 0x0a, tm.length, ...tm, 0x12, 0x00]));
    assert.equal(role.code, 415);
    assert.match(role.status.message, /kubectl apply -f -/);
    // A Secret body posted to configmaps: decoded, then refused like a JSON body would be.
    const stm = [0x0a, 2, ...Buffer.from('v1'), 0x12, 6, ...Buffer.from('Secret')];
    const wrong = await post('/api/v1/namespaces/proto/configmaps', Buffer.from([...magic, 0x0a, stm.length, ...stm, 0x12, 0x05, 0x0a, 0x03, 0x0a, 0x01, 0x78]));
    assert.equal(wrong.code, 400);
    assert.match(wrong.status.message, /kind in the data \(Secret\) does not match the expected kind \(ConfigMap\)/);
  });

  await t.test('drain evicts pods through protobuf Eviction bodies', async () => {
    const before = JSON.parse(await k.ok(['get', 'pods', '-n', 'proto', '-l', 'app=web', '-o', 'json'])) as { items: { metadata: { name: string }; spec: { nodeName: string } }[] };
    const node = before.items[0]!.spec.nodeName;
    const onNode = before.items.filter((p) => p.spec.nodeName === node).map((p) => p.metadata.name);
    const out = await k.ok(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=30s'], { timeoutMs: 45_000 });
    for (const p of onNode) assert.match(out, new RegExp(`pod/${p} evicted`));
    assert.match(out, new RegExp(`node/${node} drained`));
    await eventually(async () => {
      const now = JSON.parse(await k.ok(['get', 'pods', '-n', 'proto', '-l', 'app=web', '-o', 'json'])) as typeof before;
      return !now.items.some((p) => onNode.includes(p.metadata.name));
    }, 15_000, 'the evicted pods gone');
    await k.ok(['uncordon', node]);
  });
});
