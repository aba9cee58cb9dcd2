import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubeError } from '../errors.js';
import { strategicMergePatch } from './strategic.js';

const DEPLOY = { group: 'apps', kind: 'Deployment' };
const POD = { group: '', kind: 'Pod' };
const NODE = { group: '', kind: 'Node' };
const SVC = { group: '', kind: 'Service' };

type J = Record<string, any>;

function deployment(): J {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, finalizers: ['a'] },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'nginx:1',
              command: ['nginx', '-g', 'daemon off;'],
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
            { name: 'sidecar', image: 'busybox:1', args: ['sleep', 'inf'] },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
          tolerations: [{ key: 'a', operator: 'Exists' }],
        },
      },
    },
    status: { conditions: [{ type: 'Available', status: 'True' }, { type: 'Progressing', status: 'True' }] },
  };
}

const podSpec = (d: J): J => d.spec.template.spec;

function assertKubeError(fn: () => unknown, code: number, includes?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KubeError, `expected KubeError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (includes) assert.ok(e.message.includes(includes), e.message);
    return true;
  });
}

describe('strategic merge patch: kubectl bodies', () => {
  it('kubectl apply / set image: $setElementOrder + one changed container by name', () => {
    const orig = deployment();
    const patch = {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Deployment"}\n' } },
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }], containers: [{ image: 'nginx:2', name: 'app' }] } } },
    };
    const out = strategicMergePatch(orig, patch, DEPLOY) as J;
    assert.equal(podSpec(out).containers.length, 2);
    assert.deepEqual(podSpec(out).containers[0], { ...podSpec(orig).containers[0], image: 'nginx:2' });
    assert.deepEqual(podSpec(out).containers[1], podSpec(orig).containers[1]);
    assert.equal(out.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], '{"kind":"Deployment"}\n');
    assert.equal(out.spec.replicas, 2);
    assert.ok(!JSON.stringify(out).includes('$setElementOrder'), 'directives never reach the stored object');
    assert.equal(podSpec(orig).containers[0].image, 'nginx:1', 'input untouched');
  });

  it('honours $setElementOrder: listed elements in that order, others after', () => {
    const patch = { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'new' }, { name: 'app' }], containers: [{ name: 'new', image: 'redis' }] } } } };
    const out = strategicMergePatch(deployment(), patch, DEPLOY) as J;
    assert.deepEqual(podSpec(out).containers.map((c: J) => c.name), ['sidecar', 'new', 'app']);
    const partial = strategicMergePatch(deployment(), { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }] } } } }, DEPLOY) as J;
    assert.deepEqual(podSpec(partial).containers.map((c: J) => c.name), ['sidecar', 'app']);
  });

  it('kubectl apply removing a container and an env var sends $patch: delete', () => {
    const patch = {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'app' }],
            containers: [{ '$setElementOrder/env': [{ name: 'A' }], env: [{ $patch: 'delete', name: 'B' }], name: 'app' }, { $patch: 'delete', name: 'sidecar' }],
          },
        },
      },
    };
    const out = strategicMergePatch(deployment(), patch, DEPLOY) as J;
    assert.deepEqual(podSpec(out).containers.map((c: J) => c.name), ['app']);
    assert.deepEqual(podSpec(out).containers[0].env, [{ name: 'A', value: '1' }]);
  });

  it('kubectl rollout restart: template annotation added, nothing else touched', () => {
    const orig = deployment();
    const out = strategicMergePatch(orig, { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z' } } } } }, DEPLOY) as J;
    assert.deepEqual(out.spec.template.metadata, { labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z' } });
    assert.deepEqual(out.spec.template.spec, orig.spec.template.spec);
  });

  it('kubectl cordon / uncordon on a node; node addresses and conditions merge by type', () => {
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: { podCIDRs: ['10.244.0.0/24'], taints: [{ key: 'x', effect: 'NoSchedule' }] },
      status: {
        addresses: [
          { type: 'InternalIP', address: '10.0.0.5' },
          { type: 'Hostname', address: 'n1' },
        ],
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
      },
    };
    const cordoned = strategicMergePatch(node, { spec: { unschedulable: true } }, NODE) as J;
    assert.equal(cordoned.spec.unschedulable, true);
    assert.deepEqual(cordoned.spec.taints, node.spec.taints);
    const uncordoned = strategicMergePatch(cordoned, { spec: { unschedulable: null } }, NODE) as J;
    assert.ok(!('unschedulable' in uncordoned.spec));
    const status = strategicMergePatch(
      node,
      { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'NodeStatusUnknown' }, { type: 'MemoryPressure', status: 'False' }], addresses: [{ type: 'InternalIP', address: '10.0.0.6' }] } },
      NODE,
    ) as J;
    assert.deepEqual(status.status.conditions, [
      { type: 'Ready', status: 'False', reason: 'NodeStatusUnknown' },
      { type: 'MemoryPressure', status: 'False' },
    ]);
    assert.deepEqual(status.status.addresses, [
      { type: 'InternalIP', address: '10.0.0.6' },
      { type: 'Hostname', address: 'n1' },
    ]);
    const cidrs = strategicMergePatch(node, { spec: { podCIDRs: ['10.244.0.0/24', 'fd00::/64'] } }, NODE) as J;
    assert.deepEqual(cidrs.spec.podCIDRs, ['10.244.0.0/24', 'fd00::/64']);
  });

  it('kubectl taint (atomic list) replaces the whole taint list', () => {
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] } };
    const out = strategicMergePatch(node, { spec: { taints: [{ key: 'b', effect: 'NoExecute' }] } }, NODE) as J;
    assert.deepEqual(out.spec.taints, [{ key: 'b', effect: 'NoExecute' }]);
  });
});

describe('strategic merge patch: merge keys by field path', () => {
  it('merges container ports by containerPort, env by name, volumeMounts by mountPath; replaces command/args/tolerations', () => {
    const patch = {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'app',
                ports: [{ containerPort: 443, protocol: 'TCP' }, { containerPort: 80, name: 'http' }],
                env: [{ name: 'B', value: 'two' }, { name: 'C', value: '3' }],
                volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
                command: ['caddy'],
              },
            ],
            tolerations: [{ key: 'b', operator: 'Exists' }],
          },
        },
      },
    };
    const c = podSpec(strategicMergePatch(deployment(), patch, DEPLOY) as J).containers[0];
    assert.deepEqual(c.ports, [{ containerPort: 80, protocol: 'TCP', name: 'http' }, { containerPort: 443, protocol: 'TCP' }]);
    assert.deepEqual(c.env, [{ name: 'A', value: '1' }, { name: 'B', value: 'two' }, { name: 'C', value: '3' }]);
    assert.deepEqual(c.volumeMounts, [{ name: 'data', mountPath: '/data', readOnly: true }]);
    assert.deepEqual(c.command, ['caddy']);
    const spec = podSpec(strategicMergePatch(deployment(), patch, DEPLOY) as J);
    assert.deepEqual(spec.tolerations, [{ key: 'b', operator: 'Exists' }]);
  });

  it('uses the pod keys directly on Pods, and conditions/podIPs in pod status', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', ownerReferences: [{ uid: 'u1', kind: 'ReplicaSet', name: 'rs', apiVersion: 'apps/v1' }] },
      spec: { containers: [{ name: 'a', image: 'x' }], hostAliases: [{ ip: '1.2.3.4', hostnames: ['a'] }] },
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }], podIPs: [{ ip: '10.0.0.1' }] },
    };
    const out = strategicMergePatch(
      pod,
      {
        metadata: { ownerReferences: [{ uid: 'u2', kind: 'X', name: 'x', apiVersion: 'v1' }] },
        spec: { containers: [{ name: 'a', image: 'y' }], hostAliases: [{ ip: '1.2.3.4', hostnames: ['b'] }] },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], podIPs: [{ ip: 'fd00::1' }] },
      },
      POD,
    ) as J;
    assert.equal(out.spec.containers[0].image, 'y');
    assert.deepEqual(out.spec.hostAliases, [{ ip: '1.2.3.4', hostnames: ['b'] }]);
    assert.deepEqual(out.status.conditions.map((c: J) => c.type), ['PodScheduled', 'Ready']);
    assert.deepEqual(out.status.podIPs, [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }]);
    assert.deepEqual(out.metadata.ownerReferences.map((r: J) => r.uid), ['u1', 'u2']);
  });

  it('merges service ports by port', () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }], selector: { app: 'a' } } };
    const out = strategicMergePatch(svc, { spec: { ports: [{ port: 80, nodePort: 30080 }, { port: 53, protocol: 'UDP' }] } }, SVC) as J;
    assert.deepEqual(out.spec.ports, [{ port: 80, targetPort: 8080, nodePort: 30080 }, { port: 443 }, { port: 53, protocol: 'UDP' }]);
  });

  it('treats finalizers as a union and supports $deleteFromPrimitiveList', () => {
    const out = strategicMergePatch(deployment(), { metadata: { finalizers: ['b', 'a'] } }, DEPLOY) as J;
    assert.deepEqual(out.metadata.finalizers, ['a', 'b']);
    const removed = strategicMergePatch(out, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, DEPLOY) as J;
    assert.deepEqual(removed.metadata.finalizers, ['b']);
    const ordered = strategicMergePatch(out, { metadata: { '$setElementOrder/finalizers': ['b', 'a'] } }, DEPLOY) as J;
    assert.deepEqual(ordered.metadata.finalizers, ['b', 'a']);
  });

  it('replaces lists of unknown kinds whole and merges their maps (JSON merge semantics)', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1', b: '2' }, list: [1, 2] };
    const out = strategicMergePatch(cm, { data: { a: null, c: '3' }, list: [3] }, { group: '', kind: 'ConfigMap' }) as J;
    assert.deepEqual(out.data, { b: '2', c: '3' });
    assert.deepEqual(out.list, [3]);
  });
});

describe('strategic merge patch: directives', () => {
  it('$patch: replace on a map and on a list', () => {
    const out = strategicMergePatch(deployment(), { spec: { selector: { $patch: 'replace', matchLabels: { app: 'v2' } } } }, DEPLOY) as J;
    assert.deepEqual(out.spec.selector, { matchLabels: { app: 'v2' } });
    const list = strategicMergePatch(deployment(), { spec: { template: { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } } } }, DEPLOY) as J;
    assert.deepEqual(podSpec(list).containers, [{ name: 'only', image: 'x' }]);
  });

  it('$patch: delete on a map removes it; $patch: merge is the default', () => {
    const out = strategicMergePatch(deployment(), { spec: { strategy: { $patch: 'delete' } } }, DEPLOY) as J;
    assert.ok(!('strategy' in out.spec));
    const merged = strategicMergePatch(deployment(), { spec: { selector: { $patch: 'merge', matchLabels: { tier: 'x' } } } }, DEPLOY) as J;
    assert.deepEqual(merged.spec.selector.matchLabels, { app: 'web', tier: 'x' });
  });

  it('$patch: replace on a list element replaces that element only', () => {
    const out = strategicMergePatch(deployment(), { spec: { template: { spec: { containers: [{ $patch: 'replace', name: 'app', image: 'bare' }] } } } }, DEPLOY) as J;
    assert.deepEqual(podSpec(out).containers[0], { name: 'app', image: 'bare' });
    assert.equal(podSpec(out).containers[1].name, 'sidecar');
  });

  it('$retainKeys drops keys not listed (Deployment strategy switched to Recreate)', () => {
    const out = strategicMergePatch(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, DEPLOY) as J;
    assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
    const volumes = strategicMergePatch(deployment(), { spec: { template: { spec: { volumes: [{ $retainKeys: ['configMap', 'name'], name: 'data', configMap: { name: 'cm' } }] } } } }, DEPLOY) as J;
    assert.deepEqual(podSpec(volumes).volumes, [{ name: 'data', configMap: { name: 'cm' } }]);
    assertKubeError(() => strategicMergePatch(deployment(), { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } }, DEPLOY), 422, '$retainKeys');
  });

  it('deletes with null at any depth', () => {
    const out = strategicMergePatch(deployment(), { metadata: { labels: null }, spec: { template: { spec: { containers: [{ name: 'app', command: null }] } } } }, DEPLOY) as J;
    assert.ok(!('labels' in out.metadata));
    assert.ok(!('command' in podSpec(out).containers[0]));
  });

  it('adds a list that did not exist, applying element directives', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a' }] } };
    const out = strategicMergePatch(pod, { spec: { initContainers: [{ name: 'i', image: 'x' }, { name: 'gone', $patch: 'delete' }] } }, POD) as J;
    assert.deepEqual(out.spec.initContainers, [{ name: 'i', image: 'x' }]);
  });

  it('rejects malformed patches: 400 for shape and directives, 422 for missing merge keys or deleting the root', () => {
    assertKubeError(() => strategicMergePatch(deployment(), [1], DEPLOY), 400, 'JSON object');
    assertKubeError(() => strategicMergePatch(deployment(), { spec: { $patch: 'explode' } }, DEPLOY), 400, 'unknown "$patch"');
    assertKubeError(() => strategicMergePatch(deployment(), { spec: { '$setElementOrder/x': 'a' } }, DEPLOY), 400, 'must be a list');
    assertKubeError(() => strategicMergePatch(deployment(), { spec: { $bogus: 1 } }, DEPLOY), 400, 'unknown directive');
    assertKubeError(() => strategicMergePatch(deployment(), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }, DEPLOY), 422, 'merge key "name"');
    assertKubeError(() => strategicMergePatch(deployment(), { spec: { template: { spec: { containers: ['x'] } } } }, DEPLOY), 400, 'must be an object');
    assertKubeError(() => strategicMergePatch(deployment(), { $patch: 'delete' }, DEPLOY), 422, 'DELETE');
  });
});
