import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../types.js';
import { podPrinter } from './pods.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const ago = (seconds: number): string => new Date(NOW - seconds * 1000).toISOString().replace('.000Z', 'Z');

function pod(spec: Record<string, unknown>, status: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-7d9c', namespace: 'default', creationTimestamp: ago(300), ...meta },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec },
    status,
  };
}

const running = (name: string, extra: Record<string, unknown> = {}) => ({ name, ready: true, restartCount: 0, started: true, state: { running: { startedAt: ago(200) } }, ...extra });
const readyConditions = [
  { type: 'Initialized', status: 'True' },
  { type: 'Ready', status: 'True' },
  { type: 'ContainersReady', status: 'True' },
  { type: 'PodScheduled', status: 'True' },
];

/** The non-wide cells [Name, Ready, Status, Restarts, Age]. */
const cells = (p: KubeObject): unknown[] => podPrinter.cells(p, NOW).slice(0, 5);

describe('pod printer', () => {
  it('has kubectl 1.32 columns, wide ones at priority 1', () => {
    assert.deepEqual(
      podPrinter.columns.map((c) => [c.name, c.priority]),
      [
        ['Name', 0],
        ['Ready', 0],
        ['Status', 0],
        ['Restarts', 0],
        ['Age', 0],
        ['IP', 1],
        ['Node', 1],
        ['Nominated Node', 1],
        ['Readiness Gates', 1],
      ],
    );
    assert.equal(podPrinter.columns[0]!.format, 'name');
  });

  it('Running and ready, with wide cells', () => {
    const p = pod({ nodeName: 'node-a' }, { phase: 'Running', podIP: '10.244.0.5', podIPs: [{ ip: '10.244.0.5' }], conditions: readyConditions, containerStatuses: [running('app')] });
    assert.deepEqual(podPrinter.cells(p, NOW), ['web-7d9c', '1/1', 'Running', '0', '5m', '10.244.0.5', 'node-a', '<none>', '<none>']);
  });

  it('Pending, unscheduled', () => {
    const p = pod({}, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] });
    assert.deepEqual(podPrinter.cells(p, NOW), ['web-7d9c', '0/1', 'Pending', '0', '5m', '<none>', '<none>', '<none>', '<none>']);
  });

  it('ContainerCreating', () => {
    const p = pod({ nodeName: 'n' }, { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] });
    assert.deepEqual(cells(p), ['web-7d9c', '0/1', 'ContainerCreating', '0', '5m']);
  });

  it('CrashLoopBackOff with restarts and "(Xm ago)"', () => {
    const p = pod(
      { nodeName: 'n' },
      {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'app',
            ready: false,
            restartCount: 5,
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(130) } },
          },
        ],
      },
    );
    assert.deepEqual(cells(p), ['web-7d9c', '0/1', 'CrashLoopBackOff', '5 (2m10s ago)', '5m']);
  });

  it('Completed, Error and ExitCode/Signal without a reason', () => {
    const done = pod({}, { phase: 'Succeeded', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] });
    assert.deepEqual(cells(done), ['web-7d9c', '0/1', 'Completed', '0', '5m']);
    const failed = pod({}, { phase: 'Failed', containerStatuses: [{ name: 'app', restartCount: 0, state: { terminated: { exitCode: 2, reason: 'Error' } } }] });
    assert.equal(cells(failed)[2], 'Error');
    const code = pod({}, { phase: 'Failed', containerStatuses: [{ name: 'app', restartCount: 0, state: { terminated: { exitCode: 3 } } }] });
    assert.equal(cells(code)[2], 'ExitCode:3');
    const signal = pod({}, { phase: 'Failed', containerStatuses: [{ name: 'app', restartCount: 0, state: { terminated: { exitCode: 137, signal: 9 } } }] });
    assert.equal(cells(signal)[2], 'Signal:9');
  });

  it('Completed with another container still running reads Running or NotReady', () => {
    const two = { containers: [{ name: 'a' }, { name: 'b' }] };
    const statuses = [running('a'), { name: 'b', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }];
    const ready = pod(two, { phase: 'Running', conditions: readyConditions, containerStatuses: statuses });
    assert.deepEqual(cells(ready).slice(1, 3), ['1/2', 'Running']);
    const notReady = pod(two, { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: statuses });
    assert.deepEqual(cells(notReady).slice(1, 3), ['1/2', 'NotReady']);
  });

  it('Terminating once a deletion timestamp is set (not for finished pods)', () => {
    const p = pod({ nodeName: 'n' }, { phase: 'Running', conditions: readyConditions, containerStatuses: [running('app')] }, { deletionTimestamp: ago(-30) });
    assert.equal(cells(p)[2], 'Terminating');
    const done = pod({}, { phase: 'Succeeded', containerStatuses: [{ name: 'app', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }, { deletionTimestamp: ago(0) });
    assert.equal(cells(done)[2], 'Completed');
    const lost = pod({}, { phase: 'Running', reason: 'NodeLost' }, { deletionTimestamp: ago(0) });
    assert.equal(cells(lost)[2], 'Unknown');
  });

  it('Init:0/1, Init:<reason>, Init:Error, then PodInitializing', () => {
    const spec = { initContainers: [{ name: 'init', image: 'busybox' }] };
    const waiting = pod(spec, {
      phase: 'Pending',
      initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state: { running: { startedAt: ago(10) } } }],
      containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
    });
    assert.deepEqual(cells(waiting), ['web-7d9c', '0/1', 'Init:0/1', '0', '5m']);
    const crash = pod(spec, {
      phase: 'Pending',
      initContainerStatuses: [{ name: 'init', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(45) } } }],
    });
    assert.deepEqual(cells(crash).slice(2, 4), ['Init:CrashLoopBackOff', '3 (45s ago)']);
    const failed = pod(spec, { phase: 'Failed', initContainerStatuses: [{ name: 'init', restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }] });
    assert.equal(cells(failed)[2], 'Init:Error');
    const sig = pod(spec, { phase: 'Failed', initContainerStatuses: [{ name: 'init', restartCount: 0, state: { terminated: { exitCode: 137, signal: 9 } } }] });
    assert.equal(cells(sig)[2], 'Init:Signal:9');
    const initDone = pod(spec, {
      phase: 'Pending',
      initContainerStatuses: [{ name: 'init', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
    });
    assert.equal(cells(initDone)[2], 'PodInitializing');
  });

  it('counts started sidecars (restartable init containers) in Ready/total', () => {
    const spec = { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] };
    const p = pod(spec, {
      phase: 'Running',
      conditions: readyConditions,
      initContainerStatuses: [running('proxy', { restartCount: 1, lastState: { terminated: { exitCode: 1, finishedAt: ago(3600 * 3) } } })],
      containerStatuses: [running('app')],
    });
    assert.deepEqual(cells(p).slice(1, 4), ['2/2', 'Running', '1 (3h ago)']);
  });

  it('sums restarts over containers and reports the latest termination', () => {
    const p = pod(
      { containers: [{ name: 'a' }, { name: 'b' }] },
      {
        phase: 'Running',
        conditions: readyConditions,
        containerStatuses: [
          running('a', { restartCount: 2, lastState: { terminated: { exitCode: 1, finishedAt: ago(7200) } } }),
          running('b', { restartCount: 1, lastState: { terminated: { exitCode: 1, finishedAt: ago(600) } } }),
        ],
      },
    );
    assert.deepEqual(cells(p).slice(1, 4), ['2/2', 'Running', '3 (10m ago)']);
  });

  it('shows SchedulingGated, status.reason (Evicted) and readiness gates', () => {
    const gated = pod({}, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] });
    assert.equal(cells(gated)[2], 'SchedulingGated');
    const evicted = pod({}, { phase: 'Failed', reason: 'Evicted', message: 'low on memory' });
    assert.equal(cells(evicted)[2], 'Evicted');
    const gates = pod({ readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] }, { phase: 'Running', conditions: [{ type: 'example.com/lb', status: 'True' }] });
    assert.equal(podPrinter.cells(gates, NOW)[8], '1/2');
  });
});
