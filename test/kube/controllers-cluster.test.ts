import assert from 'node:assert/strict';
import { test } from 'node:test';
import { R } from '../../src/kube/controllers/objects.js';
import { createNode, eventually, renewLease, runPod } from '../../src/kube/controllers/testing.js';
import { RESOURCES } from '../../src/kube/resources.js';
import type { KubeApi } from '../../src/kube/api.js';
import type { KubeObject } from '../../src/kube/types.js';
import { controllerCluster } from '../support/kube-controllers.js';

type Json = Record<string, any>;

const exists = async (api: KubeApi, res: (typeof RESOURCES)[number], ns: string | undefined, name: string) =>
  api.get(res, ns, name).then(
    () => true,
    () => false,
  );

function deployment(name: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] } } },
  };
}

test('garbage collector: background cascade Deployment → ReplicaSets → Pods, foreground waits for dependents', async (t) => {
  const { api, idle } = await controllerCluster(t);
  await api.create(R.deployments, 'default', deployment('bg', 2));
  await eventually(async () => ((await api.get(R.deployments, 'default', 'bg')).status as Json)?.availableReplicas === 2, 5000, 'bg available');
  await api.delete(R.deployments, 'default', 'bg', { propagationPolicy: 'Background' });
  await eventually(async () => {
    const rs = (await api.list(R.replicasets, 'default')).items.filter((r) => r.metadata.name!.startsWith('bg-'));
    const pods = (await api.list(R.pods, 'default', { labelSelector: 'app=bg' })).items;
    return rs.length === 0 && pods.length === 0;
  }, 5000, 'background cascade');

  await api.create(R.deployments, 'default', deployment('fg', 2));
  await eventually(async () => ((await api.get(R.deployments, 'default', 'fg')).status as Json)?.availableReplicas === 2, 5000, 'fg available');
  const marked = (await api.delete(R.deployments, 'default', 'fg', { propagationPolicy: 'Foreground' })) as KubeObject;
  assert.ok(marked.metadata.deletionTimestamp);
  assert.deepEqual(marked.metadata.finalizers, ['foregroundDeletion']);
  await eventually(async () => !(await exists(api, R.deployments, 'default', 'fg')), 5000, 'foreground owner removed');
  assert.equal((await api.list(R.pods, 'default', { labelSelector: 'app=fg' })).items.length, 0, 'dependents went first');
  assert.equal((await api.list(R.replicasets, 'default')).items.filter((r) => r.metadata.name!.startsWith('fg-')).length, 0);

  // Orphan: dependents stay, without the ownerReference (the registry does it).
  await api.create(R.deployments, 'default', deployment('or', 1));
  await eventually(async () => ((await api.get(R.deployments, 'default', 'or')).status as Json)?.availableReplicas === 1, 5000, 'or available');
  await api.delete(R.deployments, 'default', 'or', { propagationPolicy: 'Orphan' });
  await idle();
  const orphans = (await api.list(R.replicasets, 'default')).items.filter((r) => r.metadata.name!.startsWith('or-'));
  assert.equal(orphans.length, 1);
  assert.equal(orphans[0]!.metadata.ownerReferences, undefined);

  // A dependent with one of two owners gone keeps the live one.
  const cm1 = await api.create(RESOURCES.find((r) => r.resource === 'configmaps')!, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner-a' } });
  const cm2 = await api.create(RESOURCES.find((r) => r.resource === 'configmaps')!, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner-b' } });
  const ref = (o: KubeObject) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: o.metadata.name!, uid: o.metadata.uid! });
  await api.create(R.secrets, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'dep', ownerReferences: [ref(cm1), ref(cm2)] } });
  await api.delete(RESOURCES.find((r) => r.resource === 'configmaps')!, 'default', 'owner-a');
  const dep = await eventually(async () => {
    const s = await api.get(R.secrets, 'default', 'dep');
    return s.metadata.ownerReferences?.length === 1 ? s : undefined;
  }, 5000, 'dangling reference removed');
  assert.equal(dep.metadata.ownerReferences![0]!.name, 'owner-b');
  await api.delete(RESOURCES.find((r) => r.resource === 'configmaps')!, 'default', 'owner-b');
  await eventually(async () => !(await exists(api, R.secrets, 'default', 'dep')), 5000, 'last owner gone → dependent deleted');
});

test('namespace deletion empties the namespace, then finalizes it', async (t) => {
  const { api } = await controllerCluster(t);
  await api.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
  await api.create(R.deployments, 'doomed', { ...deployment('web', 2), metadata: { name: 'web', namespace: 'doomed' } });
  await api.create(RESOURCES.find((r) => r.resource === 'configmaps')!, 'doomed', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: 'b' } });
  await api.create(R.services, 'doomed', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
  await eventually(async () => (await api.list(R.pods, 'doomed')).items.filter((p) => (p.status as Json)?.podIP).length === 2, 5000, 'pods running');
  await eventually(async () => (await api.list(R.serviceaccounts, 'doomed')).items.length === 1, 5000, 'default SA');
  const started = Date.now();
  await api.delete(R.namespaces, undefined, 'doomed');
  await eventually(async () => !(await exists(api, R.namespaces, undefined, 'doomed')), 10_000, 'namespace removed');
  t.diagnostic(`namespace with a deployment, service, configmap and SA removed in ${Date.now() - started} ms`);
  for (const res of RESOURCES.filter((r) => r.namespaced)) {
    assert.equal((await api.list(res, 'doomed')).items.length, 0, `${res.resource} left behind`);
  }
});

test('service accounts: default in every namespace (recreated), one token Secret each', async (t) => {
  const { api, idle } = await controllerCluster(t, { nodes: 0, kubelet: false });
  await api.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
  const sa = await eventually(async () => (await exists(api, R.serviceaccounts, 'team', 'default')) && api.get(R.serviceaccounts, 'team', 'default'), 5000, 'default SA');
  const secret = await eventually(async () => (await api.list(R.secrets, 'team')).items.find((s) => s.type === 'kubernetes.io/service-account-token'), 5000, 'token secret');
  assert.match(secret.metadata.name!, /^default-token-[a-z0-9]{5}$/);
  assert.equal(secret.metadata.annotations!['kubernetes.io/service-account.name'], 'default');
  assert.equal(secret.metadata.annotations!['kubernetes.io/service-account.uid'], sa.metadata.uid);
  const token = Buffer.from((secret.data as Json).token, 'base64').toString();
  assert.ok(token.length >= 40);
  assert.equal(Buffer.from((secret.data as Json).namespace, 'base64').toString(), 'team');
  await eventually(async () => ((await api.get(R.serviceaccounts, 'team', 'default')).secrets as Json[] | undefined)?.[0]?.name === secret.metadata.name, 5000, 'SA lists its secret');
  await idle();
  assert.equal((await api.list(R.secrets, 'team')).items.length, 1, 'exactly one token');
  // Deleted: recreated with a new uid and a new token (the old one is collected).
  await api.delete(R.serviceaccounts, 'team', 'default');
  const again = await eventually(async () => {
    const s = await api.get(R.serviceaccounts, 'team', 'default').catch(() => undefined);
    return s && s.metadata.uid !== sa.metadata.uid ? s : undefined;
  }, 5000, 'default SA recreated');
  await eventually(async () => {
    const tokens = (await api.list(R.secrets, 'team')).items;
    return tokens.length === 1 && tokens[0]!.metadata.annotations!['kubernetes.io/service-account.uid'] === again.metadata.uid;
  }, 5000, 'old token collected, new token made');
});

test('endpoints and endpoint slices follow pods within ~100 ms; selector-less services are left alone', async (t) => {
  const { api, idle } = await controllerCluster(t, { nodes: 1 });
  await api.create(R.services, 'default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', labels: { tier: 'front' } },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'raw', port: 81, targetPort: 9090, protocol: 'TCP' }] },
  });
  await api.create(R.deployments, 'default', deployment('web', 2));
  const ep = await eventually(async () => {
    const e = await api.get(R.endpoints, 'default', 'web');
    return (e.subsets as Json[] | undefined)?.[0]?.addresses?.length === 2 ? e : undefined;
  }, 5000, 'endpoints with 2 addresses');
  const subset = (ep.subsets as Json[])[0]!;
  assert.deepEqual(
    subset.ports.sort((a: Json, b: Json) => a.port - b.port),
    [
      { name: 'http', port: 8080, protocol: 'TCP' },
      { name: 'raw', port: 9090, protocol: 'TCP' },
    ],
  );
  assert.equal(subset.addresses[0].targetRef.kind, 'Pod');
  assert.equal(subset.addresses[0].nodeName, 'node-1');
  assert.equal(ep.metadata.labels!.tier, 'front');
  const slices = (await api.list(R.endpointslices, 'default', { labelSelector: 'kubernetes.io/service-name=web' })).items;
  assert.equal(slices.length, 1);
  const slice = slices[0]!;
  assert.match(slice.metadata.name!, /^web-[a-z0-9]{5}$/);
  assert.equal(slice.metadata.labels!['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
  assert.equal(slice.metadata.ownerReferences![0]!.kind, 'Service');
  assert.equal(slice.addressType, 'IPv4');
  assert.equal((slice.endpoints as Json[]).length, 2);
  assert.deepEqual((slice.endpoints as Json[])[0]!.conditions, { ready: true, serving: true, terminating: false });

  // A pod turning not-ready moves to notReadyAddresses; measure the delay.
  const pod = (await api.list(R.pods, 'default', { labelSelector: 'app=web' })).items[0]!;
  const t0 = Date.now();
  await runPod(api, pod, false);
  await eventually(async () => ((await api.get(R.endpoints, 'default', 'web')).subsets as Json[])[0]?.notReadyAddresses?.length === 1, 2000, 'not ready address');
  const delay = Date.now() - t0;
  t.diagnostic(`endpoints updated ${delay} ms after a pod readiness change`);
  assert.ok(delay < 200, `took ${delay} ms`);
  await eventually(async () => {
    const s = (await api.list(R.endpointslices, 'default', { labelSelector: 'kubernetes.io/service-name=web' })).items[0]!;
    return (s.endpoints as Json[]).some((e) => e.conditions.ready === false && e.targetRef.name === pod.metadata.name);
  }, 2000, 'slice not ready');

  // Selector-less: a user-managed Endpoints object stays as written.
  await api.create(R.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext' }, spec: { ports: [{ port: 5432 }] } });
  await api.create(R.endpoints, 'default', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'ext' }, subsets: [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 5432 }] }] });
  await idle();
  assert.equal(((await api.get(R.endpoints, 'default', 'ext')).subsets as Json[])[0]!.addresses[0].ip, '192.0.2.10');
  const kube = await api.get(R.endpoints, 'default', 'kubernetes');
  assert.equal((kube.subsets as Json[])[0]!.addresses[0].ip, '127.0.0.1');
  // Service deleted → its Endpoints and slices go.
  await api.delete(R.services, 'default', 'web');
  await eventually(async () => !(await exists(api, R.endpoints, 'default', 'web')), 5000, 'endpoints removed');
  await eventually(async () => (await api.list(R.endpointslices, 'default', { labelSelector: 'kubernetes.io/service-name=web' })).items.length === 0, 5000, 'slices removed');
});

test('node lifecycle: silent node → Unknown + unreachable taints → pods evicted; renewal removes the taints', async (t) => {
  const { api } = await controllerCluster(t, { nodes: 0, controllers: { nodeMonitorGracePeriodMs: 300, podEvictionTimeoutMs: 400 } });
  await createNode(api, 'quiet');
  await renewLease(api, 'quiet');
  await api.create(R.deployments, 'default', deployment('web', 2));
  await eventually(async () => ((await api.get(R.deployments, 'default', 'web')).status as Json)?.availableReplicas === 2, 5000, 'running on quiet');
  const original = (await api.list(R.pods, 'default', { labelSelector: 'app=web' })).items.map((p) => p.metadata.name);
  // No renewals from now on.
  const node = await eventually(async () => {
    const n = await api.get(R.nodes, undefined, 'quiet');
    return ((n.spec as Json).taints as Json[] | undefined)?.length === 2 ? n : undefined;
  }, 3000, 'unreachable taints');
  const ready = ((node.status as Json).conditions as Json[]).find((c) => c.type === 'Ready')!;
  assert.equal(ready.status, 'Unknown');
  assert.equal(ready.reason, 'NodeStatusUnknown');
  assert.equal(ready.message, 'Kubelet stopped posting node status.');
  assert.deepEqual(((node.spec as Json).taints as Json[]).map((x) => `${x.key}:${x.effect}`).sort(), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
  // Evicted after podEvictionTimeoutMs (the kubelet fake removes them at once).
  await eventually(async () => {
    const names = (await api.list(R.pods, 'default', { labelSelector: 'app=web' })).items.map((p) => p.metadata.name);
    return original.every((n) => !names.includes(n));
  }, 5000, 'pods evicted');
  const ev = (await api.list(R.events, 'default', { fieldSelector: `involvedObject.name=${original[0]}` })).items;
  assert.ok(ev.some((e) => e.reason === 'TaintManagerEviction' && e.message === `Marking for deletion Pod default/${original[0]}`));
  // Replacements can't schedule on the tainted node.
  const pending = await eventually(async () => {
    const p = (await api.list(R.pods, 'default', { labelSelector: 'app=web' })).items;
    const c = p[0] ? ((p[0].status as Json)?.conditions as Json[] | undefined)?.find((x) => x.type === 'PodScheduled') : undefined;
    return c?.status === 'False' ? c : undefined;
  }, 5000, 'replacement unschedulable');
  assert.equal(pending.message, '0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }.');
  // The node comes back.
  const beat = setInterval(() => void renewLease(api, 'quiet'), 50);
  t.after(() => clearInterval(beat));
  await renewLease(api, 'quiet');
  await eventually(async () => !((await api.get(R.nodes, undefined, 'quiet')).spec as Json).taints?.length, 3000, 'taints removed');
});

test('job runs to completions and fails past backoffLimit', async (t) => {
  const { api } = await controllerCluster(t, { nodes: 1 });
  const job = (name: string, exit: string, extra: Json) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { ...extra, template: { metadata: { annotations: { 'test/exit': exit } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
  });
  await api.create(R.jobs, 'default', job('ok', '0', { completions: 3, parallelism: 2 }));
  const done = await eventually(async () => {
    const j = await api.get(R.jobs, 'default', 'ok');
    return ((j.status as Json)?.conditions as Json[] | undefined)?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
  }, 5000, 'job complete');
  const st = done.status as Json;
  assert.equal(st.succeeded, 3);
  assert.ok(st.startTime && st.completionTime);
  assert.deepEqual(
    (st.conditions as Json[]).map((c) => `${c.type}/${c.reason}`),
    ['SuccessCriteriaMet/CompletionsReached', 'Complete/CompletionsReached'],
  );
  const pods = (await api.list(R.pods, 'default', { labelSelector: 'batch.kubernetes.io/job-name=ok' })).items;
  assert.equal(pods.length, 3);
  assert.ok(pods.every((p) => p.metadata.labels!['batch.kubernetes.io/controller-uid'] === done.metadata.uid));

  await api.create(R.jobs, 'default', job('bad', '1', { backoffLimit: 0, ttlSecondsAfterFinished: 1 }));
  const failed = await eventually(async () => {
    const j = await api.get(R.jobs, 'default', 'bad');
    return ((j.status as Json)?.conditions as Json[] | undefined)?.find((c) => c.type === 'Failed' && c.status === 'True');
  }, 5000, 'job failed');
  assert.equal(failed.reason, 'BackoffLimitExceeded');
  assert.equal(failed.message, 'Job has reached the specified backoff limit');
  await eventually(async () => !(await exists(api, R.jobs, 'default', 'bad')), 5000, 'ttlSecondsAfterFinished removes the job');
});

test('daemonset: one pod per eligible node, status, rolling update of the template', async (t) => {
  const { api } = await controllerCluster(t, { nodes: 2 });
  await createNode(api, 'tainted', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] });
  await api.create(R.daemonsets, 'default', {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent' },
    spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'agent:1' }] } } },
  });
  const ds = await eventually(async () => {
    const d = await api.get(R.daemonsets, 'default', 'agent');
    const s = d.status as Json;
    return s?.numberReady === 2 && s.desiredNumberScheduled === 2 ? d : undefined;
  }, 5000, 'daemon pods ready');
  const s = ds.status as Json;
  assert.equal(s.currentNumberScheduled, 2);
  assert.equal(s.updatedNumberScheduled, 2);
  assert.equal(s.numberMisscheduled, 0);
  assert.equal(s.observedGeneration, 1);
  const pods = (await api.list(R.pods, 'default', { labelSelector: 'app=agent' })).items;
  assert.deepEqual(pods.map((p) => (p.spec as Json).nodeName).sort(), ['node-1', 'node-2']);
  const terms = (pods[0]!.spec as Json).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
  assert.equal(terms[0].matchFields[0].key, 'metadata.name');
  assert.equal((await api.list(R.controllerrevisions, 'default')).items.length, 1);
  // Template change: pods replaced one at a time (maxUnavailable 1).
  await api.patch(R.daemonsets, 'default', 'agent', 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image: 'agent:2' }] } } } });
  await eventually(async () => {
    const d = (await api.get(R.daemonsets, 'default', 'agent')).status as Json;
    const p = (await api.list(R.pods, 'default', { labelSelector: 'app=agent' })).items;
    return d.observedGeneration === 2 && d.updatedNumberScheduled === 2 && d.numberReady === 2 && p.length === 2 && p.every((x) => (x.spec as Json).containers[0].image === 'agent:2');
  }, 8000, 'daemonset rolled');
  const revs = (await api.list(R.controllerrevisions, 'default')).items.map((r) => r.revision).sort();
  assert.deepEqual(revs, [1, 2]);
  // A new node gets its pod.
  await createNode(api, 'node-3');
  await eventually(async () => ((await api.get(R.daemonsets, 'default', 'agent')).status as Json).numberReady === 3, 5000, 'pod on node-3');
});
