import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../types.js';
import { bumpBackoff, newPodMemory, planPod } from './pod-plan.js';
import type { RuntimeContainer, RuntimeSandbox } from './runtime.js';

const BACKOFF = { initialMs: 10_000, maxMs: 300_000 };
const pod = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'd', uid: 'u' }, spec });
const inst = (name: string, attempt: number, state: 'running' | 'exited', exitCode?: number): RuntimeContainer => ({ id: `fake://${name}${attempt}`, name, kind: 'regular', attempt, image: 'i', imageID: 'i@sha256:0', state, startedAt: 1000, finishedAt: state === 'exited' ? 2000 : undefined, exitCode });
const sb = (...containers: RuntimeContainer[]): RuntimeSandbox => ({ uid: 'u', namespace: 'd', name: 'p', ip: '10.42.1.2', createdAt: 0, containers });

describe('planPod', () => {
  it('runs init containers one at a time before regular ones', () => {
    const p = pod({ initContainers: [{ name: 'i1', image: 'x' }, { name: 'i2', image: 'x' }], containers: [{ name: 'c', image: 'x' }] });
    const first = planPod({ pod: p, sandbox: sb(), memory: newPodMemory(), hostIP: 'h', now: 5000, backoff: BACKOFF });
    assert.deepEqual(first.start.map((a) => a.container.name), ['i1']);
    assert.equal(first.phase, 'Pending');
    assert.equal((first.status.containerStatuses as any)[0].state.waiting.reason, 'PodInitializing');
    const second = planPod({ pod: p, sandbox: sb(inst('i1', 0, 'exited', 0)), memory: newPodMemory(), hostIP: 'h', now: 5000, backoff: BACKOFF });
    assert.deepEqual(second.start.map((a) => a.container.name), ['i2']);
    const third = planPod({ pod: p, sandbox: sb(inst('i1', 0, 'exited', 0), inst('i2', 0, 'exited', 0)), memory: newPodMemory(), hostIP: 'h', now: 5000, backoff: BACKOFF });
    assert.deepEqual(third.start.map((a) => a.container.name), ['c']);
  });

  it('restarts at once the first time, then waits in CrashLoopBackOff', () => {
    const p = pod({ containers: [{ name: 'c', image: 'x' }] });
    const memory = newPodMemory();
    const a = planPod({ pod: p, sandbox: sb(inst('c', 0, 'exited', 1)), memory, hostIP: 'h', now: 5000, backoff: BACKOFF });
    assert.deepEqual(a.start.map((s) => s.attempt), [1]);
    bumpBackoff(memory, 'run:c', 5000, BACKOFF);
    const b = planPod({ pod: p, sandbox: sb(inst('c', 0, 'exited', 1), inst('c', 1, 'exited', 1)), memory, hostIP: 'h', now: 6000, backoff: BACKOFF });
    assert.deepEqual(b.start, []);
    assert.equal(b.wakeAt, 15_000);
    const cs = (b.status.containerStatuses as any)[0];
    assert.equal(cs.state.waiting.reason, 'CrashLoopBackOff');
    assert.equal(cs.restartCount, 1);
    assert.equal(cs.lastState.terminated.exitCode, 1);
    assert.equal(b.phase, 'Running');
    bumpBackoff(memory, 'run:c', 15_000, BACKOFF);
    assert.equal(memory.backoff.get('run:c')!.delayMs, 20_000, 'the delay doubles');
  });

  it('derives Succeeded/Failed from restartPolicy and exit codes', () => {
    const never = pod({ restartPolicy: 'Never', containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }] });
    const done = (a: number, b: number) => planPod({ pod: never, sandbox: sb(inst('a', 0, 'exited', a), inst('b', 0, 'exited', b)), memory: newPodMemory(), hostIP: 'h', now: 5000, backoff: BACKOFF }).phase;
    assert.equal(done(0, 0), 'Succeeded');
    assert.equal(done(0, 2), 'Failed');
    const onFailure = pod({ restartPolicy: 'OnFailure', containers: [{ name: 'a', image: 'x' }] });
    const r = planPod({ pod: onFailure, sandbox: sb(inst('a', 0, 'exited', 2)), memory: newPodMemory(), hostIP: 'h', now: 5000, backoff: BACKOFF });
    assert.equal(r.phase, 'Running');
    assert.equal(r.start.length, 1);
  });

  it('keeps not-ready containers out of Ready until their probe passes', () => {
    const p = pod({ containers: [{ name: 'c', image: 'x', readinessProbe: { exec: { command: ['true'] } } }] });
    const memory = newPodMemory();
    const before = planPod({ pod: p, sandbox: sb(inst('c', 0, 'running')), memory, hostIP: 'h', now: 5000, backoff: BACKOFF });
    assert.equal((before.status.conditions as any[]).find((c) => c.type === 'Ready').status, 'False');
    memory.ready.set('fake://c0', true);
    const afterProbe = planPod({ pod: p, sandbox: sb(inst('c', 0, 'running')), memory, hostIP: 'h', now: 5000, backoff: BACKOFF });
    assert.equal((afterProbe.status.conditions as any[]).find((c) => c.type === 'Ready').status, 'True');
  });
});
