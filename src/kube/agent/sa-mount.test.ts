import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../types.js';
import { kubernetesServiceEnv, mergeEnv, SA_MOUNT_PATH, serviceAccountVolumeName, withServiceAccountVolume } from './sa-mount.js';

const pod = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'abcdef12-3456' }, spec });

test('the service-account volume is added and mounted unless the pod or its account opts out', () => {
  const p = pod({ containers: [{ name: 'a' }, { name: 'b', volumeMounts: [{ name: 'mine', mountPath: `${SA_MOUNT_PATH}/` }] }], initContainers: [{ name: 'i' }], volumes: [{ name: 'mine', emptyDir: {} }] });
  const name = serviceAccountVolumeName(p, undefined);
  assert.equal(name, 'kube-api-access-abcde');
  const run = withServiceAccountVolume(p, name);
  const spec = run.spec as { volumes: { name: string; projected?: { sources: unknown[] } }[]; containers: { volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] }[]; initContainers: { volumeMounts?: unknown[] }[] };
  assert.deepEqual(spec.volumes.map((v) => v.name), ['mine', 'kube-api-access-abcde']);
  assert.deepEqual(spec.volumes[1]!.projected!.sources, [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }]);
  assert.deepEqual(spec.containers[0]!.volumeMounts, [{ name: 'kube-api-access-abcde', mountPath: SA_MOUNT_PATH, readOnly: true }]);
  assert.equal(spec.containers[1]!.volumeMounts!.length, 1, 'a container with its own mount there keeps it');
  assert.equal(spec.initContainers[0]!.volumeMounts!.length, 1);
  assert.equal((p.spec as { volumes: unknown[] }).volumes.length, 1, 'the input is not changed');

  assert.equal(serviceAccountVolumeName(pod({ automountServiceAccountToken: false, containers: [{ name: 'a' }] }), undefined), undefined);
  const saOff = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' }, automountServiceAccountToken: false } as KubeObject;
  assert.equal(serviceAccountVolumeName(pod({ containers: [{ name: 'a' }] }), saOff), undefined);
  assert.ok(serviceAccountVolumeName(pod({ automountServiceAccountToken: true, containers: [{ name: 'a' }] }), saOff), 'the pod overrides its account');
  assert.equal(serviceAccountVolumeName(pod({ containers: [{ name: 'a' }], volumes: [{ name: 'kube-api-access-abcde' }] }), undefined), 'kube-api-access-abcde-2');
});

test('KUBERNETES_* env comes from the kubernetes Service; the container own env wins', () => {
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'kubernetes' }, spec: { clusterIP: '10.43.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] } } as KubeObject;
  const env = kubernetesServiceEnv(svc);
  const m = Object.fromEntries(env.map((e) => [e.name, e.value]));
  assert.equal(m.KUBERNETES_SERVICE_HOST, '10.43.0.1');
  assert.equal(m.KUBERNETES_SERVICE_PORT, '443');
  assert.equal(m.KUBERNETES_SERVICE_PORT_HTTPS, '443');
  assert.equal(m.KUBERNETES_PORT, 'tcp://10.43.0.1:443');
  assert.equal(m.KUBERNETES_PORT_443_TCP_ADDR, '10.43.0.1');
  assert.deepEqual(kubernetesServiceEnv(undefined), []);
  const merged = mergeEnv(env, [{ name: 'KUBERNETES_SERVICE_HOST', value: 'x' }, { name: 'A', value: '1' }]);
  assert.equal(merged.filter((e) => e.name === 'KUBERNETES_SERVICE_HOST').length, 1);
  assert.equal(merged.find((e) => e.name === 'KUBERNETES_SERVICE_HOST')!.value, 'x');
  assert.equal(merged.at(-1)!.name, 'A');
});
