import type { KubeObject } from '../types.js';
import { deploymentStatus } from './deployment-status.js';
import { EventRecorder } from './events.js';
import { objectKey, splitKey } from './informer.js';
import { claim, controllerRef, isConflict, num, ownerRefTo, R, selectorMatches, spec, templateHash, type Controller, type ControllerContext, type Json } from './objects.js';
import { isPodActive } from './pods.js';
import { WorkQueue } from './queue.js';
import {
  DESIRED,
  HASH_LABEL,
  MAX_REPLICAS,
  REVISION,
  byCreation,
  isRollingUpdate,
  newRSReplicas,
  oldScaleDownBudget,
  planOldScaleDown,
  proportionalSizes,
  replicasOf,
  revisionOf,
  rsReplicas,
  sameTemplate,
  surgeAndUnavailable,
} from './rollout.js';

/** Annotations of a Deployment never copied to its ReplicaSets (upstream `skipCopyAnnotation`). */
const SKIP_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration', REVISION, DESIRED, MAX_REPLICAS, 'deployment.kubernetes.io/revision-history']);

/**
 * Deployment controller: one ReplicaSet per pod template (`<name>-<pod-template-hash>`), the
 * newest carrying the highest `deployment.kubernetes.io/revision`. RollingUpdate grows the new
 * ReplicaSet within maxSurge and shrinks old ones while availability stays ≥ replicas −
 * maxUnavailable; Recreate scales old ones to 0 and waits for their pods to go before creating
 * the new one. A template equal to an old ReplicaSet's (`kubectl rollout undo`) reuses that
 * ReplicaSet and bumps its revision. Old ReplicaSets at 0 beyond `revisionHistoryLimit` are
 * deleted. Status and the Available/Progressing conditions are computed in `deployment-status.ts`.
 */
export function deploymentController(ctx: ControllerContext): Controller {
  const dInf = ctx.informers.for(R.deployments);
  const rsInf = ctx.informers.for(R.replicasets);
  const podInf = ctx.informers.for(R.pods);
  const recorder = new EventRecorder(ctx.api, 'deployment-controller', ctx.log);
  const queue = new WorkQueue('deployment', sync, ctx.log);

  dInf.addHandler((_t, d) => queue.add(objectKey(d)));
  const enqueueOwner = (rs: KubeObject) => {
    const ref = controllerRef(rs);
    if (ref?.kind === 'Deployment') return queue.add(`${rs.metadata.namespace}/${ref.name}`);
    if (ref) return;
    for (const d of dInf.list(rs.metadata.namespace)) if (selectorMatches(spec(d).selector, rs.metadata.labels)) queue.add(objectKey(d));
  };
  rsInf.addHandler((_t, rs, old) => {
    enqueueOwner(rs);
    if (old && controllerRef(old)?.uid !== controllerRef(rs)?.uid) enqueueOwner(old);
  });
  // Recreate waits for old pods to disappear.
  podInf.addHandler((type, pod) => {
    if (type !== 'DELETED') return;
    const ref = controllerRef(pod);
    const rs = ref?.kind === 'ReplicaSet' ? rsInf.get(pod.metadata.namespace, ref.name) : undefined;
    if (rs) enqueueOwner(rs);
  });

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const d = dInf.get(namespace, name);
    if (!d) return;
    const s = spec(d);
    const all = await claim(ctx.api, R.replicasets, d, s.selector, rsInf.list(namespace));
    if (d.metadata.deletionTimestamp) return writeStatus(d, all, findNew(d, all));
    if (!s.selector || Object.keys(s.selector as Json).length === 0) {
      recorder.warning(d, 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      return;
    }
    let newRS = findNew(d, all);
    if (s.paused) {
      await scaleIfNeeded(d, all, newRS);
      await cleanup(d, all, newRS);
      return writeStatus(d, all, newRS);
    }
    if (isScalingEvent(d, all, newRS)) {
      await scaleIfNeeded(d, all, newRS);
      return writeStatus(d, all, newRS);
    }
    if (!isRollingUpdate(d)) return recreate(d, all, newRS);
    newRS = await ensureNewRS(d, all, newRS);
    const withNew = all.includes(newRS) ? all : [...all, newRS];
    const olds = withNew.filter((rs) => rs !== newRS);
    // Grow the new ReplicaSet, else shrink the old ones.
    const target = newRSReplicas(d, withNew, newRS);
    if (target !== rsReplicas(newRS)) {
      await scaleRS(d, newRS, target);
      return writeStatus(d, withNew, newRS);
    }
    if (olds.some((rs) => rsReplicas(rs) > 0) && oldScaleDownBudget(d, withNew, newRS) > 0) {
      const plan = planOldScaleDown(d, olds, withNew, oldScaleDownBudget(d, withNew, newRS));
      let scaled = false;
      for (const [rs, size] of plan) if (size !== rsReplicas(rs)) scaled = (await scaleRS(d, rs, size)) || scaled;
      if (scaled) return writeStatus(d, withNew, newRS);
    }
    await cleanup(d, withNew, newRS);
    return writeStatus(d, withNew, newRS);
  }

  async function recreate(d: KubeObject, all: KubeObject[], newRS: KubeObject | undefined): Promise<void> {
    const olds = all.filter((rs) => rs !== newRS);
    let scaled = false;
    for (const rs of olds) if (rsReplicas(rs) > 0) scaled = (await scaleRS(d, rs, 0)) || scaled;
    if (scaled) return writeStatus(d, all, newRS);
    const oldUids = new Set(olds.map((rs) => rs.metadata.uid));
    const oldPodsLeft = podInf.list(d.metadata.namespace).some((p) => oldUids.has(controllerRef(p)?.uid) && (isPodActive(p) || p.metadata.deletionTimestamp));
    if (oldPodsLeft) return writeStatus(d, all, newRS);
    const created = await ensureNewRS(d, all, newRS);
    const withNew = all.includes(created) ? all : [...all, created];
    if (rsReplicas(created) !== replicasOf(d)) await scaleRS(d, created, replicasOf(d));
    await cleanup(d, withNew, created);
    return writeStatus(d, withNew, created);
  }

  function findNew(d: KubeObject, all: KubeObject[]): KubeObject | undefined {
    return [...all].sort(byCreation).find((rs) => sameTemplate(spec(rs).template, spec(d).template));
  }

  function isScalingEvent(d: KubeObject, all: KubeObject[], newRS: KubeObject | undefined): boolean {
    const active = all.filter((rs) => rsReplicas(rs) > 0);
    if (active.length === 0) return false;
    if (!newRS && !spec(d).paused) return false;
    return active.some((rs) => {
      const desired = rs.metadata.annotations?.[DESIRED];
      return desired !== undefined && Number(desired) !== replicasOf(d);
    });
  }

  /** Upstream `scale()`: one active ReplicaSet takes the new size; several share it proportionally. */
  async function scaleIfNeeded(d: KubeObject, all: KubeObject[], newRS: KubeObject | undefined): Promise<void> {
    const active = all.filter((rs) => rsReplicas(rs) > 0);
    const replicas = replicasOf(d);
    if (active.length <= 1) {
      const target = active[0] ?? newRS;
      if (target && (rsReplicas(target) !== replicas || target.metadata.annotations?.[DESIRED] !== String(replicas))) await scaleRS(d, target, replicas);
      return;
    }
    if (newRS && rsReplicas(newRS) === replicas && num((newRS.status as Json | undefined)?.availableReplicas, 0) >= replicas) {
      for (const rs of active) if (rs !== newRS) await scaleRS(d, rs, 0);
      return;
    }
    for (const [rs, size] of proportionalSizes(d, active, newRS)) await scaleRS(d, rs, size);
  }

  /** The ReplicaSet for the current template, created if missing, with its revision brought up to date. */
  async function ensureNewRS(d: KubeObject, all: KubeObject[], existing: KubeObject | undefined): Promise<KubeObject> {
    const olds = all.filter((rs) => rs !== existing);
    const maxOld = Math.max(0, ...olds.map(revisionOf));
    const revision = existing && revisionOf(existing) > maxOld ? revisionOf(existing) : maxOld + 1;
    if (existing) {
      const ann = existing.metadata.annotations ?? {};
      const wanted = rsAnnotations(d, revision, ann);
      if (Object.entries(wanted).some(([k, v]) => ann[k] !== v)) {
        const updated = await ctx.api.update(R.replicasets, d.metadata.namespace, existing.metadata.name!, {
          ...existing,
          metadata: { ...existing.metadata, annotations: { ...ann, ...wanted } },
        });
        existing = updated;
      }
      await setDeploymentRevision(d, revision);
      return existing;
    }
    return createNewRS(d, all, revision);
  }

  async function createNewRS(d: KubeObject, all: KubeObject[], revision: number): Promise<KubeObject> {
    const s = spec(d);
    let collisions = num((d.status as Json | undefined)?.collisionCount, 0);
    for (let attempt = 0; attempt < 5; attempt++) {
      const hash = templateHash(s.template, collisions);
      const template = structuredClone(s.template as Json);
      const meta = ((template.metadata as Json | undefined) ?? {}) as Json;
      meta.labels = { ...((meta.labels as Record<string, string>) ?? {}), [HASH_LABEL]: hash };
      template.metadata = meta;
      const selector = structuredClone(s.selector as Json);
      selector.matchLabels = { ...((selector.matchLabels as Record<string, string>) ?? {}), [HASH_LABEL]: hash };
      const replicas = newRSReplicas(d, all, undefined);
      const body: KubeObject = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${d.metadata.name}-${hash}`,
          namespace: d.metadata.namespace,
          labels: meta.labels as Record<string, string>,
          annotations: rsAnnotations(d, revision, {}),
          ownerReferences: [ownerRefTo(d)],
        },
        spec: { replicas, minReadySeconds: num(s.minReadySeconds, 0), selector, template },
      };
      try {
        const created = await ctx.api.create(R.replicasets, d.metadata.namespace, body);
        if (replicas > 0) recorder.normal(d, 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${replicas}`);
        await setDeploymentRevision(d, revision);
        await setProgressing(d, 'NewReplicaSetCreated', `Created new replica set "${created.metadata.name}"`);
        return created;
      } catch (err) {
        if (!isConflict(err)) throw err;
        // AlreadyExists: ours from a sync the cache hasn't shown yet, or a hash collision.
        const clash = await ctx.api.get(R.replicasets, d.metadata.namespace, body.metadata.name!);
        if (controllerRef(clash)?.uid === d.metadata.uid && sameTemplate(spec(clash).template, s.template)) return clash;
        collisions++;
        await ctx.api.update(R.deployments, d.metadata.namespace, d.metadata.name!, { ...d, status: { ...((d.status as Json) ?? {}), collisionCount: collisions } }, { subresource: 'status' });
      }
    }
    throw new Error(`could not find a free ReplicaSet name for deployment ${d.metadata.name} after 5 hash collisions`);
  }

  function rsAnnotations(d: KubeObject, revision: number, current: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (!SKIP_ANNOTATIONS.has(k)) out[k] = v;
    const { maxSurge } = surgeAndUnavailable(d);
    out[DESIRED] = String(replicasOf(d));
    out[MAX_REPLICAS] = String(replicasOf(d) + maxSurge);
    const old = Number(current[REVISION] ?? '0');
    if (old < revision) {
      out[REVISION] = String(revision);
      if (old > 0) {
        const history = current['deployment.kubernetes.io/revision-history'];
        out['deployment.kubernetes.io/revision-history'] = history ? `${history},${old}` : String(old);
      }
    }
    return out;
  }

  async function setDeploymentRevision(d: KubeObject, revision: number): Promise<void> {
    if (d.metadata.annotations?.[REVISION] === String(revision)) return;
    await ctx.api.patch(R.deployments, d.metadata.namespace, d.metadata.name!, 'merge', { metadata: { annotations: { [REVISION]: String(revision) } } });
  }

  async function setProgressing(d: KubeObject, reason: string, message: string): Promise<void> {
    await deploymentStatus.markProgressing(ctx.api, d, reason, message);
  }

  /** Sets the size (and desired/max annotations) of one ReplicaSet; true when it changed. */
  async function scaleRS(d: KubeObject, rs: KubeObject, size: number): Promise<boolean> {
    const { maxSurge } = surgeAndUnavailable(d);
    const annotations = { ...(rs.metadata.annotations ?? {}), [DESIRED]: String(replicasOf(d)), [MAX_REPLICAS]: String(replicasOf(d) + maxSurge) };
    const from = rsReplicas(rs);
    if (from === size && rs.metadata.annotations?.[DESIRED] === annotations[DESIRED] && rs.metadata.annotations?.[MAX_REPLICAS] === annotations[MAX_REPLICAS]) return false;
    const body = { ...rs, metadata: { ...rs.metadata, annotations }, spec: { ...spec(rs), replicas: size } };
    await ctx.api.update(R.replicasets, rs.metadata.namespace, rs.metadata.name!, body);
    if (from !== size) recorder.normal(d, 'ScalingReplicaSet', `Scaled ${size > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${size}`);
    return from !== size;
  }

  /** Keeps at most `revisionHistoryLimit` (10) old ReplicaSets that are fully scaled down. */
  async function cleanup(d: KubeObject, all: KubeObject[], newRS: KubeObject | undefined): Promise<void> {
    const limit = num(spec(d).revisionHistoryLimit, 10);
    const idle = all
      .filter((rs) => rs !== newRS && rsReplicas(rs) === 0 && num((rs.status as Json | undefined)?.replicas, 0) === 0 && !rs.metadata.deletionTimestamp)
      .sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
      await ctx.api.delete(R.replicasets, rs.metadata.namespace, rs.metadata.name!, { preconditions: { uid: rs.metadata.uid! } }).catch((err: Error) => ctx.log(`deployment cleanup ${rs.metadata.name}: ${err.message}`));
    }
  }

  async function writeStatus(d: KubeObject, all: KubeObject[], newRS: KubeObject | undefined): Promise<void> {
    const retryIn = await deploymentStatus.sync(ctx.api, d, all, newRS);
    if (retryIn !== undefined) queue.addAfter(objectKey(d), retryIn);
  }

  return {
    name: 'deployment',
    queues: [queue],
    start() {
      for (const d of dInf.list()) queue.add(objectKey(d));
    },
    stop() {
      queue.stop();
    },
  };
}
