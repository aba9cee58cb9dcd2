import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../types.js';
import { controllerRevisionPrinter, daemonSetPrinter, deploymentPrinter, jobPrinter, replicaSetPrinter, statefulSetPrinter } from './workloads.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const ago = (seconds: number): string => new Date(NOW - seconds * 1000).toISOString().replace('.000Z', 'Z');
const names = (cols: { name: string; priority: number }[]): string => cols.map((c) => (c.priority ? `${c.name}*` : c.name)).join(' ');

const template = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image: 'nginx:1.27' }, { name: 'log', image: 'busybox' }] },
};

function workload(kind: string, spec: Record<string, unknown>, status: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1', kind, metadata: { name: 'web', namespace: 'default', creationTimestamp: ago(3 * 86400 + 4 * 3600), ...meta }, spec, status };
}

describe('workload printers', () => {
  it('deployments: Ready, Up-to-date, Available, Age | Containers, Images, Selector', () => {
    assert.equal(names(deploymentPrinter.columns), 'Name Ready Up-to-date Available Age Containers* Images* Selector*');
    const d = workload(
      'Deployment',
      { replicas: 3, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] }, template },
      { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    );
    assert.deepEqual(deploymentPrinter.cells(d, NOW), ['web', '2/3', 3, 2, '3d4h', 'app,log', 'nginx:1.27,busybox', 'app=web,tier in (a,b)']);
    const fresh = workload('Deployment', { replicas: 1, selector: { matchLabels: { app: 'web' } }, template }, {});
    assert.deepEqual(deploymentPrinter.cells(fresh, NOW).slice(1, 4), ['0/1', 0, 0]);
  });

  it('replicasets: Desired, Current, Ready', () => {
    assert.equal(names(replicaSetPrinter.columns), 'Name Desired Current Ready Age Containers* Images* Selector*');
    const rs = workload('ReplicaSet', { replicas: 2, selector: { matchLabels: { app: 'web', 'pod-template-hash': 'abc' } }, template }, { replicas: 2, readyReplicas: 1 });
    assert.deepEqual(replicaSetPrinter.cells(rs, NOW), ['web', 2, 2, 1, '3d4h', 'app,log', 'nginx:1.27,busybox', 'app=web,pod-template-hash=abc']);
  });

  it('daemonsets: Desired Current Ready Up-to-date Available Node Selector Age | Containers Images Selector', () => {
    assert.equal(names(daemonSetPrinter.columns), 'Name Desired Current Ready Up-to-date Available Node Selector Age Containers* Images* Selector*');
    const ds = workload(
      'DaemonSet',
      { selector: { matchLabels: { app: 'agent' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux', disk: 'ssd' }, containers: [{ name: 'agent', image: 'agent:1' }] } } },
      { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
    );
    assert.deepEqual(daemonSetPrinter.cells(ds, NOW), ['web', 3, 3, 2, 3, 2, 'disk=ssd,kubernetes.io/os=linux', '3d4h', 'agent', 'agent:1', 'app=agent']);
    const none = workload('DaemonSet', { selector: { matchLabels: { app: 'a' } }, template: { spec: { containers: [] } } }, {});
    assert.equal(daemonSetPrinter.cells(none, NOW)[6], '<none>');
  });

  it('statefulsets: Ready, Age | Containers, Images', () => {
    assert.equal(names(statefulSetPrinter.columns), 'Name Ready Age Containers* Images*');
    const s = workload('StatefulSet', { replicas: 3, serviceName: 'web', selector: { matchLabels: { app: 'web' } }, template }, { readyReplicas: 3 });
    assert.deepEqual(statefulSetPrinter.cells(s, NOW), ['web', '3/3', '3d4h', 'app,log', 'nginx:1.27,busybox']);
  });

  it('jobs: Status, Completions, Duration, Age | Containers, Images, Selector', () => {
    assert.equal(names(jobPrinter.columns), 'Name Status Completions Duration Age Containers* Images* Selector*');
    const sel = { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } };
    const runningJob = workload('Job', { completions: 3, parallelism: 1, selector: sel, template }, { active: 1, succeeded: 1, startTime: ago(95) });
    assert.deepEqual(jobPrinter.cells(runningJob, NOW).slice(1, 4), ['Running', '1/3', '95s']);
    const complete = workload(
      'Job',
      { completions: 1, selector: sel, template },
      { succeeded: 1, startTime: ago(600), completionTime: ago(540), conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] },
    );
    assert.deepEqual(jobPrinter.cells(complete, NOW), ['web', 'Complete', '1/1', '60s', '3d4h', 'app,log', 'nginx:1.27,busybox', 'batch.kubernetes.io/controller-uid=u1']);
    const failed = workload('Job', { selector: sel, template }, { failed: 6, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] });
    assert.deepEqual(jobPrinter.cells(failed, NOW).slice(1, 4), ['Failed', '0/1', '']);
    const parallel = workload('Job', { parallelism: 4, selector: sel, template }, { conditions: [{ type: 'Suspended', status: 'True' }] });
    assert.deepEqual(jobPrinter.cells(parallel, NOW).slice(1, 3), ['Suspended', '0/1 of 4']);
    const deleting = workload('Job', { selector: sel, template }, {}, { deletionTimestamp: ago(1) });
    assert.equal(jobPrinter.cells(deleting, NOW)[1], 'Terminating');
  });

  it('controllerrevisions: Controller as kind.group/name, Revision', () => {
    assert.equal(names(controllerRevisionPrinter.columns), 'Name Controller Revision Age');
    const cr: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name: 'web-5d8f', creationTimestamp: ago(50), ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u', controller: true }] },
      revision: 2,
    };
    assert.deepEqual(controllerRevisionPrinter.cells(cr, NOW), ['web-5d8f', 'statefulset.apps/web', 2, '50s']);
    assert.equal(controllerRevisionPrinter.cells({ ...cr, metadata: { name: 'x' } }, NOW)[1], '<none>');
  });
});
