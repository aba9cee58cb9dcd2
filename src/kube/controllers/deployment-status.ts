import type { KubeApi } from '../api.js';
import { kubeTime, type KubeObject } from '../types.js';
import { conditions, jsonEqual, num, R, setCondition, status, updateWithRetry, type Condition, type Json } from './objects.js';
import { replicasOf, surgeAndUnavailable } from './rollout.js';

const MAX_INT32 = 2147483647;

/**
 * Deployment status as `kubectl rollout status` and `kubectl wait --for=condition=Available`
 * read it: counts summed over the ReplicaSets, `observedGeneration`, and the conditions
 * Available (MinimumReplicasAvailable / MinimumReplicasUnavailable) and Progressing
 * (NewReplicaSetCreated → ReplicaSetUpdated → NewReplicaSetAvailable, ProgressDeadlineExceeded
 * after `progressDeadlineSeconds` without progress, DeploymentPaused / DeploymentResumed).
 */
export const deploymentStatus = {
  /** Writes the status; returns when to look again (progress deadline), if ever. */
  async sync(api: KubeApi, d: KubeObject, all: KubeObject[], newRS: KubeObject | undefined): Promise<number | undefined> {
    let retryIn: number | undefined;
    await updateWithRetry(
      api,
      R.deployments,
      d.metadata.namespace,
      d.metadata.name!,
      (cur) => {
        if (cur.metadata.uid !== d.metadata.uid) return undefined;
        const computed = compute(cur, d, all, newRS);
        retryIn = computed.retryIn;
        if (jsonEqual(computed.status, status(cur))) return undefined;
        return { ...cur, status: computed.status };
      },
      'status',
    );
    return retryIn;
  },

  /** Progressing=True with `reason` (NewReplicaSetCreated, FoundNewReplicaSet…), refreshing lastUpdateTime. */
  async markProgressing(api: KubeApi, d: KubeObject, reason: string, message: string): Promise<void> {
    await updateWithRetry(
      api,
      R.deployments,
      d.metadata.namespace,
      d.metadata.name!,
      (cur) => {
        const now = kubeTime();
        const conds = setCondition(conditions(cur), { type: 'Progressing', status: 'True', reason, message, lastUpdateTime: now, lastTransitionTime: now });
        return { ...cur, status: { ...status(cur), conditions: order(conds) } };
      },
      'status',
    );
  },
};

function compute(cur: KubeObject, d: KubeObject, all: KubeObject[], newRS: KubeObject | undefined): { status: Json; retryIn?: number } {
  const old = status(cur);
  const sum = (f: (s: Json) => unknown) => all.reduce((acc, rs) => acc + num(f(status(rs)), 0), 0);
  const replicas = replicasOf(d);
  const available = sum((s) => s.availableReplicas);
  const next: Json = {
    ...old,
    observedGeneration: d.metadata.generation ?? 1,
    replicas: sum((s) => s.replicas),
    updatedReplicas: newRS ? num(status(newRS).replicas, 0) : 0,
    readyReplicas: sum((s) => s.readyReplicas),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, replicas - available),
  };
  for (const k of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas']) {
    // Upstream omits zero counts (omitempty); kubectl treats a missing count as 0.
    if (next[k] === 0) delete next[k];
  }
  const now = kubeTime();
  let conds = conditions(cur);
  const { maxUnavailable } = surgeAndUnavailable(d);
  conds =
    available >= replicas - maxUnavailable
      ? setCondition(conds, { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: now, lastTransitionTime: now })
      : setCondition(conds, { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.', lastUpdateTime: now, lastTransitionTime: now });
  keepUpdateTimeIfSame(conds, conditions(cur), 'Available');

  const deadline = num((d.spec as Json | undefined)?.progressDeadlineSeconds, 600);
  let retryIn: number | undefined;
  let progressing = conds.find((c) => c.type === 'Progressing');
  const paused = Boolean((d.spec as Json | undefined)?.paused);
  if (paused && progressing?.reason !== 'DeploymentPaused') {
    conds = setCondition(conds, { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused', lastUpdateTime: now, lastTransitionTime: now });
  } else if (!paused && progressing?.reason === 'DeploymentPaused') {
    conds = setCondition(conds, { type: 'Progressing', status: 'Unknown', reason: 'DeploymentResumed', message: 'Deployment is resumed', lastUpdateTime: now, lastTransitionTime: now });
  } else if (deadline >= MAX_INT32) {
    conds = conds.filter((c) => c.type !== 'Progressing');
  } else if (!paused && newRS) {
    progressing = conds.find((c) => c.type === 'Progressing');
    const rsName = newRS.metadata.name;
    const complete =
      num(next.updatedReplicas, 0) === replicas && num(next.replicas, 0) === replicas && available === replicas && (d.metadata.generation ?? 1) <= num(next.observedGeneration, 0);
    const progressed =
      num(next.updatedReplicas, 0) > num(old.updatedReplicas, 0) ||
      num(next.replicas, 0) - num(next.updatedReplicas, 0) < num(old.replicas, 0) - num(old.updatedReplicas, 0) ||
      num(next.readyReplicas, 0) > num(old.readyReplicas, 0) ||
      available > num(old.availableReplicas, 0);
    if (complete) {
      conds = setCondition(conds, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.`, lastUpdateTime: now, lastTransitionTime: now });
      if (progressing?.reason === 'NewReplicaSetAvailable') keepUpdateTimeIfSame(conds, conditions(cur), 'Progressing');
    } else if (progressed || !progressing) {
      conds = setCondition(conds, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.`, lastUpdateTime: now, lastTransitionTime: now });
      retryIn = deadline * 1000 + 100;
    } else if (progressing.reason === 'ProgressDeadlineExceeded') {
      // stays until progress resumes
    } else if (progressing.reason !== 'NewReplicaSetAvailable') {
      const since = Date.parse(progressing.lastUpdateTime ?? progressing.lastTransitionTime ?? '') || Date.now();
      const left = since + deadline * 1000 - Date.now();
      if (left < 0) {
        conds = setCondition(conds, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.`, lastUpdateTime: now, lastTransitionTime: now });
      } else {
        retryIn = left + 100;
      }
    }
  }
  next.conditions = order(conds);
  return { status: next, retryIn };
}

/** Keeps the old `lastUpdateTime` when nothing but timestamps changed, so idle syncs write nothing. */
function keepUpdateTimeIfSame(next: Condition[], prev: Condition[], type: string): void {
  const a = next.find((c) => c.type === type);
  const b = prev.find((c) => c.type === type);
  if (a && b && a.status === b.status && a.reason === b.reason && a.message === b.message) {
    a.lastUpdateTime = b.lastUpdateTime;
    a.lastTransitionTime = b.lastTransitionTime;
  }
}

/** Available first, then Progressing, then anything else: the order upstream writes them. */
function order(conds: Condition[]): Condition[] {
  const rank = (c: Condition) => (c.type === 'Available' ? 0 : c.type === 'Progressing' ? 1 : 2);
  return [...conds].sort((a, b) => rank(a) - rank(b));
}
