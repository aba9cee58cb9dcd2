import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../types.js';
import { configMapPrinter, eventPrinter, genericPrinter, leasePrinter, namespacePrinter, nodePrinter, secretPrinter, serviceAccountPrinter } from './cluster.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const ago = (seconds: number): string => new Date(NOW - seconds * 1000).toISOString().replace('.000Z', 'Z');

function node(labels: Record<string, string>, ready: string | undefined, unschedulable = false): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'stratus-1', creationTimestamp: ago(2 * 86400), labels },
    spec: unschedulable ? { unschedulable: true } : {},
    status: {
      conditions: ready === undefined ? [] : [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: ready }],
      addresses: [{ type: 'InternalIP', address: '10.0.0.5' }, { type: 'Hostname', address: 'stratus-1' }],
      nodeInfo: { kubeletVersion: 'v1.32.0-stratus', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0-18-amd64', containerRuntimeVersion: 'stratus://0.1.0' },
    },
  };
}

describe('node printer', () => {
  it('Ready with roles, and the wide cells', () => {
    assert.deepEqual(
      nodePrinter.columns.map((c) => (c.priority ? `${c.name}*` : c.name)),
      ['Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP*', 'External-IP*', 'OS-Image*', 'Kernel-Version*', 'Container-Runtime*'],
    );
    const n = node({ 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': 'true', 'kubernetes.io/hostname': 'stratus-1' }, 'True');
    assert.deepEqual(nodePrinter.cells(n, NOW), ['stratus-1', 'Ready', 'control-plane,worker', '2d', 'v1.32.0-stratus', '10.0.0.5', '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.1.0-18-amd64', 'stratus://0.1.0']);
  });

  it('NotReady, Unknown, SchedulingDisabled, <none> roles, kubernetes.io/role', () => {
    assert.deepEqual(nodePrinter.cells(node({}, 'False'), NOW).slice(1, 3), ['NotReady', '<none>']);
    assert.deepEqual(nodePrinter.cells(node({}, 'Unknown'), NOW).slice(1, 3), ['NotReady', '<none>']);
    assert.equal(nodePrinter.cells(node({}, undefined), NOW)[1], 'Unknown');
    assert.equal(nodePrinter.cells(node({}, 'True', true), NOW)[1], 'Ready,SchedulingDisabled');
    assert.equal(nodePrinter.cells(node({ 'kubernetes.io/role': 'edge' }, 'True'), NOW)[2], 'edge');
    const bare: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'x' } };
    assert.deepEqual(nodePrinter.cells(bare, NOW), ['x', 'Unknown', '<none>', '<unknown>', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  });
});

describe('event printer', () => {
  it('core/v1 events in kubectl column order, wide cells interleaved', () => {
    assert.deepEqual(
      eventPrinter.columns.map((c) => (c.priority ? `${c.name}*` : c.name)),
      ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject*', 'Source*', 'Message', 'First Seen*', 'Count*', 'Name*'],
    );
    const ev: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web-1.17a2b', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', fieldPath: 'spec.containers{app}' },
      reason: 'Pulled',
      message: 'Container image "nginx" already present on machine\n',
      source: { component: 'kubelet', host: 'stratus-1' },
      firstTimestamp: ago(600),
      lastTimestamp: ago(30),
      count: 4,
      type: 'Normal',
    };
    assert.deepEqual(eventPrinter.cells(ev, NOW), ['30s', 'Normal', 'Pulled', 'pod/web-1', 'spec.containers{app}', 'kubelet, stratus-1', 'Container image "nginx" already present on machine', '10m', 4, 'web-1.17a2b']);
    const single: KubeObject = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e' }, involvedObject: { kind: 'Node' }, eventTime: '2026-01-01T11:58:59.500000Z', reportingComponent: 'scheduler', type: 'Warning', reason: 'X', message: 'm' };
    assert.deepEqual(eventPrinter.cells(single, NOW), ['60s', 'Warning', 'X', 'node', '', 'scheduler', 'm', '60s', 1, 'e']);
  });

  it('events.k8s.io/v1 events (regarding, note, series)', () => {
    const ev: KubeObject = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'web.1' },
      regarding: { kind: 'Deployment', name: 'web' },
      note: 'Scaled up replica set web-7d9c to 3',
      reason: 'ScalingReplicaSet',
      type: 'Normal',
      eventTime: '2026-01-01T11:00:00.000000Z',
      reportingController: 'deployment-controller',
      reportingInstance: 'stratus',
      series: { count: 7, lastObservedTime: '2026-01-01T11:58:00.000000Z' },
    };
    assert.deepEqual(eventPrinter.cells(ev, NOW), ['2m', 'Normal', 'ScalingReplicaSet', 'deployment/web', '', 'deployment-controller, stratus', 'Scaled up replica set web-7d9c to 3', '60m', 7, 'web.1']);
  });
});

describe('small printers', () => {
  const meta = { name: 'x', namespace: 'default', creationTimestamp: ago(7 * 3600 + 5 * 60) };
  it('namespaces, configmaps, secrets, serviceaccounts, leases, and the Name/Age fallback', () => {
    assert.deepEqual(namespacePrinter.cells({ apiVersion: 'v1', kind: 'Namespace', metadata: meta, status: { phase: 'Terminating' } }, NOW), ['x', 'Terminating', '7h5m']);
    assert.deepEqual(configMapPrinter.cells({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }, NOW), ['x', 3, '7h5m']);
    assert.deepEqual(configMapPrinter.cells({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta }, NOW), ['x', 0, '7h5m']);
    assert.deepEqual(secretPrinter.columns.map((c) => c.name), ['Name', 'Type', 'Data', 'Age']);
    assert.deepEqual(secretPrinter.cells({ apiVersion: 'v1', kind: 'Secret', metadata: meta, type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } }, NOW), ['x', 'kubernetes.io/tls', 2, '7h5m']);
    assert.deepEqual(serviceAccountPrinter.cells({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta }, NOW), ['x', 0, '7h5m']);
    assert.deepEqual(serviceAccountPrinter.cells({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta, secrets: [{ name: 's' }] }, NOW), ['x', 1, '7h5m']);
    assert.deepEqual(leasePrinter.cells({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: meta, spec: { holderIdentity: 'stratus-1', leaseDurationSeconds: 40 } }, NOW), ['x', 'stratus-1', '7h5m']);
    assert.deepEqual(leasePrinter.cells({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: meta, spec: {} }, NOW), ['x', '', '7h5m']);
    assert.deepEqual(genericPrinter.cells({ apiVersion: 'v1', kind: 'Whatever', metadata: meta }, NOW), ['x', '7h5m']);
  });
});
