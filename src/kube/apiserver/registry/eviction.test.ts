import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeError } from '../../errors.js';
import type { Entry } from '../../store/store.js';
import type { KubeObject } from '../../types.js';
import { budgetForEviction } from './eviction.js';

const pod = (ready: boolean, phase = 'Running'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web' } },
  status: { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

function budget(status: Record<string, unknown>, spec: Record<string, unknown> = {}, generation = 1): Entry {
  const obj: KubeObject = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'default', generation }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec }, status };
  return { key: '/policy/poddisruptionbudgets/default/web', rev: 1, obj, json: JSON.stringify(obj) };
}

const healthy = { observedGeneration: 1, disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 };
const cause = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return [(err as KubeError).code, (err as KubeError).details?.causes?.[0]?.message ?? (err as Error).message];
  }
  return undefined;
};

test('budgetForEviction: decrement, 429 with the reason, stale budgets, unready pods, pods outside any budget', () => {
  const now = Date.parse('2024-05-01T10:00:00Z');
  const ok = budgetForEviction(pod(true), [budget(healthy)], now)!;
  assert.equal((ok.next.status as Record<string, unknown>).disruptionsAllowed, 0);
  assert.deepEqual((ok.next.status as Record<string, unknown>).disruptedPods, { 'web-1': '2024-05-01T10:00:00Z' });
  assert.deepEqual(cause(() => budgetForEviction(pod(true), [budget({ ...healthy, disruptionsAllowed: 0, currentHealthy: 2 })], now)), [429, 'The disruption budget web needs 2 healthy pods and has 2 currently']);
  assert.deepEqual(cause(() => budgetForEviction(pod(true), [budget(healthy, {}, 2)], now)), [429, 'The disruption budget web is still being processed by the server.']);
  assert.deepEqual(cause(() => budgetForEviction(pod(true), [budget({ ...healthy, disruptionsAllowed: -1 })], now)), [403, 'poddisruptionbudgets.policy "web" is forbidden: pdb disruptions allowed is negative']);
  // Unready pods: free while the budget holds its desired healthy count, or always with AlwaysAllow.
  assert.equal(budgetForEviction(pod(false), [budget({ ...healthy, disruptionsAllowed: 0, currentHealthy: 2 })], now), undefined);
  assert.equal(budgetForEviction(pod(false), [budget({ ...healthy, disruptionsAllowed: 0, currentHealthy: 1 }, { unhealthyPodEvictionPolicy: 'AlwaysAllow' })], now), undefined);
  assert.deepEqual(cause(() => budgetForEviction(pod(false), [budget({ ...healthy, disruptionsAllowed: 0, currentHealthy: 1 })], now))?.[0], 429);
  // Pending or finished pods, and pods no budget selects, need no budget.
  assert.equal(budgetForEviction(pod(true, 'Pending'), [budget({ ...healthy, disruptionsAllowed: 0 })], now), undefined);
  assert.equal(budgetForEviction(pod(true), [budget({ ...healthy, disruptionsAllowed: 0 }, { selector: { matchLabels: { app: 'db' } } })], now), undefined);
  assert.equal(budgetForEviction(pod(true), [budget({ ...healthy, disruptionsAllowed: 0 }, { selector: null })], now), undefined);
});
