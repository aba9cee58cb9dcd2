import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { KubeApi } from '../../src/kube/api.js';
import { R } from '../../src/kube/controllers/objects.js';
import { eventually, runPod } from '../../src/kube/controllers/testing.js';
import type { KubeObject } from '../../src/kube/types.js';
import { controllerCluster } from '../support/kube-controllers.js';

/**
 * A controller cluster with the local-path provisioner (its default StorageClass), so the claims
 * of volumeClaimTemplates bind and their pods schedule, as on a real cluster.
 */
async function withStorage(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-sts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return controllerCluster(t, { controllers: { localVolumesDir: dir } });
}

type Json = Record<string, any>;

function sts(name: string, replicas: number, extra: Json = {}, image = 'nginx:1'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
      ...extra,
    },
  };
}

const podNames = async (api: KubeApi, app: string) =>
  (await api.list(R.pods, 'default', { labelSelector: `app=${app}` })).items
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => p.metadata.name!)
    .sort();
const stsStatus = async (api: KubeApi, name: string) => (await api.get(R.statefulsets, 'default', name)).status as Json;

/** Records pod ADDED/DELETED events of `app` in order (`+web-0`, `-web-2`). */
async function recordPods(api: KubeApi, app: string, t: { after(fn: () => void): void }): Promise<string[]> {
  const seen: string[] = [];
  const w = await api.watch(R.pods, 'default', { labelSelector: `app=${app}` }, (ev) => {
    if (ev.type === 'ADDED') seen.push(`+${ev.object.metadata.name}`);
    if (ev.type === 'DELETED') seen.push(`-${ev.object.metadata.name}`);
  });
  t.after(() => w.stop());
  return seen;
}

test('StatefulSet OrderedReady: one member at a time, each Ready before the next; identity, claims, revisions and status', async (t) => {
  const { api, kubelet, idle } = await withStorage(t);
  kubelet!.ready = false;
  const claimTemplate = { metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
  await api.create(R.statefulsets, 'default', sts('web', 3, { volumeClaimTemplates: [claimTemplate] }));
  await eventually(async () => (await podNames(api, 'web')).length === 1, 5000, 'web-0');
  await idle();
  assert.deepEqual(await podNames(api, 'web'), ['web-0'], 'web-1 waits until web-0 is Ready');
  for (const n of ['web-0', 'web-1']) {
    await runPod(api, await api.get(R.pods, 'default', n));
    await eventually(async () => (await podNames(api, 'web')).length === Number(n.slice(-1)) + 2, 5000, `the member after ${n}`);
    await idle();
  }
  kubelet!.ready = true;
  await runPod(api, await api.get(R.pods, 'default', 'web-2'));
  const st = await eventually(async () => {
    const s = await stsStatus(api, 'web');
    return s.readyReplicas === 3 ? s : undefined;
  }, 5000, 'ready 3');
  const pod = await api.get(R.pods, 'default', 'web-1');
  const ps = pod.spec as Json;
  assert.equal(ps.hostname, 'web-1');
  assert.equal(ps.subdomain, 'web');
  assert.deepEqual(ps.volumes.find((v: Json) => v.name === 'www'), { name: 'www', persistentVolumeClaim: { claimName: 'www-web-1' } });
  assert.equal(pod.metadata.labels!['statefulset.kubernetes.io/pod-name'], 'web-1');
  assert.equal(pod.metadata.labels!['apps.kubernetes.io/pod-index'], '1');
  assert.match(pod.metadata.labels!['controller-revision-hash']!, /^web-[a-z0-9]+$/);
  const claims = (await api.list(R.persistentvolumeclaims, 'default')).items.map((c) => c.metadata.name).sort();
  assert.deepEqual(claims, ['www-web-0', 'www-web-1', 'www-web-2']);
  const claimObj = await api.get(R.persistentvolumeclaims, 'default', 'www-web-0');
  assert.deepEqual(claimObj.metadata.labels, { app: 'web' });
  assert.equal(claimObj.metadata.ownerReferences, undefined, 'Retain: claims outlive the set');
  assert.equal(st.replicas, 3);
  assert.equal(st.currentReplicas, 3);
  assert.equal(st.updatedReplicas, 3);
  assert.equal(st.availableReplicas, 3);
  assert.equal(st.observedGeneration, 1);
  assert.equal(st.collisionCount, 0);
  assert.equal(st.currentRevision, pod.metadata.labels!['controller-revision-hash']);
  assert.equal(st.updateRevision, st.currentRevision);
  const crs = (await api.list(R.controllerrevisions, 'default')).items;
  assert.deepEqual(crs.map((c) => [c.metadata.name, c.revision]), [[st.currentRevision, 1]]);
  const events = (await api.list(R.events, 'default', { fieldSelector: 'involvedObject.name=web' })).items;
  assert.ok(events.some((e) => e.reason === 'SuccessfulCreate' && e.message === 'create Pod web-0 in StatefulSet web successful'));
  assert.ok(events.some((e) => e.reason === 'SuccessfulCreate' && e.message === 'create Claim www-web-0 Pod web-0 in StatefulSet web success'));
});

test('StatefulSet rolling update goes highest ordinal first; scale down removes the highest first; deleted and failed members come back', async (t) => {
  const { api, idle } = await withStorage(t);
  await api.create(R.statefulsets, 'default', sts('db', 3));
  const first = await eventually(async () => {
    const s = await stsStatus(api, 'db');
    return s.readyReplicas === 3 ? s : undefined;
  }, 5000, '3 ready');
  const seen = await recordPods(api, 'db', t);
  await api.patch(R.statefulsets, 'default', 'db', 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });
  const rolled = await eventually(async () => {
    const s = await stsStatus(api, 'db');
    return s.observedGeneration === 2 && s.currentRevision === s.updateRevision && s.updatedReplicas === 3 && s.readyReplicas === 3 ? s : undefined;
  }, 10_000, 'rolled');
  assert.notEqual(rolled.updateRevision, first.updateRevision);
  assert.deepEqual(seen.filter((e) => e.startsWith('-')), ['-db-2', '-db-1', '-db-0']);
  for (const n of ['db-0', 'db-1', 'db-2']) assert.equal(((await api.get(R.pods, 'default', n)).spec as Json).containers[0].image, 'nginx:2');
  const revs = (await api.list(R.controllerrevisions, 'default')).items.map((c) => [c.metadata.name, c.revision]).sort();
  assert.deepEqual(revs, [[first.updateRevision, 1], [rolled.updateRevision, 2]].sort());

  seen.length = 0;
  await api.patch(R.statefulsets, 'default', 'db', 'merge', { spec: { replicas: 1 } });
  await eventually(async () => (await podNames(api, 'db')).join() === 'db-0', 5000, 'scaled to 1');
  assert.deepEqual(seen.filter((e) => e.startsWith('-')), ['-db-2', '-db-1']);
  await eventually(async () => (await stsStatus(api, 'db')).replicas === 1, 5000, 'status replicas 1');

  // A deleted member is created again under its name; a failed one is replaced.
  const uid0 = (await api.get(R.pods, 'default', 'db-0')).metadata.uid;
  await api.delete(R.pods, 'default', 'db-0');
  const again = await eventually(async () => {
    const p = await api.get(R.pods, 'default', 'db-0').catch(() => undefined);
    return p && p.metadata.uid !== uid0 && (p.status as Json)?.phase === 'Running' ? p : undefined;
  }, 5000, 'db-0 recreated');
  await runPod(api, again, false, 'Failed');
  await eventually(async () => {
    const p = await api.get(R.pods, 'default', 'db-0').catch(() => undefined);
    return p && p.metadata.uid !== again.metadata.uid && (p.status as Json)?.phase === 'Running';
  }, 5000, 'failed db-0 replaced');
  await idle();
});

test('StatefulSet Parallel creates all members at once; partition keeps low ordinals; OnDelete waits for deletes; whenScaled=Delete removes claims', async (t) => {
  const { api, kubelet, idle } = await withStorage(t);
  kubelet!.ready = false;
  await api.create(
    R.statefulsets,
    'default',
    sts('par', 3, {
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } },
      persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete', whenDeleted: 'Delete' },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    }),
  );
  await eventually(async () => (await podNames(api, 'par')).length === 3, 5000, '3 members without waiting for Ready');
  for (const n of ['par-0', 'par-1', 'par-2']) await runPod(api, await api.get(R.pods, 'default', n));
  kubelet!.ready = true;
  await eventually(async () => (await stsStatus(api, 'par')).readyReplicas === 3, 5000, '3 ready');
  const claimObj = await api.get(R.persistentvolumeclaims, 'default', 'data-par-0');
  assert.equal(claimObj.metadata.ownerReferences?.[0]?.kind, 'StatefulSet');
  await api.patch(R.statefulsets, 'default', 'par', 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });
  const st = await eventually(async () => {
    const s = await stsStatus(api, 'par');
    return s.observedGeneration === 2 && s.updatedReplicas === 1 && s.readyReplicas === 3 ? s : undefined;
  }, 5000, 'partitioned update');
  await idle();
  const images = async () => Promise.all(['par-0', 'par-1', 'par-2'].map(async (n) => ((await api.get(R.pods, 'default', n)).spec as Json).containers[0].image));
  assert.deepEqual(await images(), ['nginx:1', 'nginx:1', 'nginx:2']);
  assert.notEqual(st.currentRevision, st.updateRevision);
  // A deleted member below the partition comes back at the current revision.
  const uid0 = (await api.get(R.pods, 'default', 'par-0')).metadata.uid;
  await api.delete(R.pods, 'default', 'par-0');
  await eventually(async () => {
    const p = await api.get(R.pods, 'default', 'par-0').catch(() => undefined);
    return p && p.metadata.uid !== uid0 && (p.status as Json)?.phase === 'Running';
  }, 5000, 'par-0 back');
  assert.deepEqual(await images(), ['nginx:1', 'nginx:1', 'nginx:2']);

  // Switch to OnDelete with a third template: nothing changes until a member is deleted.
  await api.patch(R.statefulsets, 'default', 'par', 'merge', { spec: { updateStrategy: { type: 'OnDelete', rollingUpdate: null }, template: { spec: { containers: [{ name: 'c', image: 'nginx:3' }] } } } });
  await eventually(async () => (await stsStatus(api, 'par')).observedGeneration === 3, 5000, 'gen 3');
  await idle();
  assert.deepEqual(await images(), ['nginx:1', 'nginx:1', 'nginx:2']);
  await api.delete(R.pods, 'default', 'par-1');
  await eventually(async () => ((await api.get(R.pods, 'default', 'par-1').catch(() => undefined))?.spec as Json)?.containers[0].image === 'nginx:3', 5000, 'par-1 at nginx:3');

  // Scale to 1: the condemned members' claims go with their pods.
  await api.patch(R.statefulsets, 'default', 'par', 'merge', { spec: { replicas: 1 } });
  await eventually(async () => (await api.list(R.persistentvolumeclaims, 'default')).items.map((c) => c.metadata.name).join() === 'data-par-0', 5000, 'claims of par-1, par-2 deleted');
  // Deleting the set deletes the remaining claim (whenDeleted=Delete).
  await api.delete(R.statefulsets, 'default', 'par');
  await eventually(async () => (await api.list(R.persistentvolumeclaims, 'default')).items.length === 0, 5000, 'claims deleted with the set');
});

test('StatefulSet validation: policies, partition, claim template names, immutable spec fields', async (t) => {
  const { api } = await controllerCluster(t, { kubelet: false, nodes: 0 });
  const invalid = async (p: Promise<unknown>) => {
    const err = await p.then(() => undefined, (e: Error & { code?: number }) => e);
    assert.equal(err?.code, 422, String(err));
    return err!.message;
  };
  assert.match(await invalid(api.create(R.statefulsets, 'default', sts('v', 1, { podManagementPolicy: 'Random' }))), /spec\.podManagementPolicy: Unsupported value: "Random": supported values: "OrderedReady", "Parallel"/);
  assert.match(await invalid(api.create(R.statefulsets, 'default', sts('v', 1, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: -1 } } }))), /spec\.updateStrategy\.rollingUpdate\.partition: Invalid value: -1: must be greater than or equal to 0/);
  assert.match(await invalid(api.create(R.statefulsets, 'default', sts('v', 1, { volumeClaimTemplates: [{ spec: {} }] }))), /spec\.volumeClaimTemplates\[0\]\.metadata\.name: Required value/);
  await api.create(R.statefulsets, 'default', sts('v', 1));
  assert.match(await invalid(api.patch(R.statefulsets, 'default', 'v', 'merge', { spec: { serviceName: 'other' } })), /spec: Forbidden: updates to statefulset spec for fields other than 'replicas'/);
  const scaled = await api.patch(R.statefulsets, 'default', 'v', 'merge', { spec: { replicas: 2, minReadySeconds: 5 } });
  assert.equal((scaled.spec as Json).replicas, 2);
});
