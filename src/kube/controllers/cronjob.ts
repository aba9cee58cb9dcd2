import { kubeTime, type KubeObject } from '../types.js';
import { systemClock, type Clock } from './clock.js';
import { mostRecent, nextAfter, parseSchedule, validTimeZone, wallClock, type CronSchedule } from '../../core/cron.js';
import { EventRecorder } from './events.js';
import { objectKey, splitKey } from './informer.js';
import { conditions, controllerRef, deleteIfExists, isConflict, jsonEqual, num, ownerRefTo, R, spec, status, updateWithRetry, type Controller, type ControllerContext, type Json } from './objects.js';
import { WorkQueue } from './queue.js';

export const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Upstream gives up counting after this many missed start times and says so in an event. */
const TOO_MANY_MISSED = 100;

/**
 * CronJob controller: at each scheduled time (in `spec.timeZone`, or the local zone) it creates
 * the Job `<cronjob>-<minutes since the epoch>` from `jobTemplate`, owned by the CronJob.
 *
 * - Missed times: only the most recent one since `lastScheduleTime` (or creation) runs, and
 *   not when it is older than `startingDeadlineSeconds` (event MissSchedule).
 * - `concurrencyPolicy`: Allow runs alongside active Jobs; Forbid skips the run while one is
 *   active; Replace deletes the active Jobs first.
 * - `suspend` stops new runs (active Jobs go on).
 * - Status: `active` (references to unfinished Jobs it created), `lastScheduleTime`,
 *   `lastSuccessfulTime`; finished Jobs beyond `successfulJobsHistoryLimit` /
 *   `failedJobsHistoryLimit` are deleted, oldest first.
 *
 * The clock is injectable: a fake clock's jumps make every CronJob be looked at again.
 */
export function cronJobController(ctx: ControllerContext, clock: Clock = systemClock): Controller {
  const cjInf = ctx.informers.for(R.cronjobs);
  const jobInf = ctx.informers.for(R.jobs);
  const recorder = new EventRecorder(ctx.api, 'cronjob-controller', ctx.log);
  const queue = new WorkQueue('cronjob', sync, ctx.log);
  const all = () => cjInf.list().forEach((cj) => queue.add(objectKey(cj)));

  cjInf.addHandler((_t, cj) => queue.add(objectKey(cj)));
  jobInf.addHandler((_t, job) => {
    const ref = controllerRef(job);
    if (ref?.kind === 'CronJob') queue.add(`${job.metadata.namespace}/${ref.name}`);
  });
  clock.onJump?.(all);

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const cj = cjInf.get(namespace, name);
    if (!cj) return;
    const s = spec(cj);
    const now = clock.now();
    const jobs = jobInf.list(namespace).filter((j) => controllerRef(j)?.uid === cj.metadata.uid);
    const st: Json = structuredClone(status(cj));
    let active = ((st.active as Json[] | undefined) ?? []).filter((a) => a && typeof a === 'object');

    // What happened to the Jobs since the last look.
    for (const job of jobs) {
      const listed = active.some((a) => a.uid === job.metadata.uid);
      const finished = finishedType(job);
      if (listed && finished) {
        active = active.filter((a) => a.uid !== job.metadata.uid);
        recorder.normal(cj, 'SawCompletedJob', `Saw completed job: ${job.metadata.name}, condition: ${finished}`);
      }
      const done = (job.status as Json | undefined)?.completionTime;
      if (finished === 'Complete' && typeof done === 'string' && (typeof st.lastSuccessfulTime !== 'string' || Date.parse(done) > Date.parse(st.lastSuccessfulTime))) st.lastSuccessfulTime = done;
    }
    for (const a of active) {
      if (!jobs.some((j) => j.metadata.uid === a.uid)) recorder.normal(cj, 'MissingJob', `Active job went missing: ${String(a.name)}`);
    }
    active = active.filter((a) => jobs.some((j) => j.metadata.uid === a.uid));

    if (!cj.metadata.deletionTimestamp) {
      const created = await schedule(cj, s, st, active, now);
      if (created) active = created;
      await cleanup(cj, s, jobs);
    }
    st.active = active;
    if (active.length === 0) delete st.active;
    if (jsonEqual(st, status(cj))) return;
    await updateWithRetry(ctx.api, R.cronjobs, namespace, name, (cur) => (cur.metadata.uid === cj.metadata.uid ? { ...cur, status: st } : undefined), 'status');
  }

  /** Runs the due schedule, if any; returns the new active list when it changed. */
  async function schedule(cj: KubeObject, s: Json, st: Json, active: Json[], now: number): Promise<Json[] | undefined> {
    const tz = typeof s.timeZone === 'string' && s.timeZone ? s.timeZone : undefined;
    if (tz && !validTimeZone(tz)) {
      recorder.warning(cj, 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(tz)}: unknown time zone ${tz}`);
      return undefined;
    }
    let sched: CronSchedule;
    try {
      sched = parseSchedule(String(s.schedule ?? ''));
    } catch (err) {
      recorder.warning(cj, 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(s.schedule)} : ${(err as Error).message}`);
      return undefined;
    }
    if (s.suspend === true) return undefined;
    const key = objectKey(cj);
    const requeue = () => {
      const next = nextAfter(sched, now, tz);
      if (next !== undefined) queue.addAfter(key, next - now + 100);
    };
    const last = typeof st.lastScheduleTime === 'string' ? Date.parse(st.lastScheduleTime) : NaN;
    let earliest = Number.isFinite(last) ? last : Date.parse(cj.metadata.creationTimestamp ?? '') || now;
    const deadline = typeof s.startingDeadlineSeconds === 'number' ? s.startingDeadlineSeconds * 1000 : undefined;
    if (deadline !== undefined) earliest = Math.max(earliest, now - deadline);
    const { time, missed } = mostRecent(sched, earliest, now, tz);
    if (missed > TOO_MANY_MISSED) recorder.warning(cj, 'TooManyMissedTimes', `too many missed start times: ${missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
    if (time === undefined || (Number.isFinite(last) && time <= last)) {
      requeue();
      return undefined;
    }
    if (deadline !== undefined && time + deadline < now) {
      recorder.warning(cj, 'MissSchedule', `Missed scheduled time to start a job: ${stamp(time, tz)}`);
      requeue();
      return undefined;
    }
    const policy = s.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && active.length > 0) {
      requeue();
      return undefined;
    }
    let next = active;
    if (policy === 'Replace') {
      for (const a of active) {
        await deleteIfExists(ctx.api, R.jobs, cj.metadata.namespace, String(a.name), { propagationPolicy: 'Background', preconditions: { uid: String(a.uid) } });
        recorder.normal(cj, 'SuccessfulDelete', `Deleted job ${String(a.name)}`);
      }
      next = [];
    }
    const body = jobFor(cj, time, tz);
    let job: KubeObject;
    try {
      job = await ctx.api.create(R.jobs, cj.metadata.namespace, body);
      recorder.normal(cj, 'SuccessfulCreate', `Created job ${body.metadata.name}`);
    } catch (err) {
      if (!isConflict(err)) {
        recorder.warning(cj, 'FailedCreate', `Error creating job: ${(err as Error).message}`);
        throw err;
      }
      // Created before (the status write was lost or the cache is behind): adopt that run.
      job = await ctx.api.get(R.jobs, cj.metadata.namespace, body.metadata.name!);
      if (controllerRef(job)?.uid !== cj.metadata.uid) throw err;
    }
    if (!finishedType(job) && !next.some((a) => a.uid === job.metadata.uid)) {
      next = [...next, { kind: 'Job', namespace: job.metadata.namespace, name: job.metadata.name, uid: job.metadata.uid, apiVersion: 'batch/v1', resourceVersion: job.metadata.resourceVersion }];
    }
    st.lastScheduleTime = kubeTime(time);
    requeue();
    return next;
  }

  /** Deletes the oldest finished Jobs beyond the history limits. */
  async function cleanup(cj: KubeObject, s: Json, jobs: KubeObject[]): Promise<void> {
    const byAge = (a: KubeObject, b: KubeObject) => startOf(a) - startOf(b);
    for (const [type, limit] of [
      ['Complete', s.successfulJobsHistoryLimit],
      ['Failed', s.failedJobsHistoryLimit],
    ] as const) {
      if (typeof limit !== 'number') continue;
      const done = jobs.filter((j) => finishedType(j) === type && !j.metadata.deletionTimestamp).sort(byAge);
      for (const j of done.slice(0, Math.max(0, done.length - limit))) {
        await deleteIfExists(ctx.api, R.jobs, j.metadata.namespace, j.metadata.name!, { propagationPolicy: 'Background', preconditions: { uid: j.metadata.uid! } });
        recorder.normal(cj, 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
      }
    }
  }

  return {
    name: 'cronjob',
    queues: [queue],
    start: all,
    stop() {
      queue.stop();
    },
  };
}

/** The Job of the run at `time`: the template's metadata and spec, owned by the CronJob. */
export function jobFor(cj: KubeObject, time: number, tz?: string): KubeObject {
  const jt = (spec(cj).jobTemplate as Json | undefined) ?? {};
  const meta = (jt.metadata as Json | undefined) ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${cj.metadata.name}-${Math.floor(time / 60_000)}`,
      namespace: cj.metadata.namespace,
      labels: { ...((meta.labels as Record<string, string>) ?? {}) },
      annotations: { ...((meta.annotations as Record<string, string>) ?? {}), [SCHEDULED_TIMESTAMP]: stamp(time, tz) },
      ownerReferences: [ownerRefTo(cj)],
    },
    spec: structuredClone((jt.spec as Json | undefined) ?? {}),
  };
}

/** RFC 3339 in the schedule's zone (`2024-05-01T12:03:00+02:00`), as upstream writes the annotation. */
function stamp(time: number, tz?: string): string {
  const w = wallClock(time, tz);
  const wallMs = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  const offset = Math.round((wallMs - Math.floor(time / 60_000) * 60_000) / 60_000);
  const seconds = String(new Date(time).getUTCSeconds()).padStart(2, '0');
  const date = `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${seconds}`;
  if (offset === 0) return `${date}Z`;
  const abs = Math.abs(offset);
  return `${date}${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function finishedType(job: KubeObject): 'Complete' | 'Failed' | undefined {
  const c = conditions(job).find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  return c?.type as 'Complete' | 'Failed' | undefined;
}

function startOf(job: KubeObject): number {
  const st = status(job);
  return Date.parse(String(st.startTime ?? job.metadata.creationTimestamp ?? '')) || num(0, 0);
}
