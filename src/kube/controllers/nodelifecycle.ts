import { kubeTime, type KubeObject } from '../types.js';
import { nodeTaints, podTolerations, tolerates, type Taint } from '../scheduler/predicates.js';
import { EventRecorder } from './events.js';
import { objectKey } from './informer.js';
import { condition, conditions, isNotFound, jsonEqual, R, setCondition, spec, status, updateWithRetry, type Condition, type Controller, type ControllerContext, type Json } from './objects.js';
import { WorkQueue } from './queue.js';

const UNREACHABLE = 'node.kubernetes.io/unreachable';
const NOT_READY = 'node.kubernetes.io/not-ready';
const LEASE_NS = 'kube-node-lease';
/** The tolerationSeconds the registry's DefaultTolerationSeconds admission gives every pod. */
const ADMISSION_DEFAULT_SECONDS = 300;

/**
 * Node lifecycle: a node whose Lease in `kube-node-lease` (or Ready heartbeat) has not been
 * renewed for `nodeMonitorGracePeriodMs` gets its conditions set to Unknown (NodeStatusUnknown,
 * "Kubelet stopped posting node status."), its pods marked not Ready, and the taints
 * `node.kubernetes.io/unreachable` NoSchedule + NoExecute; a node reporting Ready=False gets
 * `node.kubernetes.io/not-ready` instead. Pods on a node with a NoExecute taint they don't
 * tolerate are evicted (deleted) at once; pods tolerating it for N seconds after N seconds.
 * Renewal removes the taints. Pods bound to nodes that no longer exist are force-deleted (pod GC).
 *
 * NOTE: the admission default toleration (300 s for not-ready/unreachable) is read as "use
 * `podEvictionTimeoutMs`", so that option governs the common case (and tests can shorten it);
 * any other tolerationSeconds is honoured as written. The Ready condition is left for the node
 * agent to set back to True when it posts status again.
 */
export function nodeLifecycleController(ctx: ControllerContext): Controller {
  const nodeInf = ctx.informers.for(R.nodes);
  const leaseInf = ctx.informers.for(R.leases);
  const podInf = ctx.informers.for(R.pods);
  const recorder = new EventRecorder(ctx.api, 'node-controller', ctx.log);
  const evictRecorder = new EventRecorder(ctx.api, 'taint-eviction-controller', ctx.log);
  const queue = new WorkQueue('nodelifecycle', sync, ctx.log);
  const podGc = new WorkQueue('podgc', collectPod, ctx.log);
  /** node → last time (local clock) a renewal was seen. */
  const probes = new Map<string, number>();
  const grace = ctx.nodeMonitorGracePeriodMs;

  nodeInf.addHandler((type, node, old) => {
    const name = node.metadata.name!;
    if (type === 'DELETED') {
      probes.delete(name);
      for (const p of podInf.list()) if (spec(p).nodeName === name) podGc.add(objectKey(p));
      return;
    }
    const hb = (n: KubeObject | undefined) => n && condition(n, 'Ready')?.lastHeartbeatTime;
    if (!probes.has(name) || (hb(node) && hb(node) !== hb(old))) probes.set(name, Date.now());
    queue.add(name);
  });
  leaseInf.addHandler((type, lease, old) => {
    if (lease.metadata.namespace !== LEASE_NS || type === 'DELETED') return;
    const renew = (l: KubeObject | undefined) => (l?.spec as Json | undefined)?.renewTime;
    if (type === 'ADDED' || renew(lease) !== renew(old)) {
      probes.set(lease.metadata.name!, Date.now());
      queue.add(lease.metadata.name!);
    }
  });
  podInf.addHandler((type, pod) => {
    const node = spec(pod).nodeName as string | undefined;
    if (!node || type === 'DELETED') return;
    if (!nodeInf.get(undefined, node)) podGc.add(objectKey(pod));
    else if (type === 'ADDED') queue.add(node);
  });

  async function sync(name: string): Promise<void> {
    let node = nodeInf.get(undefined, name);
    if (!node) return;
    const now = Date.now();
    const probe = probes.get(name) ?? now;
    const stale = now - probe > grace;
    if (!stale) queue.addAfter(name, probe + grace - now + 5);
    if (stale && condition(node, 'Ready')?.status !== 'Unknown') {
      node = (await markUnknown(node)) ?? node;
    }
    const ready = condition(node, 'Ready')?.status;
    const wanted: Taint[] = [];
    const stamp = kubeTime(now);
    if (stale) wanted.push({ key: UNREACHABLE, effect: 'NoSchedule' }, { key: UNREACHABLE, effect: 'NoExecute', timeAdded: stamp });
    else if (ready === 'False') wanted.push({ key: NOT_READY, effect: 'NoSchedule' }, { key: NOT_READY, effect: 'NoExecute', timeAdded: stamp });
    const current = nodeTaints(node);
    const ours = (t: Taint) => t.key === UNREACHABLE || t.key === NOT_READY;
    const kept = current.filter((t) => !ours(t) || wanted.some((w) => w.key === t.key && w.effect === t.effect));
    const added = wanted.filter((w) => !current.some((t) => t.key === w.key && t.effect === w.effect));
    if (added.length || kept.length !== current.length) {
      const updated = await updateWithRetry(ctx.api, R.nodes, undefined, name, (cur) => {
        const taints = nodeTaints(cur).filter((t) => !ours(t) || wanted.some((w) => w.key === t.key && w.effect === t.effect));
        for (const w of wanted) if (!taints.some((t) => t.key === w.key && t.effect === w.effect)) taints.push(w);
        if (jsonEqual(taints, nodeTaints(cur))) return undefined;
        const s: Json = { ...((cur.spec as Json) ?? {}), taints };
        if (taints.length === 0) delete s.taints;
        return { ...cur, spec: s };
      });
      if (updated) node = updated;
    }
    await evict(node);
  }

  async function markUnknown(node: KubeObject): Promise<KubeObject | undefined> {
    const now = kubeTime();
    const updated = await updateWithRetry(
      ctx.api,
      R.nodes,
      undefined,
      node.metadata.name!,
      (cur) => {
        let conds = conditions(cur);
        if (!conds.some((c) => c.type === 'Ready')) {
          conds = [...conds, { type: 'Ready', status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: now, lastTransitionTime: now }];
        }
        conds = conds.map((c) =>
          ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'].includes(c.type) && c.status !== 'Unknown'
            ? { ...c, status: 'Unknown' as const, reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: now }
            : c,
        );
        if (jsonEqual(conds, conditions(cur))) return undefined;
        return { ...cur, status: { ...status(cur), conditions: conds } };
      },
      'status',
    );
    recorder.normal(node, 'NodeNotReady', `Node ${node.metadata.name} status is now: NodeNotReady`);
    for (const pod of podInf.list()) {
      if (spec(pod).nodeName !== node.metadata.name || condition(pod, 'Ready')?.status !== 'True') continue;
      await updateWithRetry(
        ctx.api,
        R.pods,
        pod.metadata.namespace,
        pod.metadata.name!,
        (cur) => {
          if (cur.metadata.uid !== pod.metadata.uid) return undefined;
          const conds = setCondition(conditions(cur), { ...(condition(cur, 'Ready') ?? { type: 'Ready' }), status: 'False', lastTransitionTime: now } as Condition);
          return { ...cur, status: { ...status(cur), conditions: conds } };
        },
        'status',
      ).catch((err) => {
        if (!isNotFound(err)) throw err;
      });
    }
    return updated;
  }

  /** Deletes pods not tolerating a NoExecute taint of `node`, when their toleration time is up. */
  async function evict(node: KubeObject): Promise<void> {
    const taints = nodeTaints(node).filter((t) => t.effect === 'NoExecute');
    if (taints.length === 0) return;
    const now = Date.now();
    let next = Infinity;
    for (const pod of podInf.list()) {
      if (spec(pod).nodeName !== node.metadata.name || pod.metadata.deletionTimestamp) continue;
      // Evicted when the first of its tolerations runs out.
      let due = Infinity;
      for (const taint of taints) {
        const since = Date.parse(taint.timeAdded ?? '') || now;
        const tol = podTolerations(pod).filter((t) => tolerates(t, taint));
        if (tol.length === 0) continue;
        const seconds = tol.map((t) => t.tolerationSeconds);
        if (seconds.some((s) => s === undefined)) continue;
        const secs = Math.min(...(seconds as number[]));
        const ms = secs === ADMISSION_DEFAULT_SECONDS && [UNREACHABLE, NOT_READY].includes(taint.key) ? ctx.podEvictionTimeoutMs : Math.max(0, secs) * 1000;
        due = Math.min(due, since + ms);
      }
      // A taint with no toleration at all: evict now.
      const untolerated = taints.some((t) => !podTolerations(pod).some((tol) => tolerates(tol, t)));
      const at = untolerated ? now : due;
      if (at === Infinity) continue;
      if (at > now) {
        next = Math.min(next, at);
        continue;
      }
      try {
        await ctx.api.delete(R.pods, pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid! } });
        evictRecorder.normal(pod, 'TaintManagerEviction', `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (next !== Infinity) queue.addAfter(node.metadata.name!, next - now + 5);
  }

  /** Pod GC: a pod bound to a node that doesn't exist (confirmed live) is deleted without grace. */
  async function collectPod(key: string): Promise<void> {
    const [ns, name] = key.split('/') as [string, string];
    const pod = podInf.get(ns, name);
    const nodeName = pod && (spec(pod).nodeName as string | undefined);
    if (!pod || !nodeName || nodeInf.get(undefined, nodeName)) return;
    try {
      await ctx.api.get(R.nodes, undefined, nodeName);
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    ctx.log(`pod gc: deleting ${key}, bound to missing node ${nodeName}`);
    await ctx.api.delete(R.pods, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid! } }).catch((err) => {
      if (!isNotFound(err)) throw err;
    });
  }

  return {
    name: 'nodelifecycle',
    queues: [queue, podGc],
    start() {
      const now = Date.now();
      for (const node of nodeInf.list()) {
        if (!probes.has(node.metadata.name!)) probes.set(node.metadata.name!, now);
        queue.add(node.metadata.name!);
      }
      for (const p of podInf.list()) {
        const n = spec(p).nodeName as string | undefined;
        if (n && !nodeInf.get(undefined, n)) podGc.add(objectKey(p));
      }
    },
    stop() {
      queue.stop();
      podGc.stop();
    },
  };
}
