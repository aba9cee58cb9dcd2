import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../src/kube/controllers/clock.js';
import { R } from '../../src/kube/controllers/objects.js';
import { eventually, startTestKube, type TestKube } from '../support/kube.js';
import { requireTools } from '../support/proc.js';

// StatefulSets, CronJobs and PodDisruptionBudgets driven by the real kubectl against an
// in-process cluster on the fake runtime. The CronJob controller runs on a fake clock that the
// test moves forward, instead of waiting for minutes to pass.

const KUBECTL = [{ cmd: 'kubectl', debPackage: 'kubectl (google-cloud-cli)' }];
type Json = Record<string, any>;

const STS = (image: string) => `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: ${image}
`;

async function json(k: TestKube, args: string[]): Promise<Json> {
  return JSON.parse(await k.ok([...args, '-o', 'json'])) as Json;
}

const readySince = (p: Json) => Date.parse((p.status.conditions as Json[]).find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime ?? '');

test('kubectl: StatefulSet, CronJob and PodDisruptionBudget flows', { timeout: 180_000 }, async (t) => {
  if (!requireTools(t, KUBECTL)) return;
  const clock = new FakeClock(Date.now());
  const k = await startTestKube(t, { nodes: 2, controllers: { clock } });
  const api = k.cluster.api;

  await t.test('StatefulSet: ordered start, rollout status, rolling update from the top, scale down from the top, history and undo', async (st) => {
    const file = k.manifest('sts.yaml', STS('nginx:1.25'));
    await k.ok(['apply', '-f', file]);
    const status = await k.ok(['rollout', 'status', 'statefulset/web', '--timeout=60s']);
    // The defaulted `rollingUpdate.partition: 0` makes kubectl report a partitioned roll out.
    assert.match(status, /partitioned roll out complete: 3 new pods have been updated\.\.\.\n$/);
    const pods = (await json(k, ['get', 'pods', '-l', 'app=web'])).items as Json[];
    const byName = new Map(pods.map((p) => [p.metadata.name as string, p]));
    assert.deepEqual([...byName.keys()].sort(), ['web-0', 'web-1', 'web-2']);
    // OrderedReady: each member was created only after the one before it was Ready.
    for (const [prev, next] of [['web-0', 'web-1'], ['web-1', 'web-2']] as const) {
      const ready = readySince(byName.get(prev)!);
      const created = Date.parse(byName.get(next)!.metadata.creationTimestamp);
      assert.ok(created >= Math.floor(ready / 1000) * 1000, `${next} created at ${created}, before ${prev} was ready at ${ready}`);
    }
    const web1 = byName.get('web-1')!;
    assert.equal(web1.spec.hostname, 'web-1');
    assert.equal(web1.spec.subdomain, 'web');
    assert.equal(web1.metadata.labels['statefulset.kubernetes.io/pod-name'], 'web-1');
    assert.equal(web1.metadata.labels['apps.kubernetes.io/pod-index'], '1');
    // The headless service's endpoints carry the hostnames cluster DNS answers for (web-0.web.default.svc).
    await eventually(async () => {
      const slices = (await json(k, ['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web'])).items as Json[];
      const hosts = slices.flatMap((s) => (s.endpoints ?? []).map((e: Json) => e.hostname)).sort();
      return hosts.join() === 'web-0,web-1,web-2';
    }, 10_000, 'endpoint hostnames');
    const table = await k.ok(['get', 'statefulset', 'web']);
    assert.match(table, /^NAME\s+READY\s+AGE\n/);
    assert.match(table, /\nweb\s+3\/3\s+\d+s\n/);
    const wide = await k.ok(['get', 'sts', 'web', '-o', 'wide']);
    assert.match(wide, /^NAME\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\n/);
    assert.match(wide, /web\s+3\/3\s+\S+\s+nginx\s+nginx:1\.25/);

    // Image update: members are replaced from the highest ordinal down.
    const deleted: string[] = [];
    const w = await api.watch(R.pods, 'default', { labelSelector: 'app=web' }, (ev) => {
      if (ev.type === 'DELETED') deleted.push(ev.object.metadata.name!);
    });
    st.after(() => w.stop());
    await k.ok(['set', 'image', 'statefulset/web', 'nginx=nginx:1.26']);
    const rolled = await k.ok(['rollout', 'status', 'statefulset/web', '--timeout=60s']);
    assert.match(rolled, /partitioned roll out complete: 3 new pods have been updated/);
    assert.deepEqual(deleted, ['web-2', 'web-1', 'web-0']);
    const images = (await json(k, ['get', 'pods', '-l', 'app=web'])).items.map((p: Json) => p.spec.containers[0].image);
    assert.deepEqual(images, ['nginx:1.26', 'nginx:1.26', 'nginx:1.26']);

    const history = await k.ok(['rollout', 'history', 'statefulset/web']);
    assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    await k.ok(['rollout', 'undo', 'statefulset/web']);
    await k.ok(['rollout', 'status', 'statefulset/web', '--timeout=60s']);
    const back = await json(k, ['get', 'sts', 'web']);
    assert.equal(back.spec.template.spec.containers[0].image, 'nginx:1.25');
    assert.match(await k.ok(['rollout', 'history', 'statefulset/web']), /\n2\s+<none>\n3\s+<none>/);

    // Scale down: web-2 goes first, then web-1.
    deleted.length = 0;
    await k.ok(['scale', 'sts', 'web', '--replicas=1']);
    await eventually(async () => (await api.list(R.pods, 'default', { labelSelector: 'app=web' })).items.length === 1, 15_000, 'scaled to 1');
    assert.deepEqual(deleted, ['web-2', 'web-1']);
    await eventually(async () => (await k.ok(['get', 'sts', 'web', '--no-headers'])).startsWith('web   1/1'), 10_000, 'READY 1/1');
    await k.ok(['delete', '-f', file, '--wait=true']);
  });

  await t.test('CronJob: validation, table, a run at the scheduled minute, suspend, job --from=cronjob', async () => {
    const bad = await k.kubectl(['create', 'cronjob', 'bad', '--image=busybox:1.36', '--schedule=61 * * * *']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /CronJob(\.batch)? "bad" is invalid: spec\.schedule: Invalid value: "61 \* \* \* \*": end of range \(61\) above maximum \(59\): 61/);
    const tz = await k.kubectl(['create', '-f', '-'], {
      stdin: JSON.stringify({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'tz' }, spec: { schedule: '@daily', timeZone: 'Mars/Olympus', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36' }] } } } } } }),
    });
    assert.match(tz.stderr, /spec\.timeZone: Invalid value: "Mars\/Olympus": unknown time zone Mars\/Olympus/);

    await k.ok(['create', 'cronjob', 'tick', '--image=busybox:1.36', '--schedule=*/1 * * * *', '--', 'echo', 'tick']);
    const table = await k.ok(['get', 'cj']);
    assert.match(table, /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\n/);
    assert.match(table, /\ntick\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\d+s\n/);
    const created = Date.parse((await json(k, ['get', 'cronjob', 'tick'])).metadata.creationTimestamp);

    clock.advance(Math.max(0, created - clock.now()) + 2 * 60_000);
    const expectedRun = Math.floor(clock.now() / 60_000);
    const jobName = `tick-${expectedRun}`;
    const job = await eventually(async () => (await api.list(R.jobs, 'default')).items.find((j) => j.metadata.name === jobName), 10_000, `job ${jobName}`);
    assert.equal(job.metadata.ownerReferences?.[0]?.kind, 'CronJob');
    assert.match(job.metadata.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp']!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:00(Z|[+-]\d\d:\d\d)$/);
    const cj = await eventually(async () => {
      const c = await json(k, ['get', 'cronjob', 'tick']);
      return c.status?.lastSuccessfulTime ? c : undefined;
    }, 15_000, 'the job completes (lastSuccessfulTime)');
    assert.equal(cj.status.lastScheduleTime, new Date(expectedRun * 60_000).toISOString().replace('.000Z', 'Z'));
    assert.equal(cj.status.active, undefined);
    assert.match(await k.ok(['logs', `job/${jobName}`]), /\ntick\n$/);

    // Suspended: time passes, nothing runs.
    await k.ok(['patch', 'cronjob', 'tick', '-p', '{"spec":{"suspend":true}}']);
    await eventually(async () => (await k.ok(['get', 'cj', 'tick', '--no-headers'])).includes(' True '), 5000, 'SUSPEND True');
    clock.advance(3 * 60_000);
    await k.cluster.controllersIdle();
    assert.deepEqual((await api.list(R.jobs, 'default')).items.filter((j) => j.metadata.name!.startsWith('tick-')).map((j) => j.metadata.name), [jobName]);

    await k.ok(['create', 'job', 'by-hand', '--from=cronjob/tick']);
    const manual = await json(k, ['get', 'job', 'by-hand']);
    assert.equal(manual.metadata.annotations['cronjob.kubernetes.io/instantiate'], 'manual');
    assert.equal(manual.metadata.ownerReferences[0].name, 'tick');
    assert.deepEqual(manual.spec.template.spec.containers[0].command, ['echo', 'tick']);
    await k.ok(['delete', 'cronjob', 'tick']);
  });

  await t.test('PodDisruptionBudget: drain is refused with 429 while no disruption is allowed, and goes through after scaling', async () => {
    await k.ok(['create', 'deployment', 'guarded', '--image=nginx:1.25', '--replicas=1']);
    await k.ok(['rollout', 'status', 'deployment/guarded', '--timeout=60s']);
    await k.ok(['create', 'pdb', 'guarded', '--selector=app=guarded', '--min-available=1']);
    await eventually(async () => {
      const p = await json(k, ['get', 'pdb', 'guarded']);
      return p.status?.observedGeneration === 1 && p.status.currentHealthy === 1 ? p : undefined;
    }, 10_000, 'pdb status');
    const table = await k.ok(['get', 'pdb']);
    assert.match(table, /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\n/);
    assert.match(table, /\nguarded\s+1\s+N\/A\s+0\s+\d+s\n/);
    const pdb = await json(k, ['get', 'pdb', 'guarded']);
    assert.deepEqual(
      { ...pdb.status, conditions: undefined },
      { currentHealthy: 1, desiredHealthy: 1, disruptionsAllowed: 0, expectedPods: 1, observedGeneration: 1, conditions: undefined },
    );
    assert.equal(pdb.status.conditions[0].reason, 'InsufficientPods');

    const pod = ((await json(k, ['get', 'pods', '-l', 'app=guarded'])).items as Json[])[0]!;
    const node = pod.spec.nodeName as string;
    // The eviction subresource itself answers 429 TooManyRequests.
    const evictFile = k.manifest('evict.json', JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod.metadata.name, namespace: 'default' } }));
    const raw = await k.kubectl(['create', '--raw', `/api/v1/namespaces/default/pods/${pod.metadata.name}/eviction`, '-f', evictFile]);
    assert.notEqual(raw.code, 0);
    assert.match(raw.stderr, /Error from server \(TooManyRequests\): Cannot evict pod as it would violate the pod's disruption budget\./);
    const refused = await k.kubectl(['drain', node, '--ignore-daemonsets', '--timeout=2s']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout + refused.stderr, /Cannot evict pod as it would violate the pod's disruption budget\./);
    assert.equal((await api.get(R.pods, 'default', pod.metadata.name)).metadata.deletionTimestamp, undefined);

    // Three replicas (the new ones land on the other node: this one is cordoned) allow two disruptions.
    await k.ok(['scale', 'deployment', 'guarded', '--replicas=3']);
    await eventually(async () => (await json(k, ['get', 'pdb', 'guarded'])).status.disruptionsAllowed === 2, 15_000, 'two disruptions allowed');
    const drained = await k.ok(['drain', node, '--ignore-daemonsets', '--timeout=60s']);
    assert.match(drained, new RegExp(`pod/${pod.metadata.name} evicted`));
    assert.match(drained, new RegExp(`node/${node} drained`));
    await eventually(async () => (await json(k, ['get', 'pdb', 'guarded'])).status.currentHealthy === 3, 15_000, 'back to 3 healthy');
    await k.ok(['uncordon', node]);
  });
});
