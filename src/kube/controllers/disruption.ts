import { kubeTime, type KubeObject } from '../types.js';
import { objectKey, splitKey } from './informer.js';
import { condition, controllerRef, jsonEqual, num, R, selectorMatches, setCondition, spec, status, updateWithRetry, type Condition, type Controller, type ControllerContext, type Json } from './objects.js';
import { isPodReady } from './pods.js';
import { WorkQueue } from './queue.js';
import { intOrPercent } from './rollout.js';

/** An eviction the controller has not seen carried out is forgotten after this long (upstream's DeletionTimeout). */
export const DISRUPTION_TIMEOUT_MS = 2 * 60_000;

/**
 * Disruption controller: keeps each PodDisruptionBudget's status current over the pods its
 * selector matches (a null selector matches none, an empty one all pods of the namespace):
 *
 * - `currentHealthy`: Ready pods not being deleted and not in `disruptedPods`;
 * - `minAvailable: N` → `desiredHealthy` N, `expectedPods` the number of matching pods;
 * - `minAvailable: P%` or `maxUnavailable` → `expectedPods` the replicas of the pods'
 *   controllers (Deployment, ReplicaSet, StatefulSet), `desiredHealthy` P% of it (rounded up)
 *   or it minus `maxUnavailable`; a pod without such a controller fails the sync (condition
 *   reason SyncFailed, no disruption allowed);
 * - `disruptionsAllowed` = max(0, currentHealthy − desiredHealthy), condition DisruptionAllowed;
 * - `disruptedPods` (written by the eviction subresource) loses pods once they are being
 *   deleted or gone, or after two minutes.
 */
export function disruptionController(ctx: ControllerContext): Controller {
  const pdbInf = ctx.informers.for(R.poddisruptionbudgets);
  const podInf = ctx.informers.for(R.pods);
  const rsInf = ctx.informers.for(R.replicasets);
  const deployInf = ctx.informers.for(R.deployments);
  const stsInf = ctx.informers.for(R.statefulsets);
  const queue = new WorkQueue('disruption', sync, ctx.log);
  const inNamespace = (ns: string | undefined) => pdbInf.list(ns).forEach((p) => queue.add(objectKey(p)));

  pdbInf.addHandler((_t, pdb) => queue.add(objectKey(pdb)));
  podInf.addHandler((_t, pod, old) => {
    for (const pdb of pdbInf.list(pod.metadata.namespace)) {
      if (selectorMatches(spec(pdb).selector, pod.metadata.labels) || (old && selectorMatches(spec(pdb).selector, old.metadata.labels))) queue.add(objectKey(pdb));
    }
  });
  for (const inf of [rsInf, deployInf, stsInf]) {
    inf.addHandler((type, o, old) => {
      if (type === 'MODIFIED' && old && spec(o).replicas === spec(old).replicas) return;
      inNamespace(o.metadata.namespace);
    });
  }

  /** Replicas of the controller of `pod`, or an Error naming what is missing. */
  function scaleOf(pod: KubeObject): { uid: string; replicas: number } | Error {
    const ref = controllerRef(pod);
    const ns = pod.metadata.namespace;
    if (!ref) return new Error(`found no controllers for pod "${pod.metadata.name}"`);
    if (ref.kind === 'ReplicaSet') {
      const rs = rsInf.get(ns, ref.name);
      if (!rs || rs.metadata.uid !== ref.uid) return new Error(`found no controllers for pod "${pod.metadata.name}"`);
      const dref = controllerRef(rs);
      const d = dref?.kind === 'Deployment' ? deployInf.get(ns, dref.name) : undefined;
      if (d && d.metadata.uid === dref!.uid) return { uid: d.metadata.uid!, replicas: num(spec(d).replicas, 1) };
      return { uid: rs.metadata.uid!, replicas: num(spec(rs).replicas, 1) };
    }
    if (ref.kind === 'StatefulSet') {
      const s = stsInf.get(ns, ref.name);
      if (!s || s.metadata.uid !== ref.uid) return new Error(`found no controllers for pod "${pod.metadata.name}"`);
      return { uid: s.metadata.uid!, replicas: num(spec(s).replicas, 1) };
    }
    return new Error(`pod "${pod.metadata.name}" is controlled by a ${ref.kind}, which has no scale: use an integer minAvailable for its budget`);
  }

  function budget(pdb: KubeObject, pods: KubeObject[]): { expected: number; desired: number } {
    const s = spec(pdb);
    if (s.maxUnavailable !== undefined && s.maxUnavailable !== null) {
      const expected = controllersScale(pods);
      return { expected, desired: Math.max(0, expected - intOrPercent(s.maxUnavailable, expected, true)) };
    }
    if (typeof s.minAvailable === 'number') return { expected: pods.length, desired: s.minAvailable };
    if (typeof s.minAvailable === 'string') {
      const expected = controllersScale(pods);
      return { expected, desired: intOrPercent(s.minAvailable, expected, true) };
    }
    return { expected: pods.length, desired: 0 };
  }

  function controllersScale(pods: KubeObject[]): number {
    const seen = new Map<string, number>();
    for (const p of pods) {
      const sc = scaleOf(p);
      if (sc instanceof Error) throw sc;
      seen.set(sc.uid, sc.replicas);
    }
    return [...seen.values()].reduce((a, b) => a + b, 0);
  }

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pdb = pdbInf.get(namespace, name);
    if (!pdb) return;
    const now = Date.now();
    const pods = podInf.list(namespace).filter((p) => selectorMatches(spec(pdb).selector, p.metadata.labels));
    const st = status(pdb);
    const stamp = kubeTime(now);
    const generation = pdb.metadata.generation ?? 1;

    // Evictions not yet carried out still count against the budget, for a while.
    const disrupted: Record<string, string> = {};
    let nextExpiry: number | undefined;
    for (const [pod, at] of Object.entries((st.disruptedPods as Record<string, string> | undefined) ?? {})) {
      const p = pods.find((x) => x.metadata.name === pod);
      const until = Date.parse(at) + DISRUPTION_TIMEOUT_MS;
      if (!p || p.metadata.deletionTimestamp || !(until > now)) continue;
      disrupted[pod] = at;
      nextExpiry = Math.min(nextExpiry ?? until, until);
    }
    if (nextExpiry !== undefined) queue.addAfter(key, nextExpiry - now + 10);

    let next: Json;
    try {
      const { expected, desired } = budget(pdb, pods);
      const healthy = pods.filter((p) => !p.metadata.deletionTimestamp && isPodReady(p) && !(p.metadata.name! in disrupted)).length;
      const allowed = Math.max(0, healthy - desired);
      const cond: Condition = allowed > 0 ? { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '' } : { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '' };
      next = { ...st, observedGeneration: generation, disruptionsAllowed: allowed, currentHealthy: healthy, desiredHealthy: desired, expectedPods: expected, conditions: withCondition(pdb, cond, generation, stamp) };
    } catch (err) {
      const cond: Condition = { type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: (err as Error).message };
      next = { ...st, observedGeneration: generation, disruptionsAllowed: 0, conditions: withCondition(pdb, cond, generation, stamp) };
    }
    if (Object.keys(disrupted).length) next.disruptedPods = disrupted;
    else delete next.disruptedPods;
    if (jsonEqual(next, st)) return;
    await updateWithRetry(ctx.api, R.poddisruptionbudgets, namespace, name, (cur) => (cur.metadata.uid === pdb.metadata.uid ? { ...cur, status: next } : undefined), 'status');
  }

  return {
    name: 'disruption',
    queues: [queue],
    start: () => inNamespace(undefined),
    stop() {
      queue.stop();
    },
  };
}

/** The conditions with DisruptionAllowed set; the old one kept as is when nothing about it changed. */
function withCondition(pdb: KubeObject, cond: Condition, generation: number, stamp: string): Condition[] {
  const old = condition(pdb, 'DisruptionAllowed');
  const full: Condition = { ...cond, observedGeneration: generation, lastTransitionTime: stamp };
  if (old && old.status === cond.status && old.reason === cond.reason && old.message === cond.message && old.observedGeneration === generation) return ((status(pdb).conditions as Condition[] | undefined) ?? []).slice();
  return setCondition((status(pdb).conditions as Condition[] | undefined) ?? [], full);
}
