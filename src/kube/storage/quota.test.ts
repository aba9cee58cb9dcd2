import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RESOURCES } from '../resources.js';
import type { KubeObject } from '../types.js';
import { applyLimitDefaults, claimLimitViolations, defaultLimitRange, podLimitViolations } from './limits.js';
import { formatQuantity } from './quantity.js';
import { countedResource, missingCompute, objectUsage, quotaRefusal, quotaUsage } from './quota.js';

const core = (n: string) => RESOURCES.find((r) => r.group === '' && r.resource === n)!;
const PODS = core('pods');
const PVCS = core('persistentvolumeclaims');

function pod(name: string, resources: Record<string, unknown>[] = [{}], extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'q' }, spec: { containers: resources.map((r, i) => ({ name: `c${i}`, image: 'x', resources: r })), ...extra }, status: { phase: 'Running' } };
}

function quota(hard: Record<string, string>, scopes?: string[]): KubeObject {
  return { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'q' }, spec: { hard, ...(scopes ? { scopes } : {}) } };
}

test('quantities print in canonical form', () => {
  assert.equal(formatQuantity(2 ** 30, true), '1Gi');
  assert.equal(formatQuantity(1536 * 2 ** 20, true), '1536Mi');
  assert.equal(formatQuantity(0.5), '500m');
  assert.equal(formatQuantity(2), '2');
  assert.equal(formatQuantity(3000), '3k');
  assert.equal(formatQuantity(0), '0');
});

test('usage: pods, compute (init containers counted at their max), claims per class, count/<resource>', () => {
  const p = pod('a', [{ requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1' } }, { limits: { cpu: '500m', memory: '128Mi' } }], { initContainers: [{ name: 'i', image: 'x', resources: { requests: { cpu: '2' } } }] });
  const u = objectUsage(PODS, p, ['pods', 'requests.cpu', 'cpu', 'limits.cpu', 'requests.memory', 'limits.memory', 'count/pods']);
  assert.deepEqual(u.values, { pods: 1, 'count/pods': 1, 'requests.cpu': 2, cpu: 2, 'limits.cpu': 1.5, 'requests.memory': 192 * 2 ** 20, 'limits.memory': 128 * 2 ** 20 });
  const done = { ...pod('b'), status: { phase: 'Succeeded' } };
  assert.deepEqual(objectUsage(PODS, done, ['pods']).values, {});
  const claim: KubeObject = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c', namespace: 'q' }, spec: { storageClassName: 'fast', resources: { requests: { storage: '2Gi' } } } };
  assert.deepEqual(objectUsage(PVCS, claim, ['persistentvolumeclaims', 'requests.storage', 'fast.storageclass.storage.k8s.io/requests.storage']).values, {
    persistentvolumeclaims: 1,
    'requests.storage': 2 * 2 ** 30,
    'fast.storageclass.storage.k8s.io/requests.storage': 2 * 2 ** 30,
  });
  assert.equal(countedResource('count/deployments.apps')?.kind, 'Deployment');
  assert.equal(countedResource('count/nothing'), undefined);
});

test('usage: sidecar init containers (restartPolicy Always) add up, as the scheduler counts them', () => {
  const init = (name: string, cpu: string, always = false) => ({ name, image: 'x', ...(always ? { restartPolicy: 'Always' } : {}), resources: { requests: { cpu } } });
  const p = pod('s', [{ requests: { cpu: '1' } }], { initContainers: [init('side', '500m', true), init('setup', '2'), init('side2', '250m', true)] });
  // containers 1 + sidecars 0.75 = 1.75; the setup container's peak is 2 + 0.5 (the sidecar before it) = 2.5.
  assert.deepEqual(objectUsage(PODS, p, ['requests.cpu']).values, { 'requests.cpu': 2.5 });
});

test('scopes narrow which pods count', () => {
  const be = pod('be');
  const burst = pod('bu', [{ requests: { cpu: '1' } }]);
  assert.deepEqual(objectUsage(PODS, be, ['pods'], ['BestEffort']).values, { pods: 1 });
  assert.deepEqual(objectUsage(PODS, burst, ['pods'], ['BestEffort']).values, {});
  assert.deepEqual(objectUsage(PODS, burst, ['pods'], ['NotBestEffort', 'NotTerminating']).values, { pods: 1 });
  assert.deepEqual(objectUsage(PODS, pod('t', [{}], { activeDeadlineSeconds: 5 }), ['pods'], ['NotTerminating']).values, {});
});

test('refusals use upstream wording', () => {
  const q = quota({ pods: '2', 'requests.memory': '1Gi' });
  const existing = [pod('a', [{ requests: { memory: '512Mi' } }]), pod('b', [{ requests: { memory: '256Mi' } }])];
  const used = quotaUsage(q, (res) => (res === PODS ? existing : []));
  assert.equal(quotaRefusal(q, PODS, pod('c', [{ requests: { memory: '512Mi' } }]), used), 'exceeded quota: q, requested: pods=1,requests.memory=512Mi, used: pods=2,requests.memory=768Mi, limited: pods=2,requests.memory=1Gi');
  assert.equal(quotaRefusal(quota({ pods: '3', 'requests.memory': '1Gi' }), PODS, pod('c', [{ requests: { memory: '128Mi' } }]), used), undefined);
  assert.equal(quotaRefusal(q, PODS, pod('c'), used), 'failed quota: q: must specify requests.memory for: c0');
  assert.equal(missingCompute(pod('x', [{ limits: { cpu: '1' } }, {}]), ['limits.cpu', 'requests.cpu', 'limits.memory']), 'must specify limits.cpu for: c1; limits.memory for: c0,c1; requests.cpu for: c1');
  assert.equal(quotaRefusal(q, core('services'), { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } }, used), undefined);
});

test('limit ranges: object defaults, container defaults with the annotation, min/max messages', () => {
  const lr: KubeObject = { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'l' }, spec: { limits: [{ type: 'Container', max: { cpu: '1', memory: '1Gi' }, min: { cpu: '100m' }, default: { memory: '512Mi' } }, { type: 'PersistentVolumeClaim', max: { storage: '2Gi' } }] } };
  defaultLimitRange(lr);
  const item = (lr.spec as { limits: Record<string, Record<string, string>>[] }).limits[0]!;
  assert.deepEqual(item.default, { memory: '512Mi', cpu: '1' });
  assert.deepEqual(item.defaultRequest, { memory: '512Mi', cpu: '1' });
  const p = pod('p', [{ requests: { cpu: '200m' } }]);
  applyLimitDefaults(p, [lr]);
  const res = (p.spec as { containers: { resources: unknown }[] }).containers[0]!.resources;
  assert.deepEqual(res, { limits: { memory: '512Mi', cpu: '1' }, requests: { cpu: '200m', memory: '512Mi' } });
  assert.equal(p.metadata.annotations?.['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: memory request for container c0; cpu, memory limit for container c0');
  assert.deepEqual(podLimitViolations(pod('x', [{ requests: { cpu: '50m' }, limits: { cpu: '2', memory: '1Gi' } }]), [lr]), ['minimum cpu usage per Container is 100m, but request is 50m', 'maximum cpu usage per Container is 1, but limit is 2']);
  assert.deepEqual(podLimitViolations(pod('x', [{}]), [lr]), ['minimum cpu usage per Container is 100m.  No request is specified', 'maximum cpu usage per Container is 1.  No limit is specified', 'maximum memory usage per Container is 1Gi.  No limit is specified']);
  const claim: KubeObject = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: { resources: { requests: { storage: '5Gi' } } } };
  assert.deepEqual(claimLimitViolations(claim, [lr]), ['maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi']);
});
