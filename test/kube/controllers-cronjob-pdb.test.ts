import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeApi } from '../../src/kube/api.js';
import { FakeClock } from '../../src/kube/controllers/clock.js';
import { R } from '../../src/kube/controllers/objects.js';
import { eventually, runPod } from '../../src/kube/controllers/testing.js';
import { KubeError } from '../../src/kube/errors.js';
import type { KubeObject } from '../../src/kube/types.js';
import { controllerCluster } from '../support/kube-controllers.js';

type Json = Record<string, any>;
const MINUTE = 60_000;

function cronJob(name: string, extra: Json = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name },
    spec: {
      schedule: '*/5 * * * *',
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...extra,
    },
  };
}

const jobNames = async (api: KubeApi, prefix: string) =>
  (await api.list(R.jobs, 'default')).items
    .filter((j) => j.metadata.name!.startsWith(prefix) && !j.metadata.deletionTimestamp)
    .map((j) => j.metadata.name!)
    .sort();

/** Finishes a Job as the Job controller would (call when controllers are idle, or it may overwrite this). */
async function finishJob(api: KubeApi, name: string, type: 'Complete' | 'Failed'): Promise<void> {
  const job = await api.get(R.jobs, 'default', name);
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const conditions = [{ type, status: 'True', lastTransitionTime: now }];
  await api.update(R.jobs, 'default', name, { ...job, status: { ...(job.status as Json), conditions, startTime: now, ...(type === 'Complete' ? { completionTime: now } : {}) } }, { subresource: 'status' });
}

test('CronJob: runs at each scheduled time, Forbid skips while active, Replace replaces, history limits, deadlines, suspend', async (t) => {
  // The clock stands at the real present (the CronJobs' creation time); it then jumps from one
  // */5 time to the next.
  const clock = new FakeClock(Date.now());
  const { api, idle } = await controllerCluster(t, { kubelet: false, controllers: { clock } });
  await api.create(R.cronjobs, 'default', cronJob('forbid', { concurrencyPolicy: 'Forbid', timeZone: 'UTC' }));
  await api.create(R.cronjobs, 'default', cronJob('replace', { concurrencyPolicy: 'Replace', timeZone: 'UTC', successfulJobsHistoryLimit: 1 }));
  await idle();
  assert.deepEqual(await jobNames(api, 'forbid-'), [], 'nothing before the first scheduled time');

  clock.advance(Math.ceil((clock.now() + 1000) / (5 * MINUTE)) * 5 * MINUTE - clock.now());
  const first = Math.floor(clock.now() / MINUTE);
  await eventually(async () => (await jobNames(api, 'forbid-')).join() === `forbid-${first}`, 5000, 'first forbid run');
  await eventually(async () => (await jobNames(api, 'replace-')).join() === `replace-${first}`, 5000, 'first replace run');
  const cj = await eventually(async () => {
    const c = await api.get(R.cronjobs, 'default', 'forbid');
    return ((c.status as Json).active ?? []).length === 1 ? c : undefined;
  }, 5000, 'active');
  assert.equal((cj.status as Json).lastScheduleTime, new Date(first * MINUTE).toISOString().replace('.000Z', 'Z'));
  assert.equal((cj.status as Json).active[0].name, `forbid-${first}`);
  const job = await api.get(R.jobs, 'default', `forbid-${first}`);
  assert.equal(job.metadata.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp'], new Date(first * MINUTE).toISOString().replace('.000Z', 'Z'));

  clock.advance(5 * MINUTE); // the first runs are still active
  const second = Math.floor(clock.now() / MINUTE);
  await eventually(async () => (await jobNames(api, 'replace-')).join() === `replace-${second}`, 5000, 'replace deleted the active run and started a new one');
  await idle();
  assert.deepEqual(await jobNames(api, 'forbid-'), [`forbid-${first}`], 'Forbid: no second run while one is active');

  // A finished run leaves `active` and sets lastSuccessfulTime; the run Forbid skipped then
  // starts late (no startingDeadlineSeconds), under its scheduled minute's name.
  await idle();
  await finishJob(api, `forbid-${first}`, 'Complete');
  const late = await eventually(async () => {
    const c = (await api.get(R.cronjobs, 'default', 'forbid')).status as Json;
    return c.active?.length === 1 && c.active[0].name === `forbid-${second}` ? c : undefined;
  }, 5000, 'the skipped run starts');
  assert.ok(late.lastSuccessfulTime);
  // Replace with successfulJobsHistoryLimit 1: of two successful runs only the newer stays.
  await idle();
  await finishJob(api, `replace-${second}`, 'Complete');
  await finishJob(api, `forbid-${second}`, 'Failed');
  clock.advance(5 * MINUTE);
  const third = Math.floor(clock.now() / MINUTE);
  await eventually(async () => (await jobNames(api, 'replace-')).join() === `replace-${second},replace-${third}`, 5000, 'replace run 3');
  await idle();
  await finishJob(api, `replace-${third}`, 'Complete');
  await eventually(async () => (await jobNames(api, 'replace-')).join() === `replace-${third}`, 5000, 'old success deleted (limit 1)');
  await eventually(async () => (await jobNames(api, 'forbid-')).includes(`forbid-${third}`), 5000, 'forbid run 3');

  // startingDeadlineSeconds: a run missed by more than the deadline is skipped.
  await idle();
  await finishJob(api, `forbid-${third}`, 'Complete');
  await api.patch(R.cronjobs, 'default', 'forbid', 'merge', { spec: { suspend: true, startingDeadlineSeconds: 30 } });
  await idle();
  clock.advance(5 * MINUTE + 45_000);
  await idle();
  await api.patch(R.cronjobs, 'default', 'forbid', 'merge', { spec: { suspend: false } });
  await idle();
  assert.ok(!(await jobNames(api, 'forbid-')).includes(`forbid-${third + 5}`), 'too late to start');
  // One failed run (failedJobsHistoryLimit 1) and two successes (limit 3) are kept.
  assert.deepEqual(await jobNames(api, 'forbid-'), [`forbid-${first}`, `forbid-${second}`, `forbid-${third}`].sort());
  const events = (await api.list(R.events, 'default', { fieldSelector: 'involvedObject.name=forbid' })).items;
  assert.ok(events.some((e) => e.reason === 'SuccessfulCreate' && e.message === `Created job forbid-${first}`));
  assert.ok(events.some((e) => e.reason === 'SawCompletedJob' && e.message === `Saw completed job: forbid-${first}, condition: Complete`));
});

test('CronJob validation: schedule, time zone, policy, name length; defaults', async (t) => {
  const { api } = await controllerCluster(t, { kubelet: false, nodes: 0 });
  const invalid = async (body: KubeObject) => {
    try {
      await api.create(R.cronjobs, 'default', body);
    } catch (err) {
      assert.ok(err instanceof KubeError && err.code === 422, String(err));
      return err.message;
    }
    assert.fail('accepted');
  };
  assert.equal(await invalid(cronJob('a', { schedule: 'TZ=UTC 0 * * * *' })), 'CronJob "a" is invalid: spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  assert.equal(await invalid(cronJob('a', { schedule: '* * *' })), 'CronJob "a" is invalid: spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]');
  assert.equal(await invalid(cronJob('a', { timeZone: 'Local' })), 'CronJob "a" is invalid: spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones');
  assert.equal(await invalid(cronJob('a', { concurrencyPolicy: 'Sometimes' })), 'CronJob "a" is invalid: spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"');
  assert.match(await invalid(cronJob('x'.repeat(53))), /metadata\.name: Invalid value: "x+": must be no more than 52 characters/);
  const ok = await api.create(R.cronjobs, 'default', cronJob('ok', { schedule: '@hourly', timeZone: 'Europe/Paris' }));
  const s = ok.spec as Json;
  assert.deepEqual([s.concurrencyPolicy, s.suspend, s.successfulJobsHistoryLimit, s.failedJobsHistoryLimit], ['Allow', false, 3, 1]);
  assert.equal(s.jobTemplate.spec.template.spec.terminationGracePeriodSeconds, 30);
  assert.deepEqual(ok.status, {});
});

test('PodDisruptionBudget: status from minAvailable/maxUnavailable, eviction decrements or answers 429', async (t) => {
  const { api, idle } = await controllerCluster(t);
  await api.create(R.deployments, 'default', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  });
  await api.create(R.poddisruptionbudgets, 'default', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { maxUnavailable: '34%', selector: { matchLabels: { app: 'web' } } } });
  const pdbStatus = async () => (await api.get(R.poddisruptionbudgets, 'default', 'web')).status as Json;
  const st = await eventually(async () => {
    const s = await pdbStatus();
    return s.currentHealthy === 3 && s.observedGeneration === 1 ? s : undefined;
  }, 5000, 'pdb healthy');
  // 34% of 3 rounds up to 2 unavailable: 1 desired healthy, 2 disruptions.
  assert.deepEqual([st.expectedPods, st.desiredHealthy, st.disruptionsAllowed], [3, 1, 2]);
  assert.equal(st.conditions[0].type, 'DisruptionAllowed');
  assert.equal(st.conditions[0].status, 'True');
  assert.equal(st.conditions[0].reason, 'SufficientPods');

  // Make pods unready so only one is healthy: no disruption allowed, eviction of a ready pod → 429.
  const pods = (await api.list(R.pods, 'default', { labelSelector: 'app=web' })).items;
  await runPod(api, pods[0]!, false);
  await runPod(api, pods[1]!, false);
  await eventually(async () => (await pdbStatus()).disruptionsAllowed === 0, 5000, 'no disruption allowed');
  const evict = (pod: KubeObject) => api.create(R.pods, 'default', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod.metadata.name } }, { subresource: 'eviction' });
  await assert.rejects(evict(pods[2]!), (err: KubeError) => {
    assert.equal(err.code, 429);
    assert.deepEqual(err.toStatus(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      reason: 'TooManyRequests',
      code: 429,
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 1 healthy pods and has 1 currently' }] },
    });
    return true;
  });
  // An unready pod may go while the budget has its desired healthy pods (IfHealthyBudget).
  await evict(pods[0]!);
  await idle();

  // A spec change is observed (generation 2) before evictions use the budget again.
  await runPod(api, pods[1]!, true);
  await api.patch(R.poddisruptionbudgets, 'default', 'web', 'merge', { spec: { maxUnavailable: null, minAvailable: 1 } });
  const allowed = await eventually(async () => {
    const s = await pdbStatus();
    return s.observedGeneration === 2 && s.disruptionsAllowed > 0 ? s : undefined;
  }, 5000, 'observed gen 2');
  assert.equal(allowed.desiredHealthy, 1);
  // Allowed: the budget is decremented and the pod recorded until the controller sees it go.
  await evict(pods[1]!);
  const after = (await api.get(R.poddisruptionbudgets, 'default', 'web')).status as Json;
  assert.equal(after.disruptionsAllowed, allowed.disruptionsAllowed - 1, JSON.stringify(after));
  assert.ok(after.disruptedPods?.[pods[1]!.metadata.name!] || after.disruptedPods === undefined, JSON.stringify(after));
  await eventually(async () => (await pdbStatus()).disruptedPods === undefined, 5000, 'disruptedPods cleared once the pod is gone');

  // Two budgets over the same pods: eviction is unsupported (500), as upstream.
  await api.create(R.poddisruptionbudgets, 'default', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web2' }, spec: { minAvailable: 0, selector: {} } });
  await assert.rejects(evict(pods[2]!), (err: KubeError) => err.code === 500 && /more than one PodDisruptionBudget/.test(err.message));

  // Pods without a scalable controller fail a percentage budget's sync.
  await api.create(R.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'lone', labels: { lone: 'yes' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
  await api.create(R.poddisruptionbudgets, 'default', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'lone' }, spec: { minAvailable: '50%', selector: { matchLabels: { lone: 'yes' } } } });
  const failed = await eventually(async () => {
    const s = (await api.get(R.poddisruptionbudgets, 'default', 'lone')).status as Json;
    return s.conditions?.[0]?.reason === 'SyncFailed' ? s : undefined;
  }, 5000, 'SyncFailed');
  assert.equal(failed.conditions[0].message, 'found no controllers for pod "lone"');
  assert.equal(failed.disruptionsAllowed, 0);

  // Validation.
  await assert.rejects(
    api.create(R.poddisruptionbudgets, 'default', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'bad' }, spec: { minAvailable: '120%', maxUnavailable: 1 } }),
    (err: KubeError) => err.code === 422 && /minAvailable and maxUnavailable cannot be both set/.test(err.message) && /spec\.minAvailable: Invalid value: "120%": must not be greater than 100%/.test(err.message),
  );
});
