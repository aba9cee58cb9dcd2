import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { requireTools } from '../support/proc.js';
import { eventually, startTestKube, type TestKube } from '../support/kube.js';

// Persistent volumes, the local-path provisioner, ResourceQuota and LimitRange, driven by the
// real kubectl against an in-process cluster on the fake runtime (2 nodes).

const KUBECTL = [{ cmd: 'kubectl', debPackage: 'kubectl (google-cloud-cli)' }];

/** Column headers of kubectl's table output (cells are separated by 2+ spaces). */
function headers(out: string, line = 0): string[] {
  return out.split('\n')[line]!.trim().split(/\s{2,}/);
}

function podYaml(name: string, claim: string, extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: app
    image: busybox:1.36
    command: [sleep, infinity]
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: ${claim}${extra}}
`;
}

async function jsonpath(k: TestKube, args: string[], path: string): Promise<string> {
  return k.ok([...args, '-o', `jsonpath=${path}`]);
}

test('storage: PVs, PVCs, classes, quotas and limit ranges through kubectl', { timeout: 180_000 }, async (t) => {
  if (!requireTools(t, KUBECTL)) return;
  const k = await startTestKube(t, { nodes: 2 });

  await t.test('the default StorageClass standard is served with kubectl columns', async () => {
    const out = await eventually(async () => {
      const r = await k.kubectl(['get', 'sc']);
      return r.code === 0 && r.stdout.includes('standard') ? r.stdout : undefined;
    }, 10_000, 'StorageClass standard');
    assert.deepEqual(headers(out), ['NAME', 'PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE']);
    assert.deepEqual(headers(out, 1).slice(0, 5), ['standard (default)', 'stratus.io/local-path', 'Delete', 'WaitForFirstConsumer', 'true']);
  });

  let pvName = '';
  let node = '';
  await t.test('a claim of the default class binds once a pod uses it; the volume is a directory on the pod node', async () => {
    await k.ok(['apply', '-f', k.manifest('pvc.yaml', 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n')]);
    assert.equal(await jsonpath(k, ['get', 'pvc', 'data'], '{.spec.storageClassName} {.status.phase} {.metadata.finalizers[0]} {.spec.volumeMode}'), 'standard Pending kubernetes.io/pvc-protection Filesystem');
    await k.ok(['apply', '-f', k.manifest('writer.yaml', podYaml('writer', 'data'))]);
    await k.ok(['wait', '--for=condition=Ready', 'pod/writer', '--timeout=20s']);
    assert.equal(await jsonpath(k, ['get', 'pvc', 'data'], '{.status.phase}'), 'Bound');
    pvName = await jsonpath(k, ['get', 'pvc', 'data'], '{.spec.volumeName}');
    node = await jsonpath(k, ['get', 'pod', 'writer'], '{.spec.nodeName}');
    assert.match(pvName, /^pvc-[0-9a-f-]{36}$/);
    assert.equal(await jsonpath(k, ['get', 'pv', pvName], '{.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]}'), node);
    const dir = join(k.dataDir, 'nodes', node, 'storage', pvName);
    assert.equal(await jsonpath(k, ['get', 'pv', pvName], '{.spec.hostPath.path}'), dir);
    assert.ok(existsSync(dir), `${dir} exists`);
    const logs = await k.ok(['logs', 'writer']);
    assert.match(logs, new RegExp(`mounted persistentvolumeclaim data \\(volume ${pvName}, ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) at /data`));
  });

  await t.test('kubectl get pv,pvc prints upstream columns', async () => {
    const out = await k.ok(['get', 'pv,pvc']);
    const blocks = out.trim().split('\n\n');
    assert.deepEqual(headers(blocks[0]!), ['NAME', 'CAPACITY', 'ACCESS MODES', 'RECLAIM POLICY', 'STATUS', 'CLAIM', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'REASON', 'AGE']);
    assert.deepEqual(headers(blocks[0]!, 1).slice(0, 8), [`persistentvolume/${pvName}`, '1Gi', 'RWO', 'Delete', 'Bound', 'default/data', 'standard', '<unset>']);
    assert.deepEqual(headers(blocks[1]!), ['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE']);
    assert.deepEqual(headers(blocks[1]!, 1).slice(0, 7), ['persistentvolumeclaim/data', 'Bound', pvName, '1Gi', 'RWO', 'standard', '<unset>']);
    const wide = await k.ok(['get', 'pvc', 'data', '-o', 'wide']);
    assert.equal(headers(wide).at(-1), 'VOLUMEMODE');
  });

  await t.test('a second pod of the claim lands on the volume node', async () => {
    await k.ok(['apply', '-f', k.manifest('reader.yaml', podYaml('reader', 'data', ', readOnly: true'))]);
    await k.ok(['wait', '--for=condition=Ready', 'pod/reader', '--timeout=20s']);
    assert.equal(await jsonpath(k, ['get', 'pod', 'reader'], '{.spec.nodeName}'), node);
    assert.match(await k.ok(['logs', 'reader']), /at \/data read-only/);
  });

  await t.test('a bound claim is immutable but for its request; bad claims get 422 with causes', async () => {
    const r = await k.kubectl(['patch', 'pvc', 'data', '--type=merge', '-p', '{"spec":{"accessModes":["ReadWriteMany"]}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /PersistentVolumeClaim "data" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims/);
    const bad = await k.kubectl(['apply', '-f', k.manifest('bad.yaml', 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: bad}\nspec:\n  accessModes: [ReadWriteSometimes]\n  volumeMode: Fancy\n  resources: {requests: {storage: 0}}\n')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec.accessModes: Unsupported value: "ReadWriteSometimes"/);
    assert.match(bad.stderr, /spec.volumeMode: Unsupported value: "Fancy": supported values: "Block", "Filesystem"/);
    assert.match(bad.stderr, /spec.resources.requests\[storage\]: Invalid value: 0: must be greater than zero/);
  });

  await t.test('pvc-protection holds the claim while pods use it; reclaim Delete removes volume and directory', async () => {
    const dir = join(k.dataDir, 'nodes', node, 'storage', pvName);
    await k.ok(['delete', 'pvc', 'data', '--wait=false']);
    const row = await k.ok(['get', 'pvc', 'data', '--no-headers']);
    assert.match(row, /^data\s+Terminating\s/);
    assert.ok(existsSync(dir));
    await k.ok(['delete', 'pod', 'writer', 'reader', '--wait=true', '--timeout=20s']);
    await k.ok(['wait', '--for=delete', 'pvc/data', '--timeout=20s']);
    await k.ok(['wait', '--for=delete', `pv/${pvName}`, '--timeout=20s']);
    await eventually(() => !existsSync(dir), 5_000, `${dir} removed`);
  });

  await t.test('a static PV binds to a class-less claim at once; Retain keeps it Released', async () => {
    await k.ok(['apply', '-f', k.manifest('static.yaml', `apiVersion: v1
kind: PersistentVolume
metadata: {name: static-1, labels: {tier: gold}}
spec:
  capacity: {storage: 2Gi}
  accessModes: [ReadWriteOnce, ReadOnlyMany]
  storageClassName: ""
  hostPath: {path: ${join(k.dir, 'static-1')}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: static-claim}
spec:
  storageClassName: ""
  accessModes: [ReadOnlyMany]
  selector: {matchLabels: {tier: gold}}
  resources: {requests: {storage: 1Gi}}
`)]);
    await eventually(async () => (await jsonpath(k, ['get', 'pvc', 'static-claim'], '{.status.phase}')) === 'Bound', 10_000, 'static claim bound');
    const pv = await k.ok(['get', 'pv', 'static-1', '--no-headers']);
    assert.deepEqual(pv.trim().split(/\s+/).slice(0, 6), ['static-1', '2Gi', 'RWO,ROX', 'Retain', 'Bound', 'default/static-claim']);
    assert.equal(await jsonpath(k, ['get', 'pvc', 'static-claim'], '{.status.capacity.storage}'), '2Gi');
    await k.ok(['delete', 'pvc', 'static-claim', '--timeout=20s']);
    await eventually(async () => (await jsonpath(k, ['get', 'pv', 'static-1'], '{.status.phase}')) === 'Released', 10_000, 'static volume released');
    await k.ok(['delete', 'pv', 'static-1', '--timeout=20s']);
  });

  await t.test('a pod whose Immediate claim is unbound stays Pending with FailedScheduling', async () => {
    await k.ok(['apply', '-f', k.manifest('slow.yaml', `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: slow}
provisioner: example.com/nowhere
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: slow-claim}
spec:
  storageClassName: slow
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`)]);
    await k.ok(['apply', '-f', k.manifest('waiter.yaml', podYaml('waiter', 'slow-claim'))]);
    const msg = await eventually(async () => {
      const out = await k.ok(['get', 'events', '--field-selector', 'involvedObject.name=waiter,reason=FailedScheduling', '-o', 'jsonpath={.items[*].message}']);
      return out || undefined;
    }, 10_000, 'FailedScheduling event');
    assert.match(msg, /0\/2 nodes are available: pod has unbound immediate PersistentVolumeClaims\./);
    assert.equal(await jsonpath(k, ['get', 'pod', 'waiter'], '{.status.phase}'), 'Pending');
    await k.ok(['delete', 'pod', 'waiter', '--timeout=20s']);
    await k.ok(['delete', 'pvc', 'slow-claim', '--timeout=20s']);
  });

  await t.test('ResourceQuota refuses creates over the limit and reports usage', async () => {
    await k.ok(['create', 'namespace', 'quota-ns']);
    await k.ok(['create', 'quota', 'q', '--hard=pods=2,requests.storage=3Gi', '-n', 'quota-ns']);
    for (const name of ['p1', 'p2']) await k.ok(['run', name, '--image=busybox:1.36', '-n', 'quota-ns', '--restart=Never', '--', 'sleep', 'infinity']);
    const r = await k.kubectl(['run', 'p3', '--image=busybox:1.36', '-n', 'quota-ns', '--restart=Never', '--', 'sleep', 'infinity']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pods "p3" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2/);
    const big = await k.kubectl(['apply', '-n', 'quota-ns', '-f', k.manifest('bigpvc.yaml', 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: big}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 5Gi}}\n')]);
    assert.match(big.stderr, /exceeded quota: q, requested: requests.storage=5Gi, used: requests.storage=0, limited: requests.storage=3Gi/);
    const described = await eventually(async () => {
      const out = await k.ok(['describe', 'quota', 'q', '-n', 'quota-ns']);
      return /pods\s+2\s+2/.test(out) ? out : undefined;
    }, 10_000, 'quota status');
    assert.match(described, /Resource\s+Used\s+Hard/);
    assert.match(described, /requests.storage\s+0\s+3Gi/);
    const row = await k.ok(['get', 'quota', 'q', '-n', 'quota-ns']);
    assert.deepEqual(headers(row), ['NAME', 'AGE', 'REQUEST', 'LIMIT']);
    assert.match(row, /pods: 2\/2, requests.storage: 0\/3Gi/);
  });

  await t.test('LimitRange defaults show in the created pod; maximums are enforced', async () => {
    await k.ok(['create', 'namespace', 'limits-ns']);
    await k.ok(['apply', '-n', 'limits-ns', '-f', k.manifest('lr.yaml', `apiVersion: v1
kind: LimitRange
metadata: {name: limits}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 100m}
    max: {cpu: "1"}
`)]);
    assert.equal(await jsonpath(k, ['get', 'limits', 'limits', '-n', 'limits-ns'], '{.spec.limits[0].defaultRequest.memory}'), '256Mi');
    await k.ok(['run', 'dflt', '--image=busybox:1.36', '-n', 'limits-ns', '--restart=Never', '--', 'sleep', 'infinity']);
    const res = JSON.parse(await jsonpath(k, ['get', 'pod', 'dflt', '-n', 'limits-ns'], '{.spec.containers[0].resources}'));
    assert.deepEqual(res, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '256Mi' } });
    assert.equal(await jsonpath(k, ['get', 'pod', 'dflt', '-n', 'limits-ns'], "{.metadata.annotations['kubernetes\\.io/limit-ranger']}"), 'LimitRanger plugin set: cpu, memory request for container dflt; cpu, memory limit for container dflt');
    const r = await k.kubectl(['run', 'huge', '--image=busybox:1.36', '-n', 'limits-ns', '--restart=Never', '--overrides', '{"spec":{"containers":[{"name":"huge","image":"busybox:1.36","resources":{"limits":{"cpu":"2"}}}]}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pods "huge" is forbidden: maximum cpu usage per Container is 1, but limit is 2/);
    const lr = await k.ok(['get', 'limits', '-n', 'limits-ns']);
    assert.deepEqual(headers(lr), ['NAME', 'CREATED AT']);
  });
});
