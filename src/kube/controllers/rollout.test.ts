import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../types.js';
import { intOrPercent, newRSReplicas, oldScaleDownBudget, sameTemplate, surgeAndUnavailable } from './rollout.js';
import { templateHash } from './objects.js';

const d = (replicas: number, ru?: Record<string, unknown>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd' },
  spec: { replicas, strategy: { type: 'RollingUpdate', ...(ru ? { rollingUpdate: ru } : {}) } },
});
const rs = (name: string, replicas: number, available: number): KubeObject => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name }, spec: { replicas }, status: { availableReplicas: available } });

test('maxSurge rounds up, maxUnavailable rounds down, never both zero', () => {
  assert.equal(intOrPercent('25%', 10, true), 3);
  assert.equal(intOrPercent('25%', 10, false), 2);
  assert.equal(intOrPercent(2, 10, true), 2);
  assert.deepEqual(surgeAndUnavailable(d(1)), { maxSurge: 1, maxUnavailable: 0 });
  assert.deepEqual(surgeAndUnavailable(d(3, { maxSurge: 0, maxUnavailable: 0 })), { maxSurge: 0, maxUnavailable: 1 });
});

test('rolling update steps with maxSurge 1 / maxUnavailable 0', () => {
  const dep = d(3, { maxSurge: 1, maxUnavailable: 0 });
  const old = rs('old', 3, 3);
  assert.equal(newRSReplicas(dep, [old], undefined), 1);
  const fresh = rs('new', 1, 0);
  assert.equal(oldScaleDownBudget(dep, [old, fresh], fresh), 0, 'no scale-down until the new pod is available');
  const ready = rs('new', 1, 1);
  assert.equal(oldScaleDownBudget(dep, [old, ready], ready), 1);
});

test('templates compare without pod-template-hash; hashes are stable and DNS-safe', () => {
  const a = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
  const b = { spec: { containers: [{ image: 'i', name: 'c' }] }, metadata: { labels: { 'pod-template-hash': 'abc', app: 'x' } } };
  assert.ok(sameTemplate(a, b));
  assert.equal(templateHash(a), templateHash(structuredClone(a)));
  assert.notEqual(templateHash(a), templateHash(a, 1));
  assert.match(templateHash(a), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
});
