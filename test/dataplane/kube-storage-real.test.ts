import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { kubeDataplaneSkipReason } from '../support/kube-dataplane.js';
import { eventually, startTestKube } from '../support/kube.js';

// A PersistentVolumeClaim of the default local-path class on a real node (crun pod, busybox
// from the local registry): what a pod writes lands in the volume's directory on the node,
// survives the pod, is read by its replacement, and the directory goes with the claim.
// Root only (skipped otherwise).

const root = process.getuid?.() === 0;
const ci = process.env.CI === 'true';
const reason = kubeDataplaneSkipReason();
const skip = reason && !(ci && root) ? reason : false;

const pod = (name: string, script: string, readOnly = false) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox:1.35
    command: [sh, -c, '${script}']
    volumeMounts: [{name: data, mountPath: /data${readOnly ? ', readOnly: true' : ''}}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: data}
`;

test('a PVC on a real node keeps its data across pod replacement', { skip, timeout: 180_000 }, async (t) => {
  assert.equal(reason, undefined, `CI as root must run the real-node storage check: ${reason}`);
  const k = await startTestKube(t, { nodes: 1, realNodes: true });
  if (k.cluster.runtime !== 'crun') {
    const why = `pods would run on the fake runtime: ${k.cluster.notes.join('; ')}`;
    if (ci) assert.fail(why);
    t.skip(why);
    return;
  }
  await eventually(async () => (await k.kubectl(['get', 'sc', 'standard'])).code === 0, 10_000, 'default StorageClass');
  await k.ok(['apply', '-f', k.manifest('pvc.yaml', 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 64Mi}}\n')]);
  await k.ok(['apply', '-f', k.manifest('writer.yaml', pod('writer', 'echo kept-$(hostname) > /data/note && exec sleep 3600'))]);
  await k.ok(['wait', '--for=condition=Ready', 'pod/writer', '--timeout=60s'], { timeoutMs: 70_000 });
  const pv = await k.ok(['get', 'pvc', 'data', '-o', 'jsonpath={.spec.volumeName}']);
  const node = await k.ok(['get', 'pod', 'writer', '-o', 'jsonpath={.spec.nodeName}']);
  const dir = join(k.dataDir, 'nodes', node, 'storage', pv);
  await eventually(() => existsSync(join(dir, 'note')), 10_000, 'the note in the volume directory');
  assert.equal(readFileSync(join(dir, 'note'), 'utf8'), 'kept-writer\n');

  await k.ok(['delete', 'pod', 'writer', '--timeout=30s'], { timeoutMs: 40_000 });
  await k.ok(['apply', '-f', k.manifest('reader.yaml', pod('reader', 'cat /data/note; touch /data/ro 2>/dev/null && echo writable || echo read-only; exec sleep 3600', true))]);
  await k.ok(['wait', '--for=condition=Ready', 'pod/reader', '--timeout=60s'], { timeoutMs: 70_000 });
  const logs = await eventually(async () => {
    const out = await k.ok(['logs', 'reader']);
    return out.includes('read-only') || out.includes('writable') ? out : undefined;
  }, 10_000, 'reader output');
  assert.equal(logs, 'kept-writer\nread-only\n');

  await k.ok(['delete', 'pod', 'reader', '--timeout=30s'], { timeoutMs: 40_000 });
  await k.ok(['delete', 'pvc', 'data', '--timeout=30s'], { timeoutMs: 40_000 });
  await eventually(() => !existsSync(dir), 15_000, `${dir} removed with the claim`);
});
