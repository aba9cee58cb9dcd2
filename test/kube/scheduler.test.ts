import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { bootstrapCluster, openRegistry } from '../../src/kube/apiserver/registry.js';
import { R } from '../../src/kube/controllers/objects.js';
import { createNode, eventually, nodeBody } from '../../src/kube/controllers/testing.js';
import { filterNode, unschedulableMessage, type Snapshot } from '../../src/kube/scheduler/filters.js';
import { startScheduler } from '../../src/kube/scheduler/index.js';
import { parseQuantity, podRequests } from '../../src/kube/scheduler/quantity.js';
import type { KubeApi } from '../../src/kube/api.js';
import type { KubeObject } from '../../src/kube/types.js';

type Json = Record<string, any>;

function pod(name: string, spec: Json = {}, labels: Record<string, string> = {}, ns = 'default'): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels }, spec: { containers: [{ name: 'c', image: 'x', ...(spec.container ?? {}) }], ...spec, container: undefined } };
}

function snap(nodes: KubeObject[], placed: [string, KubeObject][] = []): Snapshot {
  const podsByNode = new Map<string, { pod: KubeObject; requests: ReturnType<typeof podRequests> }[]>();
  for (const [n, p] of placed) podsByNode.set(n, [...(podsByNode.get(n) ?? []), { pod: p, requests: podRequests(p) }]);
  return { nodes, podsByNode, namespaceLabels: new Map() };
}

test('quantities and pod requests', () => {
  assert.equal(parseQuantity('100m'), 0.1);
  assert.equal(parseQuantity('1Gi'), 2 ** 30);
  assert.equal(parseQuantity('1.5'), 1.5);
  assert.equal(parseQuantity('2e3'), 2000);
  assert.equal(parseQuantity('12x'), undefined);
  const p = pod('p', {
    containers: [
      { name: 'a', resources: { requests: { cpu: '250m', memory: '64Mi' } } },
      { name: 'b', resources: { limits: { cpu: '1' } } },
    ],
    initContainers: [{ name: 'i', resources: { requests: { cpu: '2' } } }],
  });
  assert.deepEqual(podRequests(p), { cpu: 2000, memory: 64 * 2 ** 20, pods: 1 });
});

test('filters: readiness, cordon, taints, selectors, resources, ports, spread, affinity', () => {
  const n1 = nodeBody('n1', { cpu: '1', labels: { zone: 'a', disk: 'ssd' } });
  const n2 = nodeBody('n2', { cpu: '1', labels: { zone: 'b' } });
  assert.deepEqual(filterNode(pod('p'), n1, snap([n1])), []);
  assert.deepEqual(filterNode(pod('p'), nodeBody('x', { ready: false }), snap([])), ['node(s) were not ready']);
  assert.deepEqual(filterNode(pod('p'), nodeBody('x', { unschedulable: true }), snap([])), ['node(s) were unschedulable']);
  const tainted = nodeBody('t', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] });
  assert.deepEqual(filterNode(pod('p'), tainted, snap([])), ['node(s) had untolerated taint {dedicated: db}']);
  assert.deepEqual(filterNode(pod('p', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }), tainted, snap([])), []);
  assert.deepEqual(filterNode(pod('p', { tolerations: [{ operator: 'Exists' }] }), tainted, snap([])), []);
  const prefer = nodeBody('pr', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] });
  assert.deepEqual(filterNode(pod('p'), prefer, snap([])), []);
  assert.deepEqual(filterNode(pod('p', { nodeSelector: { disk: 'ssd' } }), n2, snap([])), ["node(s) didn't match Pod's node affinity/selector"]);
  const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }] } } };
  assert.deepEqual(filterNode(pod('p', { affinity }), n1, snap([])).length, 1);
  assert.deepEqual(filterNode(pod('p', { affinity }), n2, snap([])), []);
  const big = pod('big', { containers: [{ name: 'c', resources: { requests: { cpu: '600m', memory: '9Gi' } } }] });
  assert.deepEqual(filterNode(big, n1, snap([n1], [['n1', pod('a', { containers: [{ name: 'c', resources: { requests: { cpu: '500m' } } }] })]])), ['Insufficient cpu', 'Insufficient memory']);
  const full = nodeBody('f', { pods: '1' });
  assert.deepEqual(filterNode(pod('p'), full, snap([full], [['f', pod('a')]])), ['Too many pods']);
  const withPort = (name: string) => pod(name, { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: 8080 }] }] });
  assert.deepEqual(filterNode(withPort('b'), n1, snap([n1], [['n1', withPort('a')]])), ["node(s) didn't have free ports for the requested pod ports"]);
  // Topology spread: zone a has 1 matching pod, zone b none; maxSkew 1 → a is full.
  const spread = { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'w' } } }] };
  const s = snap([n1, n2], [['n1', pod('w1', {}, { app: 'w' })]]);
  assert.deepEqual(filterNode(pod('w2', spread, { app: 'w' }), n1, s), ["node(s) didn't match pod topology spread constraints"]);
  assert.deepEqual(filterNode(pod('w2', spread, { app: 'w' }), n2, s), []);
  assert.deepEqual(filterNode(pod('w2', spread, { app: 'w' }), nodeBody('nolabel'), s), ["node(s) didn't match pod topology spread constraints (missing required label)"]);
  // Pod affinity / anti-affinity by hostname.
  const term = { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' };
  const withDb = snap([n1, n2], [['n1', pod('db', {}, { app: 'db' })]]);
  assert.deepEqual(filterNode(pod('p', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } }), n2, withDb), ["node(s) didn't match pod affinity rules"]);
  assert.deepEqual(filterNode(pod('p', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } }), n1, withDb), []);
  assert.deepEqual(filterNode(pod('p', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } }), n1, withDb), ["node(s) didn't match pod anti-affinity rules"]);
  // The first pod of a group that selects itself may go anywhere.
  assert.deepEqual(filterNode(pod('db0', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } }, { app: 'db' }), n2, snap([n1, n2])), []);
  // An existing pod's anti-affinity keeps matching pods off its node.
  const loner = pod('loner', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'noisy' } }, topologyKey: 'kubernetes.io/hostname' }] } } });
  assert.deepEqual(filterNode(pod('n', {}, { app: 'noisy' }), n1, snap([n1], [['n1', loner]])), ["node(s) didn't satisfy existing pods anti-affinity rules"]);
  assert.equal(unschedulableMessage(3, new Map([['Insufficient cpu', 2], ['node(s) were unschedulable', 1]])), '0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu.');
});

async function cluster(t: TestContext): Promise<KubeApi> {
  const api = await openRegistry({ dataDir: ':memory:' });
  await bootstrapCluster(api, { apiServerIp: '127.0.0.1', apiServerPort: 6443 });
  const scheduler = startScheduler(api);
  t.after(async () => {
    await scheduler.stop();
    await api.close();
  });
  return api;
}

const nodeOf = async (api: KubeApi, name: string) => ((await api.get(R.pods, 'default', name)).spec as Json).nodeName as string | undefined;

test('scheduler binds, spreads, reports Unschedulable like upstream, and retries when a node appears', async (t) => {
  const api = await cluster(t);
  await createNode(api, 'node-1', { cpu: '1' });
  await createNode(api, 'node-2', { cpu: '1' });
  const ownerRef = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u-1', controller: true };
  for (const n of ['a', 'b']) {
    await api.create(R.pods, 'default', { ...pod(n, { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '600m' } } }] }), metadata: { name: n, ownerReferences: [ownerRef] } });
  }
  const placed = await eventually(async () => {
    const a = await nodeOf(api, 'a');
    const b = await nodeOf(api, 'b');
    return a && b ? [a, b] : undefined;
  }, 5000, 'bound');
  assert.notEqual(placed[0], placed[1], 'spread over both nodes');
  const scheduled = (await api.get(R.pods, 'default', 'a')).status as Json;
  assert.equal(scheduled.conditions.find((c: Json) => c.type === 'PodScheduled').status, 'True');
  const ev = (await api.list(R.events, 'default', { fieldSelector: 'involvedObject.name=a' })).items;
  assert.ok(ev.some((e) => e.reason === 'Scheduled' && e.message === `Successfully assigned default/a to ${placed[0]}` && (e.source as Json).component === 'default-scheduler'));

  await api.create(R.pods, 'default', pod('c', { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '600m' } } }] }));
  const cond = await eventually(async () => {
    const c = (((await api.get(R.pods, 'default', 'c')).status as Json)?.conditions as Json[] | undefined)?.find((x) => x.type === 'PodScheduled');
    return c?.status === 'False' ? c : undefined;
  }, 5000, 'unschedulable');
  assert.equal(cond.reason, 'Unschedulable');
  assert.equal(cond.message, '0/2 nodes are available: 2 Insufficient cpu.');
  const failed = await eventually(async () => (await api.list(R.events, 'default', { fieldSelector: 'involvedObject.name=c' })).items.find((e) => e.reason === 'FailedScheduling'), 2000, 'event');
  assert.equal(failed.type, 'Warning');
  assert.equal(failed.message, '0/2 nodes are available: 2 Insufficient cpu.');
  // Freeing room (pod deleted) or adding a node schedules it.
  await createNode(api, 'node-3', { cpu: '2' });
  assert.equal(await eventually(() => nodeOf(api, 'c'), 5000, 'scheduled after node added'), 'node-3');

  // Pods for another scheduler, and pods with gates, are left alone.
  await api.create(R.pods, 'default', pod('other', { schedulerName: 'my-scheduler' }));
  await api.create(R.pods, 'default', pod('gated', { schedulingGates: [{ name: 'wait' }] }));
  await api.create(R.pods, 'default', pod('probe'));
  await eventually(() => nodeOf(api, 'probe'), 5000, 'probe scheduled');
  assert.equal(await nodeOf(api, 'other'), undefined);
  assert.equal(await nodeOf(api, 'gated'), undefined);
});

test('scheduler: many pods are never overcommitted (assumed pods count before the cache shows them)', async (t) => {
  const api = await cluster(t);
  await createNode(api, 'small', { cpu: '1', pods: '5' });
  const started = Date.now();
  for (let i = 0; i < 8; i++) await api.create(R.pods, 'default', pod(`p${i}`, { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '200m' } } }] }));
  await eventually(async () => (await api.list(R.pods, 'default')).items.filter((p) => (p.status as Json)?.conditions?.some((c: Json) => c.type === 'PodScheduled')).length === 8, 5000, 'all decided');
  t.diagnostic(`8 pods decided in ${Date.now() - started} ms`);
  const pods = (await api.list(R.pods, 'default')).items;
  assert.equal(pods.filter((p) => (p.spec as Json).nodeName === 'small').length, 5);
  const messages = new Set(pods.filter((p) => !(p.spec as Json).nodeName).map((p) => ((p.status as Json).conditions as Json[]).find((c) => c.type === 'PodScheduled')!.message));
  assert.deepEqual([...messages], ['0/1 nodes are available: 1 Insufficient cpu, 1 Too many pods.']);
});
