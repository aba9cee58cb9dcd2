import type { KubeObject } from '../types.js';
import { matchesNodeSelection, untoleratedTaint, nodeTaints, type Toleration } from '../scheduler/predicates.js';
import { EventRecorder } from './events.js';
import { objectKey, splitKey } from './informer.js';
import { claim, controllerRef, jsonEqual, num, R, selectorMatches, spec, status, templateHash, updateWithRetry, type Controller, type ControllerContext, type Json } from './objects.js';
import { PodControl } from './podcontrol.js';
import { Expectations, isPodActive, isPodAvailable, isPodReady, msUntilAvailable, podPhase } from './pods.js';
import { WorkQueue } from './queue.js';
import { intOrPercent } from './rollout.js';
import { syncRevisions, REVISION_HASH } from './revisions.js';

/** Tolerations every daemon pod gets (upstream `AddOrUpdateDaemonPodTolerations`). */
const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/**
 * DaemonSet controller: one pod per node that matches the template's nodeSelector / required
 * node affinity and whose NoSchedule/NoExecute taints the pod tolerates. Pods are created
 * unbound with a required node affinity `metadata.name In [<node>]` (as upstream does) and the
 * scheduler binds them. Pods carry `controller-revision-hash`; a changed template creates a
 * ControllerRevision and RollingUpdate replaces old pods at most `maxUnavailable` (default 1)
 * at a time; OnDelete leaves them.
 */
export function daemonSetController(ctx: ControllerContext): Controller {
  const dsInf = ctx.informers.for(R.daemonsets);
  const nodeInf = ctx.informers.for(R.nodes);
  const podInf = ctx.informers.for(R.pods);
  const crInf = ctx.informers.for(R.controllerrevisions);
  const recorder = new EventRecorder(ctx.api, 'daemonset-controller', ctx.log);
  const expectations = new Expectations();
  const podControl = new PodControl(ctx.api, recorder, expectations);
  const queue = new WorkQueue('daemonset', sync, ctx.log);
  const all = () => dsInf.list().forEach((ds) => queue.add(objectKey(ds)));

  dsInf.addHandler((_t, ds) => queue.add(objectKey(ds)));
  nodeInf.addHandler((type, node, old) => {
    if (type === 'MODIFIED' && old && jsonEqual(node.metadata.labels, old.metadata.labels) && jsonEqual(node.spec, old.spec)) return;
    all();
  });
  podInf.addHandler((type, pod, old) => {
    const ref = controllerRef(pod);
    if (ref?.kind !== 'DaemonSet') {
      if (!ref) for (const ds of dsInf.list(pod.metadata.namespace)) if (selectorMatches(spec(ds).selector, pod.metadata.labels)) queue.add(objectKey(ds));
      return;
    }
    const key = `${pod.metadata.namespace}/${ref.name}`;
    if (type === 'ADDED') expectations.observedAdd(key);
    if (type === 'DELETED' || (pod.metadata.deletionTimestamp && !old?.metadata.deletionTimestamp)) expectations.observedDelete(key, pod.metadata.uid!);
    queue.add(key);
  });

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const ds = dsInf.get(namespace, name);
    if (!ds) return expectations.forget(key);
    const s = spec(ds);
    const template = (s.template as Json | undefined) ?? {};
    const pods = await claim(ctx.api, R.pods, ds, s.selector, podInf.list(namespace).filter((p) => !p.metadata.deletionTimestamp));
    const hash = templateHash(template);
    if (!ds.metadata.deletionTimestamp) await syncRevisions(ctx.api, ds, template, hash, num(s.revisionHistoryLimit, 10), pods, crInf.list(namespace));
    const nodes = nodeInf.list();
    const byNode = new Map<string, KubeObject[]>();
    for (const p of pods) {
      const node = intendedNode(p);
      if (!node) continue;
      byNode.set(node, [...(byNode.get(node) ?? []), p]);
    }
    const tolerations = [...(((template.spec as Json | undefined)?.tolerations as Toleration[] | undefined) ?? []), ...DAEMON_TOLERATIONS];
    const shouldRun = new Set(nodes.filter((n) => matchesNodeSelection((template.spec as Json) ?? {}, n) && !untoleratedTaint(nodeTaints(n), tolerations)).map((n) => n.metadata.name!));
    // A running pod stays unless the node is gone, stopped matching, or has an untolerated NoExecute taint.
    const mayContinue = new Set(nodes.filter((n) => matchesNodeSelection((template.spec as Json) ?? {}, n) && !untoleratedTaint(nodeTaints(n), tolerations, ['NoExecute'])).map((n) => n.metadata.name!));

    if (expectations.satisfied(key) && !ds.metadata.deletionTimestamp) {
      const create: string[] = [];
      const remove: KubeObject[] = [];
      for (const node of shouldRun) {
        const here = (byNode.get(node) ?? []).filter(isPodActive);
        const failed = (byNode.get(node) ?? []).filter((p) => podPhase(p) === 'Failed');
        remove.push(...failed);
        if (here.length === 0) create.push(node);
        else if (here.length > 1) remove.push(...here.sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '')).slice(1));
      }
      for (const [node, list] of byNode) if (!shouldRun.has(node) && !mayContinue.has(node)) remove.push(...list);
      if (remove.length === 0 && create.length === 0 && (s.updateStrategy as Json | undefined)?.type !== 'OnDelete') remove.push(...rollingVictims(ds, shouldRun, byNode, hash));
      if (remove.length) await podControl.delete(key, ds, remove);
      if (create.length) {
        const bodies = create.map((node) =>
          podControl.podFromTemplate(ds, template, (pod) => {
            pod.metadata.labels = { ...pod.metadata.labels, [REVISION_HASH]: hash, 'pod-template-generation': String(ds.metadata.generation ?? 1) };
            const ps = pod.spec as Json;
            ps.affinity = { ...((ps.affinity as Json | undefined) ?? {}), nodeAffinity: nodeAffinityFor(ps, node) };
            const own = (ps.tolerations as Toleration[] | undefined) ?? [];
            ps.tolerations = [...own, ...DAEMON_TOLERATIONS.filter((d) => !own.some((t) => t.key === d.key && t.effect === d.effect))];
          }),
        );
        await podControl.create(key, ds, bodies);
      }
    }
    await writeStatus(ds, shouldRun, byNode, hash);
  }

  /** Old-template pods to delete now: unavailable ones freely, available ones within maxUnavailable. */
  function rollingVictims(ds: KubeObject, shouldRun: Set<string>, byNode: Map<string, KubeObject[]>, hash: string): KubeObject[] {
    const ru = ((spec(ds).updateStrategy as Json | undefined)?.rollingUpdate as Json | undefined) ?? {};
    const minReady = num(spec(ds).minReadySeconds, 0);
    const maxUnavailable = Math.max(1, intOrPercent(ru.maxUnavailable ?? 1, shouldRun.size, true));
    let unavailable = 0;
    const oldAvailable: KubeObject[] = [];
    const victims: KubeObject[] = [];
    for (const node of shouldRun) {
      const pod = (byNode.get(node) ?? []).find(isPodActive);
      if (!pod || !isPodAvailable(pod, minReady)) unavailable++;
      if (!pod || pod.metadata.labels?.[REVISION_HASH] === hash) continue;
      if (isPodAvailable(pod, minReady)) oldAvailable.push(pod);
      else victims.push(pod);
    }
    return [...victims, ...oldAvailable.slice(0, Math.max(0, maxUnavailable - unavailable))];
  }

  async function writeStatus(ds: KubeObject, shouldRun: Set<string>, byNode: Map<string, KubeObject[]>, hash: string): Promise<void> {
    const minReady = num(spec(ds).minReadySeconds, 0);
    let current = 0;
    let mis = 0;
    let ready = 0;
    let available = 0;
    let updated = 0;
    const waits: number[] = [];
    for (const [node, list] of byNode) {
      const active = list.filter(isPodActive);
      if (active.length === 0) continue;
      if (!shouldRun.has(node)) {
        mis++;
        continue;
      }
      current++;
      const pod = active[0]!;
      if (isPodReady(pod)) ready++;
      if (isPodAvailable(pod, minReady)) available++;
      const w = msUntilAvailable(pod, minReady);
      if (w !== undefined) waits.push(w);
      if (pod.metadata.labels?.[REVISION_HASH] === hash) updated++;
    }
    if (waits.length) queue.addAfter(objectKey(ds), Math.min(...waits) + 10);
    const next: Json = {
      ...status(ds),
      currentNumberScheduled: current,
      numberMisscheduled: mis,
      desiredNumberScheduled: shouldRun.size,
      numberReady: ready,
      observedGeneration: ds.metadata.generation ?? 1,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      numberUnavailable: Math.max(0, shouldRun.size - available),
    };
    if (jsonEqual(next, status(ds))) return;
    await updateWithRetry(ctx.api, R.daemonsets, ds.metadata.namespace, ds.metadata.name!, (cur) => (cur.metadata.uid === ds.metadata.uid ? { ...cur, status: { ...status(cur), ...next } } : undefined), 'status');
  }

  return {
    name: 'daemonset',
    queues: [queue],
    start: all,
    stop() {
      queue.stop();
    },
  };
}

/** The node a daemon pod is for: its nodeName, or the `metadata.name In [x]` term the controller wrote. */
export function intendedNode(pod: KubeObject): string | undefined {
  const ps = spec(pod);
  if (typeof ps.nodeName === 'string' && ps.nodeName) return ps.nodeName;
  const terms = (((ps.affinity as Json | undefined)?.nodeAffinity as Json | undefined)?.requiredDuringSchedulingIgnoredDuringExecution as Json | undefined)?.nodeSelectorTerms as
    | { matchFields?: { key: string; operator: string; values?: string[] }[] }[]
    | undefined;
  for (const t of terms ?? []) {
    const f = t.matchFields?.find((m) => m.key === 'metadata.name' && m.operator === 'In' && m.values?.length === 1);
    if (f) return f.values![0];
  }
  return undefined;
}

function nodeAffinityFor(podSpec: Json, node: string): Json {
  const existing = ((podSpec.affinity as Json | undefined)?.nodeAffinity as Json | undefined) ?? {};
  return {
    ...existing,
    requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] },
  };
}
