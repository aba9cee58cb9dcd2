import assert from 'node:assert/strict';
import { test } from 'node:test';
import { R } from '../../src/kube/controllers/objects.js';
import { eventually } from '../../src/kube/controllers/testing.js';
import type { KubeApi } from '../../src/kube/api.js';
import type { KubeObject } from '../../src/kube/types.js';
import { controllerCluster } from '../support/kube-controllers.js';

type Json = Record<string, any>;

const podsOf = async (api: KubeApi, selector: string) => (await api.list(R.pods, 'default', { labelSelector: selector })).items;

function deployment(name: string, image: string, replicas: number, strategy?: Json): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
      ...(strategy ? { strategy } : {}),
    },
  };
}

test('ReplicaSet creates owned pods, scales down preferring unscheduled ones, adopts orphans, and reports status', async (t) => {
  const { api, idle } = await controllerCluster(t, { kubelet: false, nodes: 0 });
  const rs = await api.create(R.replicasets, 'default', {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web' },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  });
  await eventually(async () => (await podsOf(api, 'app=web')).length === 3, 5000, '3 pods');
  const pods = await podsOf(api, 'app=web');
  for (const p of pods) {
    assert.match(p.metadata.name!, /^web-[a-z0-9]{5}$/);
    assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  }
  // One pod bound and running: scaling to 1 must keep that one.
  const keep = pods[1]!;
  await api.create(R.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
  await api.create(R.pods, 'default', { apiVersion: 'v1', kind: 'Binding', metadata: { name: keep.metadata.name }, target: { kind: 'Node', name: 'n1' } }, { subresource: 'binding' });
  await api.patch(R.replicasets, 'default', 'web', 'merge', { spec: { replicas: 1 } });
  await eventually(async () => (await podsOf(api, 'app=web')).length === 1, 5000, 'scale down');
  assert.equal((await podsOf(api, 'app=web'))[0]!.metadata.name, keep.metadata.name);
  await idle();
  const st = (await api.get(R.replicasets, 'default', 'web')).status as Json;
  assert.equal(st.replicas, 1);
  assert.equal(st.fullyLabeledReplicas, 1);
  assert.equal(st.readyReplicas, 0);
  assert.equal(st.observedGeneration, 2);
  // An orphan matching the selector is adopted, and then is one too many.
  await api.create(R.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
  await eventually(async () => (await podsOf(api, 'app=web')).length === 1, 5000, 'orphan adopted and removed');
  await idle();
  const events = (await api.list(R.events, 'default', { fieldSelector: 'involvedObject.name=web' })).items;
  assert.ok(events.some((e) => e.reason === 'SuccessfulCreate' && String(e.message).startsWith('Created pod: web-')));
  assert.ok(events.some((e) => e.reason === 'SuccessfulDelete'));
  assert.ok(events.every((e) => (e.source as Json).component === 'replicaset-controller'));
});

test('Deployment: RS per template, status, scale, rolling update keeps availability, rollout undo reuses the old RS', async (t) => {
  const { api, idle } = await controllerCluster(t);
  await api.create(R.deployments, 'default', deployment('web', 'nginx:1', 3, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }));
  const firstRs = await eventually(async () => {
    const list = (await api.list(R.replicasets, 'default')).items.filter((r) => r.metadata.name!.startsWith('web-'));
    return list.length === 1 && (list[0]!.status as Json)?.availableReplicas === 3 ? list[0] : undefined;
  }, 5000, 'first RS available');
  const hash = firstRs.metadata.labels!['pod-template-hash']!;
  assert.equal(firstRs.metadata.name, `web-${hash}`);
  assert.equal((firstRs.spec as Json).selector.matchLabels['pod-template-hash'], hash);
  assert.equal(firstRs.metadata.annotations!['deployment.kubernetes.io/revision'], '1');
  assert.equal(firstRs.metadata.annotations!['deployment.kubernetes.io/desired-replicas'], '3');
  assert.equal(firstRs.metadata.annotations!['deployment.kubernetes.io/max-replicas'], '4');
  const d1 = await eventually(async () => {
    const d = await api.get(R.deployments, 'default', 'web');
    return (d.status as Json)?.availableReplicas === 3 ? d : undefined;
  }, 5000, 'deployment available');
  const st = d1.status as Json;
  assert.equal(st.observedGeneration, 1);
  assert.equal(st.updatedReplicas, 3);
  assert.equal(st.readyReplicas, 3);
  const cond = (type: string) => (st.conditions as Json[]).find((c) => c.type === type)!;
  assert.equal(cond('Available').status, 'True');
  assert.equal(cond('Available').reason, 'MinimumReplicasAvailable');
  await eventually(async () => {
    const c = (((await api.get(R.deployments, 'default', 'web')).status as Json).conditions as Json[]).find((x) => x.type === 'Progressing');
    return c?.reason === 'NewReplicaSetAvailable' && c.message === `ReplicaSet "web-${hash}" has successfully progressed.`;
  }, 5000, 'Progressing NewReplicaSetAvailable');

  // Rolling update A → B: count available (ready, not terminating) pods at every pod change.
  let minAvailable = Infinity;
  const sample = async () => {
    const pods = await podsOf(api, 'app=web');
    const available = pods.filter((p) => !p.metadata.deletionTimestamp && ((p.status as Json)?.conditions ?? []).some((c: Json) => c.type === 'Ready' && c.status === 'True')).length;
    minAvailable = Math.min(minAvailable, available);
  };
  const sampler = await api.watch(R.pods, 'default', { labelSelector: 'app=web' }, () => void sample());
  t.after(() => sampler.stop());
  await api.patch(R.deployments, 'default', 'web', 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });
  const started = Date.now();
  const rolled = await eventually(async () => {
    const d = await api.get(R.deployments, 'default', 'web');
    const s = d.status as Json;
    const done = s.observedGeneration === 2 && s.updatedReplicas === 3 && s.replicas === 3 && s.availableReplicas === 3;
    return done ? d : undefined;
  }, 10_000, 'rollout to nginx:2');
  await sample();
  t.diagnostic(`rolling update of 3 replicas took ${Date.now() - started} ms; minimum available during it: ${minAvailable}`);
  assert.ok(minAvailable >= 3, `availability dropped to ${minAvailable}`);
  assert.equal(rolled.metadata.annotations!['deployment.kubernetes.io/revision'], '2');
  await idle();
  const rsList = (await api.list(R.replicasets, 'default')).items.filter((r) => r.metadata.name!.startsWith('web-'));
  assert.equal(rsList.length, 2);
  const oldRs = rsList.find((r) => r.metadata.name === firstRs.metadata.name)!;
  const newRs = rsList.find((r) => r.metadata.name !== firstRs.metadata.name)!;
  assert.equal((oldRs.spec as Json).replicas, 0);
  assert.equal((newRs.spec as Json).replicas, 3);
  assert.equal(newRs.metadata.annotations!['deployment.kubernetes.io/revision'], '2');
  const images = (await podsOf(api, 'app=web')).map((p) => (p.spec as Json).containers[0].image);
  assert.deepEqual(images, ['nginx:2', 'nginx:2', 'nginx:2']);
  const dEvents = (await api.list(R.events, 'default', { fieldSelector: 'involvedObject.name=web,involvedObject.kind=Deployment' })).items;
  assert.ok(dEvents.some((e) => e.reason === 'ScalingReplicaSet' && e.message === `Scaled up replica set ${newRs.metadata.name} from 0 to 1`), JSON.stringify(dEvents.map((e) => e.message)));
  assert.ok(dEvents.some((e) => e.reason === 'ScalingReplicaSet' && e.message === `Scaled down replica set ${firstRs.metadata.name} from 1 to 0`));

  // kubectl rollout undo: the template goes back to the old RS's (minus pod-template-hash).
  const template = structuredClone((oldRs.spec as Json).template);
  delete template.metadata.labels['pod-template-hash'];
  const cur = await api.get(R.deployments, 'default', 'web');
  await api.update(R.deployments, 'default', 'web', { ...cur, spec: { ...(cur.spec as Json), template } });
  await eventually(async () => {
    const s = (await api.get(R.deployments, 'default', 'web')).status as Json;
    return s.observedGeneration === 3 && s.updatedReplicas === 3 && s.replicas === 3 && s.availableReplicas === 3;
  }, 10_000, 'undo rolled out');
  await idle();
  const afterUndo = (await api.list(R.replicasets, 'default')).items.filter((r) => r.metadata.name!.startsWith('web-'));
  assert.equal(afterUndo.length, 2, 'undo reuses the old ReplicaSet');
  const reused = afterUndo.find((r) => r.metadata.name === firstRs.metadata.name)!;
  assert.equal((reused.spec as Json).replicas, 3);
  assert.equal(reused.metadata.annotations!['deployment.kubernetes.io/revision'], '3');
  assert.equal((await api.get(R.deployments, 'default', 'web')).metadata.annotations!['deployment.kubernetes.io/revision'], '3');

  // Scale up and down.
  await api.patch(R.deployments, 'default', 'web', 'merge', { spec: { replicas: 5 } });
  await eventually(async () => ((await api.get(R.deployments, 'default', 'web')).status as Json).availableReplicas === 5, 5000, 'scaled to 5');
  await api.patch(R.deployments, 'default', 'web', 'merge', { spec: { replicas: 2 } });
  await eventually(async () => {
    const s = (await api.get(R.deployments, 'default', 'web')).status as Json;
    return s.replicas === 2 && s.availableReplicas === 2 && (await podsOf(api, 'app=web')).length === 2;
  }, 5000, 'scaled to 2');
  const reusedNow = await api.get(R.replicasets, 'default', firstRs.metadata.name!);
  assert.equal(reusedNow.metadata.annotations!['deployment.kubernetes.io/desired-replicas'], '2');
});

test('Deployment: Recreate scales the old ReplicaSet to zero before the new one starts; revisionHistoryLimit prunes', async (t) => {
  const { api, idle } = await controllerCluster(t);
  const d = deployment('rec', 'app:1', 2, { type: 'Recreate' });
  (d.spec as Json).revisionHistoryLimit = 1;
  await api.create(R.deployments, 'default', d);
  await eventually(async () => ((await api.get(R.deployments, 'default', 'rec')).status as Json)?.availableReplicas === 2, 5000, 'available');
  let overlap = false;
  const w = await api.watch(R.pods, 'default', { labelSelector: 'app=rec' }, () => {
    void podsOf(api, 'app=rec').then((pods) => {
      const live = pods.filter((p) => !p.metadata.deletionTimestamp);
      const images = new Set(live.map((p) => (p.spec as Json).containers[0].image));
      if (images.size > 1) overlap = true;
    });
  });
  t.after(() => w.stop());
  for (const image of ['app:2', 'app:3']) {
    await api.patch(R.deployments, 'default', 'rec', 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image }] } } } });
    await eventually(async () => {
      const s = (await api.get(R.deployments, 'default', 'rec')).status as Json;
      const pods = await podsOf(api, 'app=rec');
      return s.updatedReplicas === 2 && s.availableReplicas === 2 && s.replicas === 2 && pods.every((p) => (p.spec as Json).containers[0].image === image);
    }, 10_000, `recreate to ${image}`);
  }
  await idle();
  assert.equal(overlap, false, 'old and new pods never ran together');
  const rsNames = (await api.list(R.replicasets, 'default')).items.filter((r) => r.metadata.name!.startsWith('rec-'));
  assert.equal(rsNames.length, 2, 'one old ReplicaSet kept (revisionHistoryLimit 1) plus the current one');
});

test('Deployment: paused deployments do not roll out; progress deadline is reported', async (t) => {
  const { api, kubelet } = await controllerCluster(t);
  await api.create(R.deployments, 'default', deployment('p', 'a:1', 1));
  await eventually(async () => ((await api.get(R.deployments, 'default', 'p')).status as Json)?.availableReplicas === 1, 5000, 'available');
  await api.patch(R.deployments, 'default', 'p', 'merge', { spec: { paused: true, template: { spec: { containers: [{ name: 'c', image: 'a:2' }] } } } });
  await eventually(async () => {
    const c = (((await api.get(R.deployments, 'default', 'p')).status as Json).conditions as Json[]).find((x) => x.type === 'Progressing');
    return c?.reason === 'DeploymentPaused' && c.status === 'Unknown';
  }, 5000, 'paused condition');
  assert.equal((await api.list(R.replicasets, 'default')).items.filter((r) => r.metadata.name!.startsWith('p-')).length, 1);
  // Resume with pods that never become ready and a 1 s deadline.
  kubelet!.ready = false;
  await api.patch(R.deployments, 'default', 'p', 'merge', { spec: { paused: false, progressDeadlineSeconds: 1 } });
  const c = await eventually(async () => {
    const x = (((await api.get(R.deployments, 'default', 'p')).status as Json).conditions as Json[]).find((y) => y.type === 'Progressing');
    return x?.reason === 'ProgressDeadlineExceeded' ? x : undefined;
  }, 6000, 'ProgressDeadlineExceeded');
  assert.equal(c.status, 'False');
  assert.match(String(c.message), /^ReplicaSet "p-[a-z0-9]+" has timed out progressing\.$/);
});
