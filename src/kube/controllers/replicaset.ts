import type { KubeObject } from '../types.js';
import { EventRecorder } from './events.js';
import { objectKey, splitKey } from './informer.js';
import { claim, controllerRef, jsonEqual, num, R, selectorMatches, spec, status, updateWithRetry, type Controller, type ControllerContext, type Json } from './objects.js';
import { PodControl } from './podcontrol.js';
import { deletionOrder, Expectations, isPodActive, isPodAvailable, isPodReady, msUntilAvailable } from './pods.js';
import { WorkQueue } from './queue.js';

/** Upstream's burstReplicas: at most this many pods created or deleted per sync. */
const BURST = 500;

/**
 * ReplicaSet controller: keeps `spec.replicas` active pods (not terminating, not finished)
 * matching the selector, adopting matching orphans and deleting extras in `deletionOrder`, and
 * reports replicas / fullyLabeledReplicas / readyReplicas / availableReplicas /
 * observedGeneration in status.
 */
export function replicaSetController(ctx: ControllerContext): Controller {
  const rsInf = ctx.informers.for(R.replicasets);
  const podInf = ctx.informers.for(R.pods);
  const recorder = new EventRecorder(ctx.api, 'replicaset-controller', ctx.log);
  const expectations = new Expectations();
  const podControl = new PodControl(ctx.api, recorder, expectations);
  const queue = new WorkQueue('replicaset', sync, ctx.log);

  rsInf.addHandler((_t, rs) => queue.add(objectKey(rs)));
  podInf.addHandler((type, pod, old) => {
    const ref = controllerRef(pod);
    const rsKey = ref?.kind === 'ReplicaSet' ? `${pod.metadata.namespace}/${ref.name}` : undefined;
    if (rsKey) {
      if (type === 'ADDED') expectations.observedAdd(rsKey);
      if (type === 'DELETED' || (pod.metadata.deletionTimestamp && !old?.metadata.deletionTimestamp)) expectations.observedDelete(rsKey, pod.metadata.uid!);
      queue.add(rsKey);
    }
    const oldRef = old && controllerRef(old);
    if (oldRef?.kind === 'ReplicaSet' && oldRef.uid !== ref?.uid) queue.add(`${old!.metadata.namespace}/${oldRef.name}`);
    if (!ref) {
      for (const rs of rsInf.list(pod.metadata.namespace)) {
        if (selectorMatches(spec(rs).selector, pod.metadata.labels)) queue.add(objectKey(rs));
      }
    }
  });

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const rs = rsInf.get(namespace, name);
    if (!rs) {
      expectations.forget(key);
      return;
    }
    const s = spec(rs);
    const candidates = podInf.list(namespace).filter(isPodActive);
    const pods = await claim(ctx.api, R.pods, rs, s.selector, candidates);
    const replicas = num(s.replicas, 1);
    if (expectations.satisfied(key) && !rs.metadata.deletionTimestamp) {
      const diff = pods.length - replicas;
      if (diff < 0) {
        const template = (s.template as Json | undefined) ?? {};
        const bodies = Array.from({ length: Math.min(-diff, BURST) }, () => podControl.podFromTemplate(rs, template));
        await podControl.create(key, rs, bodies);
      } else if (diff > 0) {
        const victims = [...pods].sort(deletionOrder).slice(0, Math.min(diff, BURST));
        await podControl.delete(key, rs, victims);
      }
    }
    await writeStatus(rs, pods);
  }

  async function writeStatus(rs: KubeObject, pods: KubeObject[]): Promise<void> {
    const s = spec(rs);
    const minReady = num(s.minReadySeconds, 0);
    const templateLabels = ((s.template as Json | undefined)?.metadata as Json | undefined)?.labels as Record<string, string> | undefined;
    const fully = pods.filter((p) => Object.entries(templateLabels ?? {}).every(([k, v]) => p.metadata.labels?.[k] === v));
    const now = Date.now();
    const next: Json = {
      ...status(rs),
      replicas: pods.length,
      fullyLabeledReplicas: fully.length,
      readyReplicas: pods.filter(isPodReady).length,
      availableReplicas: pods.filter((p) => isPodAvailable(p, minReady, now)).length,
      observedGeneration: rs.metadata.generation ?? 1,
    };
    const waits = pods.map((p) => msUntilAvailable(p, minReady, now)).filter((x): x is number => x !== undefined);
    if (waits.length) queue.addAfter(objectKey(rs), Math.min(...waits) + 10);
    if (jsonEqual(next, status(rs))) return;
    await updateWithRetry(
      ctx.api,
      R.replicasets,
      rs.metadata.namespace,
      rs.metadata.name!,
      (cur) => {
        if (cur.metadata.uid !== rs.metadata.uid) return undefined;
        const merged = { ...status(cur), ...next, observedGeneration: rs.metadata.generation ?? 1 };
        if (jsonEqual(merged, status(cur))) return undefined;
        return { ...cur, status: merged };
      },
      'status',
    );
  }

  return {
    name: 'replicaset',
    queues: [queue],
    start() {
      for (const rs of rsInf.list()) queue.add(objectKey(rs));
    },
    stop() {
      queue.stop();
    },
  };
}
