import type { KubeObject } from '../types.js';
import { EventRecorder } from './events.js';
import { objectKey, splitKey } from './informer.js';
import { claim, controllerRef, isConflict, isNotFound, jsonEqual, num, ownerRefTo, R, selectorMatches, spec, status, templateHash, updateWithRetry, type Controller, type ControllerContext, type Json } from './objects.js';
import { isPodAvailable, msUntilAvailable } from './pods.js';
import { WorkQueue } from './queue.js';
import { syncRevisions } from './revisions.js';
import { intOrPercent } from './rollout.js';
import { claimName, claimTemplates, isFinished, isRunningAndReady, memberClaim, memberPod, ordinalOf, ordinalStart, retention, revisionOf, revisionTemplate } from './statefulset-pods.js';

/**
 * StatefulSet controller: pods `<set>-<ordinal>` for ordinals [start, start+replicas), each
 * with a stable hostname (and `subdomain: serviceName`), identity labels and its own
 * PersistentVolumeClaims from `volumeClaimTemplates` (created before the pod, never
 * recreated over an existing claim).
 *
 * - OrderedReady: one step per sync: the lowest missing ordinal is created, and nothing more
 *   happens until every member is Running and Ready (available, with minReadySeconds); scale
 *   down removes the highest ordinal, one at a time. Parallel: all creations and deletions at
 *   once.
 * - Failed/Succeeded members are deleted and created again under the same name.
 * - RollingUpdate replaces members whose `controller-revision-hash` is not the update revision,
 *   highest ordinal first, down to `partition`, keeping at most `maxUnavailable` (default 1)
 *   members unavailable; members below the partition are (re)created from the current revision.
 *   OnDelete only uses the new template for members someone deleted.
 * - ControllerRevisions `<set>-<hash>` keep the template history (`rollout history/undo`);
 *   status carries current/update revision and counts as `kubectl rollout status` reads them.
 * - `persistentVolumeClaimRetentionPolicy`: whenDeleted=Delete gives claims an ownerReference to
 *   the set; whenScaled=Delete gives a condemned member's claims one to its pod; the garbage
 *   collector then deletes them.
 */
export function statefulSetController(ctx: ControllerContext): Controller {
  const stsInf = ctx.informers.for(R.statefulsets);
  const podInf = ctx.informers.for(R.pods);
  const crInf = ctx.informers.for(R.controllerrevisions);
  const pvcInf = ctx.informers.for(R.persistentvolumeclaims);
  const recorder = new EventRecorder(ctx.api, 'statefulset-controller', ctx.log);
  const queue = new WorkQueue('statefulset', sync, ctx.log);
  const all = () => stsInf.list().forEach((s) => queue.add(objectKey(s)));

  stsInf.addHandler((_t, s) => queue.add(objectKey(s)));
  podInf.addHandler((_t, pod) => {
    const ref = controllerRef(pod);
    if (ref?.kind === 'StatefulSet') return queue.add(`${pod.metadata.namespace}/${ref.name}`);
    if (ref) return;
    for (const s of stsInf.list(pod.metadata.namespace)) if (selectorMatches(spec(s).selector, pod.metadata.labels)) queue.add(objectKey(s));
  });

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const set = stsInf.get(namespace, name);
    if (!set) return;
    const s = spec(set);
    const template = (s.template as Json | undefined) ?? {};
    const candidates = podInf.list(namespace).filter((p) => ordinalOf(name, p) !== undefined);
    const members = await claim(ctx.api, R.pods, set, s.selector, candidates);
    const hash = templateHash(template);
    const updateRevision = `${name}-${hash}`;
    const st = status(set);
    const currentRevision = typeof st.currentRevision === 'string' && st.currentRevision ? st.currentRevision : updateRevision;
    if (!set.metadata.deletionTimestamp) {
      await syncRevisions(ctx.api, set, template, hash, num(s.revisionHistoryLimit, 10), members, crInf.list(namespace));
      await reconcile(set, members, currentRevision, updateRevision);
    }
    await writeStatus(set, members, currentRevision, updateRevision);
  }

  /** One round of creations/deletions; returns early where OrderedReady has to wait. */
  async function reconcile(set: KubeObject, members: KubeObject[], currentRevision: string, updateRevision: string): Promise<void> {
    const s = spec(set);
    const name = set.metadata.name!;
    const start = ordinalStart(set);
    const replicas = num(s.replicas, 1);
    const end = start + replicas;
    const monotonic = s.podManagementPolicy !== 'Parallel';
    const minReady = num(s.minReadySeconds, 0);
    const byOrdinal = new Map(members.map((p) => [ordinalOf(name, p)!, p]));
    const strategy = (s.updateStrategy as Json | undefined) ?? {};
    const rolling = strategy.type !== 'OnDelete';
    const ru = (strategy.rollingUpdate as Json | undefined) ?? {};
    const partition = rolling ? num(ru.partition, 0) : 0;

    for (let ord = start; ord < end; ord++) {
      const pod = byOrdinal.get(ord);
      if (pod && isFinished(pod) && !pod.metadata.deletionTimestamp) {
        recorder.warning(set, 'RecreatingFailedPod', `StatefulSet ${set.metadata.namespace}/${name} is recreating ${pod.status && (pod.status as Json).phase === 'Succeeded' ? 'terminated' : 'failed'} Pod ${pod.metadata.name}`);
        await deletePod(set, pod);
        if (monotonic) return;
        continue;
      }
      if (!pod) {
        const useCurrent = rolling && ord - start < partition && currentRevision !== updateRevision;
        const fromCurrent = useCurrent ? revisionTemplate(crInf.get(set.metadata.namespace, currentRevision)) : undefined;
        await createMember(set, ord, fromCurrent ?? ((s.template as Json | undefined) ?? {}), fromCurrent ? currentRevision : updateRevision);
        if (monotonic) return;
        continue;
      }
      if (!monotonic) continue;
      if (!isRunningAndReady(pod)) return;
      if (!isPodAvailable(pod, minReady)) {
        const wait = msUntilAvailable(pod, minReady);
        if (wait !== undefined) queue.addAfter(objectKey(set), wait + 10);
        return;
      }
    }

    // Scale down: members outside the range, highest ordinal first.
    const condemned = [...byOrdinal].filter(([o]) => o < start || o >= end).sort(([a], [b]) => b - a);
    for (const [ord, pod] of condemned) {
      if (pod.metadata.deletionTimestamp) {
        if (monotonic) return;
        continue;
      }
      if (retention(set).whenScaled === 'Delete') await ownClaimsByPod(set, ord, pod);
      await deletePod(set, pod);
      if (monotonic) return;
    }

    if (!rolling) return;
    // Rolling update, highest ordinal first, within maxUnavailable.
    const maxUnavailable = Math.max(1, intOrPercent(ru.maxUnavailable ?? 1, replicas, true));
    let unavailable = 0;
    for (let ord = start; ord < end; ord++) {
      const pod = byOrdinal.get(ord);
      if (!pod || !isRunningAndReady(pod) || !isPodAvailable(pod, minReady)) unavailable++;
    }
    let budget = maxUnavailable - unavailable;
    for (let ord = end - 1; ord >= start + partition && budget > 0; ord--) {
      const pod = byOrdinal.get(ord);
      if (!pod || pod.metadata.deletionTimestamp || revisionOf(pod) === updateRevision) continue;
      await deletePod(set, pod);
      budget--;
    }
  }

  async function createMember(set: KubeObject, ordinal: number, template: Json, revision: string): Promise<void> {
    const pod = memberPod(set, template, revision, ordinal);
    const ns = set.metadata.namespace;
    for (const tmpl of claimTemplates(set)) {
      const claimBody = memberClaim(set, tmpl, ordinal);
      if (pvcInf.get(ns, claimBody.metadata.name!)) continue;
      try {
        await ctx.api.create(R.persistentvolumeclaims, ns, claimBody);
        recorder.normal(set, 'SuccessfulCreate', `create Claim ${claimBody.metadata.name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success`);
      } catch (err) {
        if (isConflict(err)) continue;
        recorder.warning(set, 'FailedCreate', `create Claim ${claimBody.metadata.name} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`);
        throw err;
      }
    }
    try {
      await ctx.api.create(R.pods, ns, pod);
      recorder.normal(set, 'SuccessfulCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    } catch (err) {
      // NOTE: a pod of that name already existing means the cache is behind (or a foreign pod
      // holds the name): nothing to create; the next event brings the cache up to date.
      if (isConflict(err)) return;
      recorder.warning(set, 'FailedCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`);
      throw err;
    }
  }

  /** Deletes a member by uid precondition (a recreated pod of the same name is never hit). */
  async function deletePod(set: KubeObject, pod: KubeObject): Promise<void> {
    try {
      await ctx.api.delete(R.pods, pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid! } });
      recorder.normal(set, 'SuccessfulDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return;
      recorder.warning(set, 'FailedDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`);
      throw err;
    }
  }

  /** whenScaled=Delete: the condemned member's claims are owned by its pod instead of the set. */
  async function ownClaimsByPod(set: KubeObject, ordinal: number, pod: KubeObject): Promise<void> {
    for (const tmpl of claimTemplates(set)) {
      const claimObj = pvcInf.get(set.metadata.namespace, claimName(tmpl, set, ordinal));
      if (!claimObj || claimObj.metadata.ownerReferences?.some((r) => r.uid === pod.metadata.uid)) continue;
      // The set's reference goes (else the collector would only drop the pod's once it is gone).
      const refs = [...(claimObj.metadata.ownerReferences ?? []).filter((r) => r.uid !== set.metadata.uid), { ...ownerRefTo(pod), controller: false }];
      await ctx.api.patch(R.persistentvolumeclaims, claimObj.metadata.namespace, claimObj.metadata.name!, 'merge', { metadata: { ownerReferences: refs } }).catch((err: Error) => {
        if (!isNotFound(err)) throw err;
      });
    }
  }

  async function writeStatus(set: KubeObject, members: KubeObject[], currentRevision: string, updateRevision: string): Promise<void> {
    const s = spec(set);
    const minReady = num(s.minReadySeconds, 0);
    let replicas = 0;
    let ready = 0;
    let available = 0;
    let current = 0;
    let updated = 0;
    const waits: number[] = [];
    for (const pod of members) {
      replicas++;
      if (isRunningAndReady(pod)) {
        ready++;
        if (isPodAvailable(pod, minReady)) available++;
        const w = msUntilAvailable(pod, minReady);
        if (w !== undefined) waits.push(w);
      }
      if (pod.metadata.deletionTimestamp) continue;
      if (revisionOf(pod) === currentRevision) current++;
      if (revisionOf(pod) === updateRevision) updated++;
    }
    if (waits.length) queue.addAfter(objectKey(set), Math.min(...waits) + 10);
    const next: Json = {
      ...status(set),
      observedGeneration: set.metadata.generation ?? 1,
      replicas,
      readyReplicas: ready,
      currentReplicas: current,
      updatedReplicas: updated,
      availableReplicas: available,
      currentRevision,
      updateRevision,
      collisionCount: num(status(set).collisionCount, 0),
    };
    const rolling = (s.updateStrategy as Json | undefined)?.type !== 'OnDelete';
    if (rolling && updated === replicas && ready === replicas) {
      next.currentRevision = updateRevision;
      next.currentReplicas = updated;
    }
    // OnDelete: the update is complete once every member runs the new revision.
    if (!rolling && updated === replicas && replicas === num(s.replicas, 1)) {
      next.currentRevision = updateRevision;
      next.currentReplicas = updated;
    }
    if (jsonEqual(next, status(set))) return;
    await updateWithRetry(ctx.api, R.statefulsets, set.metadata.namespace, set.metadata.name!, (cur) => (cur.metadata.uid === set.metadata.uid ? { ...cur, status: { ...status(cur), ...next } } : undefined), 'status');
  }

  return {
    name: 'statefulset',
    queues: [queue],
    start: all,
    stop() {
      queue.stop();
    },
  };
}
