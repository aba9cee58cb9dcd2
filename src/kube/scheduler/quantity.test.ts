import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../types.js';
import { podRequests } from './quantity.js';

test('podRequests: sidecars add to the containers; the init peak is an init container plus the sidecars before it', () => {
  const c = (name: string, cpu: string, always = false) => ({ name, image: 'x', ...(always ? { restartPolicy: 'Always' } : {}), resources: { requests: { cpu } } });
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: [c('main', '1')], initContainers: [c('side', '500m', true), c('setup', '2'), c('side2', '250m', true)] },
  };
  // containers 1 + sidecars 0.75 = 1.75 CPU; setup's peak 2 + 0.5 = 2.5 CPU; the pod needs the larger.
  assert.equal(podRequests(pod).cpu, 2500, 'millicores');
  const small = { ...pod, spec: { ...(pod.spec as object), initContainers: [c('side', '500m', true), c('setup', '100m')] } };
  assert.equal(podRequests(small).cpu, 1500, 'containers and sidecars outweigh a small init container');
});
