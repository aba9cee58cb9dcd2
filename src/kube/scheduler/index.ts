import type { KubeApi } from '../api.js';
import { EventRecorder } from '../controllers/events.js';
import { InformerFactory, objectKey, splitKey } from '../controllers/informer.js';
import { condition, conditions, isConflict, isNotFound, jsonEqual, R, setCondition, status, updateWithRetry } from '../controllers/objects.js';
import { WorkQueue } from '../controllers/queue.js';
import { kubeTime, type KubeObject } from '../types.js';
import { filterNode, unschedulableMessage, type Snapshot } from './filters.js';
import { podRequests, type ResourceList } from './quantity.js';
import { pickNode } from './score.js';
import { claimsPreFilter, claimsToSelect, volumeFilter, type VolumeCaches } from '../storage/scheduling.js';
import { SELECTED_NODE_ANNOTATION } from '../storage/binder.js';

type Json = Record<string, unknown>;

const SCHEDULER_NAME = 'default-scheduler';
/** Unschedulable pods are retried at least this often even without a cluster change (upstream: 5 min). */
const FLUSH_MS = 60_000;

export interface SchedulerOptions {
  log?: (m: string) => void;
}

/**
 * The scheduler: takes pods with no `spec.nodeName` whose `schedulerName` is
 * `default-scheduler` (and no scheduling gates), one at a time; filters the nodes (Ready, not
 * cordoned, taints, nodeSelector / required node affinity, host ports, cpu/memory/pods requests
 * against allocatable minus what bound and just-bound pods request, topology spread
 * DoNotSchedule, required pod affinity/anti-affinity), scores the rest (least allocated, spread
 * of the same controller, preferred node affinity), and binds through `pods/binding`, with a
 * `Scheduled` event. When nothing fits, the pod gets PodScheduled=False/Unschedulable with
 * upstream's message ("0/2 nodes are available: 2 Insufficient cpu.") and a FailedScheduling
 * event, and is retried when nodes or pods change (or after a minute).
 */
export function startScheduler(api: KubeApi, opts: SchedulerOptions = {}): { stop(): Promise<void> } {
  const log = opts.log ?? (() => undefined);
  const informers = new InformerFactory(api, log);
  const podInf = informers.for(R.pods);
  const nodeInf = informers.for(R.nodes);
  const nsInf = informers.for(R.namespaces);
  // Volume binding (../storage/scheduling.ts): claims, volumes and classes.
  const pvcInf = informers.for(R.persistentvolumeclaims);
  const pvInf = informers.for(R.persistentvolumes);
  const scInf = informers.for(R.storageclasses);
  const volumes: VolumeCaches = {
    claim: (ns, name) => pvcInf.get(ns, name),
    volume: (name) => pvInf.get(undefined, name),
    storageClass: (name) => scInf.get(undefined, name),
    volumes: () => pvInf.list(),
  };
  const recorder = new EventRecorder(api, SCHEDULER_NAME, log);
  const queue = new WorkQueue('scheduler', schedule, log, 1);
  /** Pods bound by us that the pod cache doesn't show bound yet. */
  const assumed = new Map<string, { node: string; pod: KubeObject }>();
  const unschedulable = new Set<string>();
  const retryAll = () => {
    // Cleared first: queue.add may run a sync at once, which may mark the pod again.
    const keys = [...unschedulable];
    unschedulable.clear();
    for (const k of keys) queue.add(k);
  };

  const wanted = (pod: KubeObject) => {
    const s = (pod.spec as Json | undefined) ?? {};
    const gates = s.schedulingGates;
    const phase = status(pod).phase;
    return !s.nodeName && (s.schedulerName ?? SCHEDULER_NAME) === SCHEDULER_NAME && !pod.metadata.deletionTimestamp && !(Array.isArray(gates) && gates.length) && phase !== 'Succeeded' && phase !== 'Failed';
  };

  podInf.addHandler((type, pod, old) => {
    const key = objectKey(pod);
    if (type !== 'DELETED' && (pod.spec as Json | undefined)?.nodeName) assumed.delete(key);
    if (type === 'DELETED') {
      assumed.delete(key);
      unschedulable.delete(key);
    }
    if (type !== 'DELETED' && wanted(pod)) {
      // Our own PodScheduled=False write comes back as MODIFIED: don't spin on it.
      if (!(type === 'MODIFIED' && unschedulable.has(key) && old && jsonEqual(old.spec, pod.spec) && jsonEqual(old.metadata.labels, pod.metadata.labels))) {
        unschedulable.delete(key);
        queue.add(key);
      }
      return;
    }
    // A pod went away, finished or changed labels: room or affinity may have changed.
    const freed = type === 'DELETED' || (old && !jsonEqual(old.metadata.labels, pod.metadata.labels)) || (old && status(old).phase !== status(pod).phase);
    if (freed && unschedulable.size) retryAll();
  });
  // A claim or volume changed (bound, provisioned, created): pods waiting on volumes may go on.
  pvcInf.addHandler(() => unschedulable.size && retryAll());
  pvInf.addHandler(() => unschedulable.size && retryAll());
  scInf.addHandler(() => unschedulable.size && retryAll());
  nodeInf.addHandler((type, node, old) => {
    if (type === 'MODIFIED' && old && jsonEqual(old.spec, node.spec) && jsonEqual(old.metadata.labels, node.metadata.labels) && jsonEqual(status(old).allocatable, status(node).allocatable) && condition(old, 'Ready')?.status === condition(node, 'Ready')?.status) return;
    if (unschedulable.size) retryAll();
  });

  function snapshot(): Snapshot {
    const podsByNode = new Map<string, { pod: KubeObject; requests: ResourceList }[]>();
    const add = (node: string, pod: KubeObject) => {
      const list = podsByNode.get(node) ?? [];
      list.push({ pod, requests: podRequests(pod) });
      podsByNode.set(node, list);
    };
    for (const pod of podInf.list()) {
      const node = (pod.spec as Json | undefined)?.nodeName as string | undefined;
      const phase = status(pod).phase;
      if (!node || phase === 'Succeeded' || phase === 'Failed') continue;
      add(node, pod);
    }
    for (const [key, a] of assumed) {
      const { namespace, name } = splitKey(key);
      const cached = podInf.get(namespace, name);
      if (cached && !(cached.spec as Json | undefined)?.nodeName) add(a.node, a.pod);
    }
    const namespaceLabels = new Map(nsInf.list().map((ns) => [ns.metadata.name!, ns.metadata.labels ?? {}]));
    return { nodes: nodeInf.list(), podsByNode, namespaceLabels };
  }

  async function schedule(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pod = podInf.get(namespace, name);
    if (!pod || !wanted(pod) || assumed.has(key)) return;
    const snap = snapshot();
    const volumeProblem = snap.nodes.length ? claimsPreFilter(pod, volumes) : undefined;
    if (volumeProblem) {
      unschedulable.add(key);
      await markUnschedulable(pod, `0/${snap.nodes.length} nodes are available: ${volumeProblem}.`);
      return;
    }
    const reasons = new Map<string, number>();
    const feasible: KubeObject[] = [];
    for (const node of snap.nodes) {
      const why = filterNode(pod, node, snap);
      const volumeWhy = why.length === 0 ? volumeFilter(pod, node, volumes) : undefined;
      if (volumeWhy) why.push(volumeWhy);
      if (why.length === 0) feasible.push(node);
      for (const r of why) reasons.set(r, (reasons.get(r) ?? 0) + 1);
    }
    if (feasible.length === 0) {
      const message = snap.nodes.length === 0 ? 'no nodes available to schedule pods' : unschedulableMessage(snap.nodes.length, reasons);
      unschedulable.add(key);
      await markUnschedulable(pod, message);
      return;
    }
    const node = pickNode(pod, feasible, snap);
    const waiting = claimsToSelect(pod, volumes);
    if (waiting.length) {
      // Hand the claims to the provisioner on this node; the pod is bound once they are.
      unschedulable.add(key);
      for (const pvc of waiting) {
        if (pvc.metadata.annotations?.[SELECTED_NODE_ANNOTATION] === node.metadata.name) continue;
        await api.patch(pvcInf.res, namespace, pvc.metadata.name!, 'merge', { metadata: { annotations: { [SELECTED_NODE_ANNOTATION]: node.metadata.name! } } }).catch((err) => {
          if (!isNotFound(err)) throw err;
        });
      }
      return;
    }
    assumed.set(key, { node: node.metadata.name!, pod });
    try {
      await api.create(R.pods, namespace, { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace }, target: { apiVersion: 'v1', kind: 'Node', name: node.metadata.name! } }, { subresource: 'binding' });
    } catch (err) {
      assumed.delete(key);
      if (isNotFound(err) || isConflict(err)) return; // Deleted, or bound by someone else meanwhile.
      throw err;
    }
    recorder.normal(pod, 'Scheduled', `Successfully assigned ${namespace}/${name} to ${node.metadata.name}`);
  }

  async function markUnschedulable(pod: KubeObject, message: string): Promise<void> {
    recorder.warning(pod, 'FailedScheduling', message);
    const prev = condition(pod, 'PodScheduled');
    if (prev?.status === 'False' && prev.message === message) return;
    await updateWithRetry(
      api,
      R.pods,
      pod.metadata.namespace,
      pod.metadata.name!,
      (cur) => {
        if (cur.metadata.uid !== pod.metadata.uid || (cur.spec as Json | undefined)?.nodeName) return undefined;
        const now = kubeTime();
        const conds = setCondition(conditions(cur), { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: now });
        const st: Json = { ...status(cur), conditions: conds };
        st.phase ??= 'Pending';
        return { ...cur, status: st };
      },
      'status',
    ).catch((err) => {
      if (!isNotFound(err)) throw err;
    });
  }

  informers.start();
  let stopped = false;
  void informers.synced().then(() => {
    if (!stopped) queue.start();
  });
  const flush = setInterval(retryAll, FLUSH_MS);
  flush.unref();

  return {
    async stop() {
      stopped = true;
      clearInterval(flush);
      queue.stop();
      await informers.stop();
      await queue.drain();
    },
  };
}
