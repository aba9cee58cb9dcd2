import { kubeTime, type KubeObject } from '../types.js';
import { EventRecorder } from './events.js';
import { objectKey, splitKey } from './informer.js';
import { claim, condition, conditions, controllerRef, deleteIfExists, jsonEqual, num, R, setCondition, spec, status, updateWithRetry, type Condition, type Controller, type ControllerContext, type Json } from './objects.js';
import { PodControl } from './podcontrol.js';
import { Expectations, isPodActive, isPodReady, podPhase } from './pods.js';
import { WorkQueue } from './queue.js';

const UID_LABEL = 'batch.kubernetes.io/controller-uid';
const NAME_LABEL = 'batch.kubernetes.io/job-name';
/** Upstream's pod-failure back-off: 10 s, doubling, at most 6 minutes. */
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 360_000;

/**
 * Job controller (NonIndexed completion mode): keeps min(parallelism, completions − succeeded)
 * pods running, counts Succeeded/Failed pods, recreates failed ones after the upstream back-off
 * (10 s · 2^(failures−1)), and finishes with SuccessCriteriaMet + Complete (CompletionsReached)
 * or FailureTarget + Failed (BackoffLimitExceeded / DeadlineExceeded), deleting pods still
 * running. `suspend` deletes active pods; `ttlSecondsAfterFinished` deletes the finished Job.
 *
 * NOTE: counts come from the pods present (never going below what status already says) instead
 * of upstream's `batch.kubernetes.io/job-tracking` finalizers, so a finished pod deleted before
 * the controller saw it is not counted.
 */
export function jobController(ctx: ControllerContext): Controller {
  const jobInf = ctx.informers.for(R.jobs);
  const podInf = ctx.informers.for(R.pods);
  const recorder = new EventRecorder(ctx.api, 'job-controller', ctx.log);
  const expectations = new Expectations();
  const podControl = new PodControl(ctx.api, recorder, expectations);
  const queue = new WorkQueue('job', sync, ctx.log);
  const lastFailure = new Map<string, number>();

  jobInf.addHandler((_t, job) => queue.add(objectKey(job)));
  podInf.addHandler((type, pod, old) => {
    const ref = controllerRef(pod);
    if (ref?.kind !== 'Job') return;
    const key = `${pod.metadata.namespace}/${ref.name}`;
    if (type === 'ADDED') expectations.observedAdd(key);
    if (type === 'DELETED' || (pod.metadata.deletionTimestamp && !old?.metadata.deletionTimestamp)) expectations.observedDelete(key, pod.metadata.uid!);
    if (podPhase(pod) === 'Failed' && (!old || podPhase(old) !== 'Failed')) lastFailure.set(key, Date.now());
    queue.add(key);
  });

  function selectorOf(job: KubeObject): Json {
    return (spec(job).selector as Json | undefined) ?? { matchLabels: { [UID_LABEL]: job.metadata.uid! } };
  }

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const job = jobInf.get(namespace, name);
    if (!job) {
      expectations.forget(key);
      lastFailure.delete(key);
      return;
    }
    const s = spec(job);
    const st = status(job);
    const pods = await claim(ctx.api, R.pods, job, selectorOf(job), podInf.list(namespace));
    const finished = conditions(job).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    if (finished) return ttl(job, finished);

    const active = pods.filter(isPodActive);
    const succeeded = Math.max(num(st.succeeded, 0), pods.filter((p) => podPhase(p) === 'Succeeded').length);
    const failedPods = pods.filter((p) => podPhase(p) === 'Failed').length;
    const restarts = s.template && ((s.template as Json).spec as Json | undefined)?.restartPolicy === 'OnFailure' ? countRestarts(active) : 0;
    const failed = Math.max(num(st.failed, 0), failedPods);
    const completions = typeof s.completions === 'number' ? s.completions : undefined;
    const parallelism = num(s.parallelism, 1);
    const backoffLimit = num(s.backoffLimit, 6);
    const now = Date.now();
    const startTime = typeof st.startTime === 'string' ? st.startTime : kubeTime(now);
    const deadline = typeof s.activeDeadlineSeconds === 'number' ? Date.parse(startTime) + s.activeDeadlineSeconds * 1000 : undefined;

    let conds = conditions(job);
    let outcome: { type: 'Complete' | 'Failed'; reason: string; message: string } | undefined;
    if (completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0) {
      outcome = { type: 'Complete', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };
    } else if (failed + restarts > backoffLimit) {
      outcome = { type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
    } else if (deadline !== undefined && now >= deadline && !s.suspend) {
      outcome = { type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
    }

    if (outcome) {
      const stamp = kubeTime(now);
      const interim = outcome.type === 'Complete' ? 'SuccessCriteriaMet' : 'FailureTarget';
      if (condition(job, interim)?.status !== 'True') conds = setCondition(conds, { type: interim, status: 'True', reason: outcome.reason, message: outcome.message, lastProbeTime: stamp, lastTransitionTime: stamp });
      if (active.length > 0 && expectations.satisfied(key)) await podControl.delete(key, job, active);
      if (active.length === 0) {
        conds = setCondition(conds, { type: outcome.type, status: 'True', reason: outcome.reason, message: outcome.message, lastProbeTime: stamp, lastTransitionTime: stamp });
        if (outcome.type === 'Complete') recorder.normal(job, 'Completed', 'Job completed');
        else recorder.warning(job, outcome.reason, outcome.message);
      }
    } else if (s.suspend) {
      if (active.length > 0 && expectations.satisfied(key)) await podControl.delete(key, job, active);
      if (condition(job, 'Suspended')?.status !== 'True') recorder.normal(job, 'Suspended', 'Job suspended');
      if (condition(job, 'Suspended')?.status !== 'True') conds = setCondition(conds, { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended', lastProbeTime: kubeTime(now), lastTransitionTime: kubeTime(now) });
    } else {
      if (condition(job, 'Suspended')?.status === 'True') {
        conds = setCondition(conds, { type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed', lastProbeTime: kubeTime(now), lastTransitionTime: kubeTime(now) });
        recorder.normal(job, 'Resumed', 'Job resumed');
      }
      const want = completions !== undefined ? Math.min(parallelism, completions - succeeded) : succeeded > 0 ? 0 : parallelism;
      if (expectations.satisfied(key)) {
        if (active.length < want) {
          const wait = failed > 0 ? (lastFailure.get(key) ?? 0) + Math.min(BACKOFF_BASE_MS * 2 ** (failed - 1), BACKOFF_MAX_MS) - now : 0;
          if (wait > 0) queue.addAfter(key, wait);
          else await podControl.create(key, job, Array.from({ length: want - active.length }, () => podFor(job)));
        } else if (active.length > want) {
          await podControl.delete(key, job, active.slice(want));
        }
      }
      if (deadline !== undefined) queue.addAfter(key, deadline - now + 10);
    }

    const next: Json = { ...st, startTime: s.suspend && !st.startTime ? undefined : startTime, active: active.length, ready: active.filter(isPodReady).length, succeeded, failed, terminating: pods.filter((p) => p.metadata.deletionTimestamp).length };
    if (next.startTime === undefined) delete next.startTime;
    for (const k of ['active', 'succeeded', 'failed']) if (next[k] === 0) delete next[k];
    if (conds.some((c) => c.type === 'Complete' && c.status === 'True')) next.completionTime = kubeTime(now);
    next.conditions = conds;
    if (conds.length === 0) delete next.conditions;
    if (!jsonEqual(next, st)) {
      const written = await updateWithRetry(ctx.api, R.jobs, namespace, name, (cur) => (cur.metadata.uid === job.metadata.uid ? { ...cur, status: next } : undefined), 'status');
      const done = (next.conditions as Condition[] | undefined)?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
      if (done && written) ttl(written, done);
    }
  }

  function podFor(job: KubeObject): KubeObject {
    return podControl.podFromTemplate(job, (spec(job).template as Json) ?? {}, (pod) => {
      pod.metadata.labels = { ...pod.metadata.labels, [UID_LABEL]: job.metadata.uid!, [NAME_LABEL]: job.metadata.name!, 'controller-uid': job.metadata.uid!, 'job-name': job.metadata.name! };
    });
  }

  function ttl(job: KubeObject, finished: Condition): void {
    const t = spec(job).ttlSecondsAfterFinished;
    if (typeof t !== 'number') return;
    const at = (Date.parse(finished.lastTransitionTime ?? '') || Date.now()) + t * 1000;
    const left = at - Date.now();
    if (left > 0) return queue.addAfter(objectKey(job), left + 10);
    void deleteIfExists(ctx.api, R.jobs, job.metadata.namespace, job.metadata.name!, { propagationPolicy: 'Background', preconditions: { uid: job.metadata.uid! } }).catch((err: Error) =>
      ctx.log(`job ttl ${job.metadata.name}: ${err.message}`),
    );
  }

  return {
    name: 'job',
    queues: [queue],
    start() {
      for (const j of jobInf.list()) queue.add(objectKey(j));
    },
    stop() {
      queue.stop();
    },
  };
}

function countRestarts(pods: KubeObject[]): number {
  return pods.reduce((s, p) => s + ((status(p).containerStatuses as { restartCount?: number }[] | undefined) ?? []).reduce((a, c) => a + (c.restartCount ?? 0), 0), 0);
}
