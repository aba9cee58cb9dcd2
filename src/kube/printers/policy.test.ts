import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cronJobPrinter, podDisruptionBudgetPrinter } from './policy.js';

const NOW = Date.parse('2024-05-01T10:00:00Z');
const names = (cols: { name: string; priority: number }[]) => cols.map((c) => c.name + (c.priority ? '*' : '')).join(' ');

test('cronjobs: Schedule, Timezone, Suspend, Active, Last Schedule, Age | Containers, Images, Selector', () => {
  assert.equal(names(cronJobPrinter.columns), 'Name Schedule Timezone Suspend Active Last Schedule Age Containers* Images* Selector*');
  const cj = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'tick', creationTimestamp: '2024-05-01T09:00:00Z' },
    spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } } },
    status: { active: [{ name: 'tick-1' }], lastScheduleTime: '2024-05-01T09:55:00Z' },
  };
  assert.deepEqual(cronJobPrinter.cells(cj, NOW), ['tick', '*/5 * * * *', '<none>', 'False', 1, '5m', '60m', 'c', 'busybox', '<none>']);
  const fresh = { ...cj, spec: { ...cj.spec, timeZone: 'Europe/Paris', suspend: true }, status: {} };
  assert.deepEqual(cronJobPrinter.cells(fresh, NOW).slice(2, 6), ['Europe/Paris', 'True', 0, '<none>']);
});

test('poddisruptionbudgets: Min Available, Max Unavailable, Allowed Disruptions, Age', () => {
  assert.equal(names(podDisruptionBudgetPrinter.columns), 'Name Min Available Max Unavailable Allowed Disruptions Age');
  const pdb = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', creationTimestamp: '2024-05-01T09:59:00Z' }, spec: { maxUnavailable: '25%' }, status: { disruptionsAllowed: 2 } };
  assert.deepEqual(podDisruptionBudgetPrinter.cells(pdb, NOW), ['web', 'N/A', '25%', 2, '60s']);
});
