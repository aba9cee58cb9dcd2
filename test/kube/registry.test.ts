import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { bootstrapCluster, openRegistry, type Registry } from '../../src/kube/apiserver/registry.js';
import { KubeError } from '../../src/kube/errors.js';
import { findResource, type ResourceType } from '../../src/kube/resources.js';
import type { KubeObject } from '../../src/kube/types.js';

const R = (group: string, resource: string): ResourceType => findResource(group, 'v1', resource)!;
const PODS = R('', 'pods');
const NS = R('', 'namespaces');
const SVC = R('', 'services');
const DEPLOY = R('apps', 'deployments');
const RS = R('apps', 'replicasets');
const CM = R('', 'configmaps');
const SECRETS = R('', 'secrets');
const JOBS = R('batch', 'jobs');

async function fresh(t: TestContext, opts: { dataDir?: string; nodePortRange?: [number, number] } = {}): Promise<Registry> {
  const reg = await openRegistry({ dataDir: opts.dataDir ?? ':memory:', nodePortRange: opts.nodePortRange });
  t.after(() => reg.close());
  await reg.create(NS, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  return reg;
}

function tmp(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kube-reg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const pod = (name: string, extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
  ...extra,
});

const deployment = (name: string, replicas = 2): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
});

async function rejects(p: Promise<unknown>, code: number, reason?: string | RegExp): Promise<KubeError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof KubeError, `expected KubeError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (typeof reason === 'string') assert.equal(e.reason, reason);
    else if (reason) assert.match(e.message, reason);
    return e;
  }
  assert.fail(`expected a ${code} rejection`);
}

test('create sets server metadata, pod defaults and status; get returns a private copy', async (t) => {
  const reg = await fresh(t);
  const p = await reg.create(PODS, 'default', pod('web'));
  assert.match(p.metadata.uid!, /^[0-9a-f-]{36}$/);
  assert.match(p.metadata.creationTimestamp!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(p.metadata.namespace, 'default');
  assert.equal(p.metadata.resourceVersion, String(reg.revision()));
  const spec = p.spec as any;
  assert.equal(spec.restartPolicy, 'Always');
  assert.equal(spec.dnsPolicy, 'ClusterFirst');
  assert.equal(spec.schedulerName, 'default-scheduler');
  assert.equal(spec.serviceAccountName, 'default');
  assert.equal(spec.terminationGracePeriodSeconds, 30);
  assert.equal(spec.containers[0].imagePullPolicy, 'IfNotPresent');
  assert.equal(spec.containers[0].terminationMessagePath, '/dev/termination-log');
  assert.equal(spec.containers[0].ports[0].protocol, 'TCP');
  assert.deepEqual(p.status, { phase: 'Pending', qosClass: 'BestEffort' });
  const latest = await reg.create(PODS, 'default', pod('latest', { spec: { containers: [{ name: 'c', image: 'busybox' }] } }));
  assert.equal((latest.spec as any).containers[0].imagePullPolicy, 'Always');
  const got = await reg.get(PODS, 'default', 'web');
  (got.metadata.labels as Record<string, string>).app = 'changed';
  assert.equal((await reg.get(PODS, 'default', 'web')).metadata.labels!.app, 'web');
});

test('generateName, name validation, apiVersion/kind checks, missing and terminating namespaces', async (t) => {
  const reg = await fresh(t);
  const a = await reg.create(PODS, 'default', pod('', { metadata: { generateName: 'web-' } }));
  assert.match(a.metadata.name!, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  const e = await rejects(reg.create(PODS, 'default', pod('Bad_Name')), 422, 'Invalid');
  assert.match(e.message, /Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
  await rejects(reg.create(PODS, 'default', { ...pod('x'), apiVersion: 'apps/v1' }), 400, /does not match the expected API version/);
  await rejects(reg.create(PODS, 'nope', pod('x')), 404, /namespaces "nope" not found/);
  await rejects(reg.create(PODS, 'default', pod('web-dup')).then(() => reg.create(PODS, 'default', pod('web-dup'))), 409, 'AlreadyExists');
  await reg.create(NS, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gone' } });
  await reg.delete(NS, undefined, 'gone');
  const f = await rejects(reg.create(PODS, 'gone', pod('x')), 403, 'Forbidden');
  assert.match(f.message, /unable to create new content in namespace gone because it is being terminated/);
});

test('validation: containers, ports, selectors, immutable fields', async (t) => {
  const reg = await fresh(t);
  const e1 = await rejects(reg.create(PODS, 'default', pod('p', { spec: { containers: [{ name: 'c' }, { name: 'c', image: 'x', ports: [{ containerPort: 70000 }] }] } })), 422);
  const fields = e1.details!.causes!.map((c) => c.field);
  assert.deepEqual(fields, ['spec.containers[0].image', 'spec.containers[1].name', 'spec.containers[1].ports[0].containerPort']);
  const bad = deployment('d');
  (bad.spec as any).template.metadata.labels = { app: 'other' };
  const e2 = await rejects(reg.create(DEPLOY, 'default', bad), 422);
  assert.match(e2.message, /`selector` does not match template `labels`/);
  const noSel = deployment('d');
  delete (noSel.spec as any).selector;
  await rejects(reg.create(DEPLOY, 'default', noSel), 422, /spec.selector: Required value/);
  const d = await reg.create(DEPLOY, 'default', deployment('d'));
  const changed = structuredClone(d);
  (changed.spec as any).selector = { matchLabels: { app: 'd', x: 'y' } };
  (changed.spec as any).template.metadata.labels.x = 'y';
  await rejects(reg.update(DEPLOY, 'default', 'd', changed), 422, /spec.selector: Invalid value: .*field is immutable/);
  // pod spec immutability: image change allowed, other changes not; nodeName only via binding
  const p = await reg.create(PODS, 'default', pod('imm'));
  const img = structuredClone(p);
  (img.spec as any).containers[0].image = 'nginx:1.28';
  const updated = await reg.update(PODS, 'default', 'imm', img);
  assert.equal((updated.spec as any).containers[0].image, 'nginx:1.28');
  const other = structuredClone(updated);
  (other.spec as any).restartPolicy = 'Never';
  await rejects(reg.update(PODS, 'default', 'imm', other), 422, /pod updates may not change fields/);
  const job = await rejects(reg.create(JOBS, 'default', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }] } } } }), 422);
  assert.match(job.message, /spec.template.spec.restartPolicy: Unsupported value: "Always"/);
});

test('Deployment and Job defaults; generation bumps only on spec changes', async (t) => {
  const reg = await fresh(t);
  const d = await reg.create(DEPLOY, 'default', deployment('web', 3));
  const spec = d.spec as any;
  assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(spec.revisionHistoryLimit, 10);
  assert.equal(spec.progressDeadlineSeconds, 600);
  assert.equal(spec.template.spec.restartPolicy, 'Always');
  assert.equal(d.metadata.generation, 1);
  const labelled = await reg.patch(DEPLOY, 'default', 'web', 'merge', { metadata: { labels: { a: 'b' } } });
  assert.equal(labelled.metadata.generation, 1);
  const scaled = await reg.patch(DEPLOY, 'default', 'web', 'merge', { spec: { replicas: 5 } });
  assert.equal(scaled.metadata.generation, 2);
  const j = await reg.create(JOBS, 'default', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } } });
  const js = j.spec as any;
  assert.equal(js.parallelism, 1);
  assert.equal(js.completions, 1);
  assert.equal(js.backoffLimit, 6);
  assert.equal(js.completionMode, 'NonIndexed');
  assert.deepEqual(js.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': j.metadata.uid } });
  assert.equal(js.template.metadata.labels['batch.kubernetes.io/job-name'], 'j');
});

test('optimistic concurrency: stale resourceVersion → 409, none → unconditional, patch precondition', async (t) => {
  const reg = await fresh(t);
  const cm = await reg.create(CM, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } });
  const v2 = await reg.update(CM, 'default', 'c', { ...cm, data: { a: '2' } });
  assert.ok(Number(v2.metadata.resourceVersion) > Number(cm.metadata.resourceVersion));
  const e = await rejects(reg.update(CM, 'default', 'c', { ...cm, data: { a: '3' } }), 409, 'Conflict');
  assert.match(e.message, /Operation cannot be fulfilled on configmaps "c": the object has been modified/);
  const { resourceVersion: _rv, ...meta } = cm.metadata;
  const v3 = await reg.update(CM, 'default', 'c', { ...cm, metadata: meta, data: { a: '3' } });
  assert.deepEqual(v3.data, { a: '3' });
  await rejects(reg.patch(CM, 'default', 'c', 'merge', { metadata: { resourceVersion: cm.metadata.resourceVersion }, data: { a: '4' } }), 409, 'Conflict');
  const same = await reg.update(CM, 'default', 'c', v3);
  assert.equal(same.metadata.resourceVersion, v3.metadata.resourceVersion, 'a no-op update does not bump the revision');
});

test('status subresource: main writes ignore status, /status writes only status', async (t) => {
  const reg = await fresh(t);
  const d = await reg.create(DEPLOY, 'default', deployment('web'));
  const withStatus = await reg.update(DEPLOY, 'default', 'web', { ...d, status: { replicas: 2, observedGeneration: 1 } }, { subresource: 'status' });
  assert.deepEqual(withStatus.status, { replicas: 2, observedGeneration: 1 });
  const sneaky = structuredClone(withStatus);
  (sneaky.spec as any).replicas = 9;
  (sneaky as any).status = { replicas: 100 };
  const main = await reg.update(DEPLOY, 'default', 'web', sneaky);
  assert.equal((main.spec as any).replicas, 9);
  assert.deepEqual(main.status, { replicas: 2, observedGeneration: 1 });
  const viaStatus = structuredClone(main);
  (viaStatus.spec as any).replicas = 1;
  (viaStatus as any).status = { replicas: 3 };
  const st = await reg.update(DEPLOY, 'default', 'web', viaStatus, { subresource: 'status' });
  assert.equal((st.spec as any).replicas, 9);
  assert.deepEqual(st.status, { replicas: 3 });
  const patched = await reg.patch(PODS, 'default', 'x', 'merge', {}).catch((e: KubeError) => e);
  assert.ok(patched instanceof KubeError && patched.code === 404);
});

test('scale subresource: autoscaling/v1 Scale in and out, selector as a string', async (t) => {
  const reg = await fresh(t);
  await reg.create(DEPLOY, 'default', deployment('web', 2));
  const s = await reg.get(DEPLOY, 'default', 'web', { subresource: 'scale' });
  assert.equal(s.kind, 'Scale');
  assert.equal(s.apiVersion, 'autoscaling/v1');
  assert.deepEqual(s.spec, { replicas: 2 });
  assert.deepEqual(s.status, { replicas: 0, selector: 'app=web' });
  const s2 = await reg.patch(DEPLOY, 'default', 'web', 'merge', { spec: { replicas: 4 } }, { subresource: 'scale' });
  assert.deepEqual(s2.spec, { replicas: 4 });
  const d = await reg.get(DEPLOY, 'default', 'web');
  assert.equal((d.spec as any).replicas, 4);
  assert.equal(d.metadata.generation, 2);
  await rejects(reg.update(DEPLOY, 'default', 'web', { ...s2, spec: { replicas: -1 } }, { subresource: 'scale' }), 422);
  await rejects(reg.update(DEPLOY, 'default', 'web', { ...s, spec: { replicas: 1 } }, { subresource: 'scale' }), 409, 'Conflict');
  await reg.create(RS, 'default', { ...deployment('rs'), apiVersion: 'apps/v1', kind: 'ReplicaSet' });
  const u = await reg.update(RS, 'default', 'rs', { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'rs' }, spec: { replicas: 0 } }, { subresource: 'scale' });
  assert.deepEqual(u.spec, { replicas: 0 });
});

test('finalizers keep an object until the last is removed; no new finalizers while deleting', async (t) => {
  const reg = await fresh(t);
  await reg.create(CM, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'f', finalizers: ['example.com/x'] } });
  const marked = (await reg.delete(CM, 'default', 'f')) as KubeObject;
  assert.ok(marked.metadata.deletionTimestamp);
  assert.ok(await reg.get(CM, 'default', 'f'));
  await rejects(reg.patch(CM, 'default', 'f', 'merge', { metadata: { finalizers: ['example.com/x', 'example.com/y'] } }), 422, /no new finalizers/);
  await reg.patch(CM, 'default', 'f', 'merge', { metadata: { finalizers: null } });
  await rejects(reg.get(CM, 'default', 'f'), 404, 'NotFound');
});

test('graceful pod deletion: unscheduled at once, scheduled after grace 0, binding', async (t) => {
  const reg = await fresh(t);
  await reg.create(PODS, 'default', pod('unsched'));
  const gone = (await reg.delete(PODS, 'default', 'unsched')) as KubeObject;
  assert.equal(gone.metadata.name, 'unsched');
  await rejects(reg.get(PODS, 'default', 'unsched'), 404);
  await reg.create(PODS, 'default', pod('bound'));
  const binding = await reg.create(PODS, 'default', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bound' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' } } as KubeObject, { subresource: 'binding' });
  assert.equal((binding as any).status, 'Success');
  const b = await reg.get(PODS, 'default', 'bound');
  assert.equal((b.spec as any).nodeName, 'node-1');
  assert.equal((b.status as any).conditions[0].type, 'PodScheduled');
  await rejects(reg.create(PODS, 'default', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bound' }, target: { name: 'node-2' } } as KubeObject, { subresource: 'binding' }), 409, /already assigned to node "node-1"/);
  const moved = structuredClone(b);
  (moved.spec as any).nodeName = 'node-2';
  await rejects(reg.update(PODS, 'default', 'bound', moved), 422, /spec.nodeName/);
  const marked = (await reg.delete(PODS, 'default', 'bound')) as KubeObject;
  assert.equal(marked.metadata.deletionGracePeriodSeconds, 30);
  const ts = Date.parse(marked.metadata.deletionTimestamp!);
  assert.ok(ts > Date.now() + 25_000 && ts < Date.now() + 31_000);
  assert.ok(await reg.get(PODS, 'default', 'bound'));
  const shorter = (await reg.delete(PODS, 'default', 'bound', { gracePeriodSeconds: 5 })) as KubeObject;
  assert.equal(shorter.metadata.deletionGracePeriodSeconds, 5);
  await reg.delete(PODS, 'default', 'bound', { gracePeriodSeconds: 0 });
  await rejects(reg.get(PODS, 'default', 'bound'), 404);
});

test('delete preconditions, Orphan strips ownerReferences, Foreground adds its finalizer', async (t) => {
  const reg = await fresh(t);
  const owner = await reg.create(RS, 'default', { ...deployment('o'), kind: 'ReplicaSet' });
  const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'o', uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
  await reg.create(PODS, 'default', pod('dep', { metadata: { name: 'dep', ownerReferences: [ref] } }));
  await rejects(reg.delete(RS, 'default', 'o', { preconditions: { uid: 'nope' } }), 409, /Precondition failed: UID/);
  await rejects(reg.delete(RS, 'default', 'o', { preconditions: { resourceVersion: '1' } }), 409, /Precondition failed: ResourceVersion/);
  await reg.delete(RS, 'default', 'o', { propagationPolicy: 'Orphan' });
  await rejects(reg.get(RS, 'default', 'o'), 404);
  assert.equal((await reg.get(PODS, 'default', 'dep')).metadata.ownerReferences, undefined);
  await reg.create(RS, 'default', { ...deployment('f'), kind: 'ReplicaSet' });
  const fg = (await reg.delete(RS, 'default', 'f', { propagationPolicy: 'Foreground' })) as KubeObject;
  assert.deepEqual(fg.metadata.finalizers, ['foregroundDeletion']);
  assert.ok(fg.metadata.deletionTimestamp);
  await reg.patch(RS, 'default', 'f', 'json', [{ op: 'remove', path: '/metadata/finalizers' }]);
  await rejects(reg.get(RS, 'default', 'f'), 404);
});

test('namespace lifecycle: defaults, Terminating, finalize removes it', async (t) => {
  const reg = await fresh(t);
  const ns = await reg.create(NS, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
  assert.equal(ns.metadata.labels!['kubernetes.io/metadata.name'], 'team');
  assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(ns.status, { phase: 'Active' });
  await reg.create(CM, 'team', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } });
  const t1 = (await reg.delete(NS, undefined, 'team')) as KubeObject;
  assert.equal((t1.status as any).phase, 'Terminating');
  assert.ok(t1.metadata.deletionTimestamp);
  // the namespace controller's part: empty it, then finalize
  await reg.deleteCollection(CM, 'team');
  assert.equal((await reg.list(CM, 'team')).items.length, 0);
  const live = await reg.get(NS, undefined, 'team');
  const fin = await reg.update(NS, undefined, 'team', { ...live, spec: { finalizers: [] } }, { subresource: 'finalize' });
  assert.equal(fin.metadata.name, 'team');
  await rejects(reg.get(NS, undefined, 'team'), 404);
});

test('services: defaults, ClusterIP and NodePort allocation, uniqueness, release, reopen', async (t) => {
  const dir = tmp(t);
  let reg = await openRegistry({ dataDir: dir, nodePortRange: [30000, 30004] });
  try {
    await reg.create(NS, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    const s = await reg.create(SVC, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
    const spec = s.spec as any;
    assert.equal(spec.type, 'ClusterIP');
    assert.equal(spec.sessionAffinity, 'None');
    assert.deepEqual(spec.ipFamilies, ['IPv4']);
    assert.equal(spec.ipFamilyPolicy, 'SingleStack');
    assert.equal(spec.internalTrafficPolicy, 'Cluster');
    assert.deepEqual(spec.ports, [{ port: 80, protocol: 'TCP', targetPort: 80 }]);
    assert.match(spec.clusterIP, /^10\.43\.\d+\.\d+$/);
    assert.deepEqual(spec.clusterIPs, [spec.clusterIP]);
    await rejects(reg.create(SVC, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'dup' }, spec: { clusterIP: spec.clusterIP, ports: [{ port: 80 }] } }), 422, /provided IP is already allocated/);
    const headless = await reg.create(SVC, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'hl' }, spec: { clusterIP: 'None' } });
    assert.deepEqual((headless.spec as any).clusterIPs, ['None']);
    await rejects(reg.create(SVC, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'np' }, spec: { selector: { a: 'b' } } }), 422, /spec.ports: Required value/);
    const ports = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const np = await reg.create(SVC, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: `np${i}` }, spec: { type: 'NodePort', ports: [{ port: 80 }] } });
      assert.equal((np.spec as any).externalTrafficPolicy, 'Cluster');
      ports.add((np.spec as any).ports[0].nodePort);
    }
    assert.equal(ports.size, 4);
    const explicit = await reg.create(SVC, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'np4' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: [30000, 30001, 30002, 30003, 30004].find((p) => !ports.has(p)) }] } });
    ports.add((explicit.spec as any).ports[0].nodePort);
    await rejects(reg.create(SVC, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'np5' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30000 }] } }), 422, /provided port is already allocated/);
    await rejects(reg.create(SVC, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'np5' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] } }), 422, /not in the valid range/);
    await rejects(reg.create(SVC, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'np5' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } }), 500, /range 30000-30004 is full/);
    // clusterIP is immutable
    await rejects(reg.patch(SVC, 'default', 'web', 'merge', { spec: { clusterIP: '10.43.200.200' } }), 422, /field is immutable/);
    // type change NodePort → ClusterIP releases the port; delete releases too
    const freed = (await reg.get(SVC, 'default', 'np0')).spec as any;
    await reg.patch(SVC, 'default', 'np0', 'merge', { spec: { type: 'ClusterIP' } });
    assert.equal(((await reg.get(SVC, 'default', 'np0')).spec as any).ports[0].nodePort, undefined);
    const reuse = await reg.create(SVC, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'np6' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: freed.ports[0].nodePort }] } });
    assert.equal((reuse.spec as any).ports[0].nodePort, freed.ports[0].nodePort);
    await reg.delete(SVC, 'default', 'np1');
    // reopen: allocations survive the restart
    await reg.close();
    reg = await openRegistry({ dataDir: dir, nodePortRange: [30000, 30004] });
    await rejects(reg.create(SVC, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'dup2' }, spec: { clusterIP: spec.clusterIP, ports: [{ port: 80 }] } }), 422, /already allocated/);
    await rejects(reg.create(SVC, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'dup3' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: freed.ports[0].nodePort }] } }), 422, /already allocated/);
    const last = await reg.create(SVC, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'np7' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } });
    const all = (await reg.list(SVC, 'default')).items.flatMap((x) => ((x.spec as any).ports ?? []).map((p: any) => p.nodePort)).filter((p) => p !== undefined);
    assert.equal(new Set(all).size, all.length, 'no duplicate node ports');
    assert.ok((last.spec as any).ports[0].nodePort >= 30000);
  } finally {
    await reg.close();
  }
});

test('secrets fold stringData; strict field validation; dryRun stores nothing', async (t) => {
  const reg = await fresh(t);
  const s = await reg.create(SECRETS, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { pw: 'hunter2' } } as KubeObject);
  assert.equal(s.type, 'Opaque');
  assert.deepEqual(s.data, { pw: Buffer.from('hunter2').toString('base64') });
  assert.equal(s.stringData, undefined);
  const e = await rejects(reg.create(CM, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, foo: 1 } as KubeObject, { fieldValidation: 'Strict' }), 400);
  assert.equal(e.message, 'strict decoding error: unknown field "foo"');
  await reg.create(CM, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, foo: 1 } as KubeObject, { fieldValidation: 'Ignore' });
  const before = reg.revision();
  const dry = await reg.create(PODS, 'default', pod('dry'), { dryRun: true });
  assert.equal(dry.metadata.name, 'dry');
  assert.equal(reg.revision(), before);
  await rejects(reg.get(PODS, 'default', 'dry'), 404);
  const dryIp = await reg.create(SVC, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'd' }, spec: { clusterIP: '10.43.0.50', ports: [{ port: 1 }] } }, { dryRun: true });
  assert.equal((dryIp.spec as any).clusterIP, '10.43.0.50');
  const real = await reg.create(SVC, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'd' }, spec: { clusterIP: '10.43.0.50', ports: [{ port: 1 }] } });
  assert.equal((real.spec as any).clusterIP, '10.43.0.50', 'a dry run does not keep the IP');
});

test('apply patch creates a missing object and merges onto an existing one', async (t) => {
  const reg = await fresh(t);
  const created = await reg.patch(CM, 'default', 'applied', 'apply', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { a: '1' } }, { fieldManager: 'kubectl' });
  assert.deepEqual(created.data, { a: '1' });
  const merged = await reg.patch(CM, 'default', 'applied', 'apply', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' }, data: { b: '2' } }, { fieldManager: 'kubectl' });
  assert.equal(merged.data && (merged.data as any).b, '2');
  const smp = await reg.patch(DEPLOY, 'default', 'missing', 'strategic', {}).catch((e: KubeError) => e);
  assert.ok(smp instanceof KubeError && smp.code === 404);
});

test('list: selectors, limit/continue as a consistent snapshot, resourceVersion rules, 410', async (t) => {
  const reg = await openRegistry({ dataDir: ':memory:', historySize: 50 });
  t.after(() => reg.close());
  await reg.create(NS, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  await reg.create(NS, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
  for (let i = 0; i < 10; i++) await reg.create(PODS, 'default', pod(`p${i}`, { metadata: { name: `p${i}`, labels: { app: i % 2 ? 'odd' : 'even' } } }));
  await reg.create(PODS, 'other', pod('q'));
  const all = await reg.list(PODS, undefined);
  assert.equal(all.items.length, 11);
  assert.equal(all.kind, 'PodList');
  assert.equal(all.metadata.resourceVersion, String(reg.revision()));
  assert.equal(all.items[0]!.kind, 'Pod');
  assert.equal((await reg.list(PODS, 'default', { labelSelector: 'app=odd' })).items.length, 5);
  assert.equal((await reg.list(PODS, 'default', { labelSelector: 'app in (odd,even),app!=odd' })).items.length, 5);
  assert.deepEqual((await reg.list(PODS, undefined, { fieldSelector: 'metadata.namespace=other' })).items.map((p) => p.metadata.name), ['q']);
  await rejects(reg.list(PODS, 'default', { labelSelector: 'a in (' }), 400);
  const page1 = await reg.list(PODS, 'default', { limit: 4 });
  assert.equal(page1.items.length, 4);
  assert.equal(page1.metadata.remainingItemCount, 6);
  await reg.delete(PODS, 'default', 'p9');
  await reg.create(PODS, 'default', pod('p99'));
  const page2 = await reg.list(PODS, 'default', { limit: 4, continue: page1.metadata.continue! });
  const page3 = await reg.list(PODS, 'default', { limit: 4, continue: page2.metadata.continue! });
  assert.equal(page3.metadata.continue, undefined);
  const names = [...page1.items, ...page2.items, ...page3.items].map((p) => p.metadata.name);
  assert.deepEqual(names, ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9'], 'pages are a snapshot at the first page');
  assert.equal(page3.metadata.resourceVersion, page1.metadata.resourceVersion);
  await rejects(reg.list(PODS, 'default', { continue: 'garbage' }), 400, /continue key is not valid/);
  await rejects(reg.list(PODS, 'default', { resourceVersion: String(reg.revision() + 100) }), 504, /Too large resource version/);
  const exact = await reg.list(PODS, 'default', { resourceVersion: page1.metadata.resourceVersion, resourceVersionMatch: 'Exact' });
  assert.equal(exact.items.length, 10);
  assert.ok(exact.items.some((p) => p.metadata.name === 'p9'));
  for (let i = 0; i < 80; i++) await reg.patch(PODS, 'default', 'p0', 'merge', { metadata: { annotations: { n: String(i) } } });
  await rejects(reg.list(PODS, 'default', { limit: 4, continue: page1.metadata.continue! }), 410, 'Expired');
  await rejects(reg.list(PODS, 'default', { resourceVersion: '2', resourceVersionMatch: 'Exact' }), 410, /too old resource version/);
});

test('bootstrap: namespaces, kubernetes and kube-dns services, endpoints; idempotent and refreshed', async (t) => {
  const reg = await openRegistry({ dataDir: ':memory:' });
  t.after(() => reg.close());
  await bootstrapCluster(reg, { apiServerIp: '127.0.0.1', apiServerPort: 6443 });
  await bootstrapCluster(reg, { apiServerIp: '127.0.0.1', apiServerPort: 7443 });
  const names = (await reg.list(NS, undefined)).items.map((n) => n.metadata.name).sort();
  assert.deepEqual(names, ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  const k = (await reg.get(SVC, 'default', 'kubernetes')).spec as any;
  assert.equal(k.clusterIP, '10.43.0.1');
  assert.deepEqual(k.ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 7443 }]);
  const ep = await reg.get(R('', 'endpoints'), 'default', 'kubernetes');
  assert.deepEqual((ep as any).subsets[0].ports[0].port, 7443);
  const slice = await reg.get(R('discovery.k8s.io', 'endpointslices'), 'default', 'kubernetes');
  assert.deepEqual((slice as any).endpoints[0].addresses, ['127.0.0.1']);
  const dns = await reg.get(SVC, 'kube-system', 'kube-dns');
  assert.equal((dns.spec as any).clusterIP, '10.43.0.10');
  assert.deepEqual((dns.spec as any).ports.map((p: any) => `${p.name}:${p.port}/${p.protocol}`), ['dns:53/UDP', 'dns-tcp:53/TCP']);
  assert.equal(dns.metadata.labels!['kubernetes.io/cluster-service'], 'true');
});

test('deleteCollection honours selectors; eviction is a graceful delete', async (t) => {
  const reg = await fresh(t);
  for (const [name, tier] of [['a', 'web'], ['b', 'web'], ['c', 'db']]) {
    await reg.create(CM, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: name!, labels: { tier: tier! } } });
  }
  const deleted = await reg.deleteCollection(CM, 'default', { labelSelector: 'tier=web' });
  assert.deepEqual(deleted.items.map((i) => i.metadata.name), ['a', 'b']);
  assert.deepEqual((await reg.list(CM, 'default')).items.map((i) => i.metadata.name), ['c']);
  await reg.create(PODS, 'default', pod('ev', { spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] } }));
  const st = await reg.create(PODS, 'default', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'ev' } } as KubeObject, { subresource: 'eviction' });
  assert.equal((st as any).status, 'Success');
  assert.ok((await reg.get(PODS, 'default', 'ev')).metadata.deletionTimestamp);
});
