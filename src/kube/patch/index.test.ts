import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubeError } from '../errors.js';
import { findResource } from '../resources.js';
import type { KubeObject } from '../types.js';
import { patchObject } from './index.js';

const deployments = findResource('apps', 'v1', 'deployments')!;
const nodes = findResource('', 'v1', 'nodes')!;

function deployment(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', resourceVersion: '7', labels: { app: 'web' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1', ports: [{ containerPort: 80 }] }] } },
    },
  };
}

function assertKubeError(fn: () => unknown, code: number, includes?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KubeError, `expected KubeError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (includes) assert.ok(e.message.includes(includes), e.message);
    return true;
  });
}

describe('patchObject', () => {
  it('kubectl label / scale: merge patch', () => {
    const orig = deployment();
    const out = patchObject('merge', orig, { metadata: { labels: { tier: 'front' } } }, deployments);
    assert.deepEqual(out.metadata.labels, { app: 'web', tier: 'front' });
    const scaled = patchObject('merge', out, { spec: { replicas: 3 } }, deployments) as any;
    assert.equal(scaled.spec.replicas, 3);
    assert.equal(scaled.spec.template.spec.containers[0].image, 'nginx:1');
    assertKubeError(() => patchObject('merge', orig, [{ op: 'add' }], deployments), 400, 'JSON object');
  });

  it('kubectl patch --type=json', () => {
    const out = patchObject('json', deployment(), [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:2' }], deployments) as any;
    assert.equal(out.spec.template.spec.containers[0].image, 'nginx:2');
    assertKubeError(() => patchObject('json', deployment(), [{ op: 'remove', path: '/spec/nothing' }], deployments), 422);
    assertKubeError(() => patchObject('json', deployment(), { spec: {} }, deployments), 400);
  });

  it('kubectl set image: strategic merge with $setElementOrder', () => {
    const out = patchObject(
      'strategic',
      deployment(),
      { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'app' }], containers: [{ image: 'nginx:2', name: 'app' }] } } } },
      deployments,
    ) as any;
    assert.deepEqual(out.spec.template.spec.containers, [{ name: 'app', image: 'nginx:2', ports: [{ containerPort: 80 }] }]);
  });

  it('kubectl cordon on a node', () => {
    const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: {} };
    const out = patchObject('strategic', node, { spec: { unschedulable: true } }, nodes) as any;
    assert.equal(out.spec.unschedulable, true);
  });

  it('server-side apply merges the applied object onto the live one by merge keys', () => {
    const applied = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', annotations: { owner: 'team-a' } },
      spec: { replicas: 2, template: { spec: { containers: [{ name: 'sidecar', image: 'busybox' }, { name: 'app', image: 'nginx:3' }] } } },
    };
    const out = patchObject('apply', deployment(), applied, deployments) as any;
    assert.equal(out.spec.replicas, 2);
    assert.deepEqual(out.metadata.labels, { app: 'web' }, 'fields the applier did not mention stay');
    assert.equal(out.metadata.annotations.owner, 'team-a');
    assert.deepEqual(
      out.spec.template.spec.containers.map((c: any) => [c.name, c.image, c.ports?.length ?? 0]),
      [
        ['app', 'nginx:3', 1],
        ['sidecar', 'busybox', 0],
      ],
    );
    assertKubeError(() => patchObject('apply', deployment(), { ...applied, kind: 'ReplicaSet' }, deployments), 400, 'kind');
    assertKubeError(() => patchObject('apply', deployment(), { ...applied, apiVersion: 'apps/v1beta1' }, deployments), 400, 'apiVersion');
    assertKubeError(() => patchObject('apply', deployment(), 'yaml?', deployments), 400);
    const scale: KubeObject = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web' }, spec: { replicas: 1 } };
    const scaled = patchObject('apply', scale, { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web' }, spec: { replicas: 4 } }, deployments) as any;
    assert.equal(scaled.spec.replicas, 4, 'subresource bodies (Scale) apply too');
    assert.equal((patchObject('merge', scale, { spec: { replicas: 2 } }, deployments) as any).kind, 'Scale');
  });

  it('never mutates its inputs and returns an unshared copy', () => {
    const orig = deployment();
    const before = structuredClone(orig);
    const patch = { spec: { template: { spec: { containers: [{ name: 'app', image: 'x' }] } } } };
    const patchBefore = structuredClone(patch);
    for (const type of ['merge', 'strategic', 'apply'] as const) {
      const body = type === 'apply' ? { apiVersion: 'apps/v1', kind: 'Deployment', ...patch } : patch;
      const out = patchObject(type, orig, body, deployments) as any;
      out.metadata.labels.app = 'changed';
      out.spec.selector.matchLabels.app = 'changed';
    }
    assert.deepEqual(orig, before);
    assert.deepEqual(patch, patchBefore);
  });

  it('refuses results that drop metadata or change the kind (422)', () => {
    assertKubeError(() => patchObject('json', deployment(), [{ op: 'remove', path: '/metadata' }], deployments), 422, 'metadata');
    assertKubeError(() => patchObject('merge', deployment(), { kind: 'ReplicaSet' }, deployments), 422, 'apiVersion/kind');
    assertKubeError(() => patchObject('json', deployment(), [{ op: 'replace', path: '', value: 5 }], deployments), 422);
  });

  it('answers junk bodies with a KubeError (never a crash), for every patch type', () => {
    const junk: unknown[] = [
      null, 0, 'x', true, [], [null], [{}], [{ op: 'add', path: 5 }], [{ op: 'move', path: '/a' }],
      {}, { spec: null }, { spec: [] }, { spec: { template: { spec: { containers: null } } } },
      { spec: { template: { spec: { containers: [null] } } } }, { spec: { template: { spec: { containers: {} } } } },
      { metadata: { finalizers: 'x' } }, { metadata: { '$deleteFromPrimitiveList/finalizers': null } },
      { spec: { $retainKeys: 'x' } }, { spec: { $patch: null } }, { spec: { template: { spec: { containers: [{ name: 'app', $patch: 'bogus' }] } } } },
      JSON.parse('{"__proto__":{"x":1},"metadata":{"__proto__":{"y":2}}}'),
    ];
    for (const type of ['merge', 'json', 'strategic', 'apply'] as const) {
      for (const body of junk) {
        try {
          const out = patchObject(type, deployment(), body, deployments);
          assert.equal(typeof out.metadata, 'object');
        } catch (e) {
          assert.ok(e instanceof KubeError, `${type} ${JSON.stringify(body)} threw ${String(e)}`);
          assert.ok(e.code === 400 || e.code === 422, `${type} ${JSON.stringify(body)} → ${e.code}`);
        }
      }
    }
    assert.equal(({} as any).x, undefined);
    assert.equal(({} as any).y, undefined);
  });
});
