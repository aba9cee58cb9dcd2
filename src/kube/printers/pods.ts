import type { KubeObject } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, column, hasCondition, int, obj, objs, orNone, since, str, type J } from './format.js';
import type { Printer } from './index.js';

/**
 * `kubectl get pods`: Name, Ready, Status, Restarts, Age | IP, Node, Nominated Node,
 * Readiness Gates. The Status cell follows the upstream printer's documented algorithm
 * (reference §2.10): phase or `status.reason`; a pending init container wins (`Init:1/2`,
 * `Init:CrashLoopBackOff`); then the last container with a waiting/terminated reason;
 * `Completed` with a container still running reads `Running` (or `NotReady`); a deletion
 * timestamp on a non-terminal pod reads `Terminating`.
 */
export const podPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    AGE_COLUMN,
    column('IP', 'string', 'IP address allocated to the pod.', 1),
    column('Node', 'string', 'Name of the node the pod is assigned to.', 1),
    column('Nominated Node', 'string', 'Name of the node where the pod is nominated to run after preemption.', 1),
    column('Readiness Gates', 'string', 'Pod readiness gates that are true, out of all of them.', 1),
  ],
  cells: (pod, now) => {
    const s = podSummary(pod, now);
    const spec = obj(pod.spec);
    const status = obj(pod.status);
    const gates = objs(spec.readinessGates);
    const conditions = objs(status.conditions);
    const gatesTrue = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True').length;
    const ip = str(objs(status.podIPs)[0]?.ip) || str(status.podIP);
    return [
      str(pod.metadata.name),
      `${s.ready}/${s.total}`,
      s.status,
      s.restarts,
      since(pod.metadata.creationTimestamp, now),
      orNone(ip),
      orNone(str(spec.nodeName)),
      orNone(str(status.nominatedNodeName)),
      gates.length ? `${gatesTrue}/${gates.length}` : '<none>',
    ];
  },
};

export interface PodSummary {
  ready: number;
  total: number;
  status: string;
  restarts: string;
}

/** A sidecar: an init container with `restartPolicy: Always`, which keeps running. */
function isSidecar(c: J | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

function lastFinish(cs: J, latest: number): number {
  const finished = Date.parse(str(obj(obj(cs.lastState).terminated).finishedAt));
  return Number.isNaN(finished) ? latest : Math.max(latest, finished);
}

function terminatedReason(t: J, prefix = ''): string {
  if (str(t.reason)) return `${prefix}${str(t.reason)}`;
  return int(t.signal) !== 0 ? `${prefix}Signal:${int(t.signal)}` : `${prefix}ExitCode:${int(t.exitCode)}`;
}

/** Ready/total containers, the Status cell and the Restarts cell of a pod. */
export function podSummary(pod: KubeObject, now: number): PodSummary {
  const spec = obj(pod.spec);
  const status = obj(pod.status);
  const initSpecs = new Map(objs(spec.initContainers).map((c) => [str(c.name), c]));
  const total = objs(spec.containers).length + [...initSpecs.values()].filter(isSidecar).length;
  let ready = 0;
  let reason = str(status.reason) || str(status.phase);
  if (objs(status.conditions).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';

  // Init containers run in order; the first one not done decides the status.
  let restarts = 0;
  let lastRestart = 0;
  let sidecarRestarts = 0;
  let lastSidecarRestart = 0;
  let initializing = false;
  const initStatuses = objs(status.initContainerStatuses);
  for (const [i, cs] of initStatuses.entries()) {
    const sidecar = isSidecar(initSpecs.get(str(cs.name)));
    restarts += int(cs.restartCount);
    lastRestart = lastFinish(cs, lastRestart);
    if (sidecar) {
      sidecarRestarts += int(cs.restartCount);
      lastSidecarRestart = lastFinish(cs, lastSidecarRestart);
    }
    const state = obj(cs.state);
    const terminated = state.terminated === undefined ? undefined : obj(state.terminated);
    const waiting = state.waiting === undefined ? undefined : obj(state.waiting);
    if (terminated && int(terminated.exitCode) === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready === true) ready++;
      continue;
    }
    initializing = true;
    if (terminated) reason = terminatedReason(terminated, 'Init:');
    else if (waiting && str(waiting.reason) && waiting.reason !== 'PodInitializing') reason = `Init:${str(waiting.reason)}`;
    else reason = `Init:${i}/${initSpecs.size}`;
    break;
  }

  if (!initializing || hasCondition(status.conditions, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = objs(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += int(cs.restartCount);
      lastRestart = lastFinish(cs, lastRestart);
      const state = obj(cs.state);
      const waiting = obj(state.waiting);
      const terminated = state.terminated === undefined ? undefined : obj(state.terminated);
      if (str(waiting.reason)) reason = str(waiting.reason);
      else if (terminated) reason = terminatedReason(terminated);
      else if (cs.ready === true && state.running !== undefined) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = hasCondition(status.conditions, 'Ready') ? 'Running' : 'NotReady';
  }

  const phase = str(status.phase);
  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  const restartsCell = restarts !== 0 && lastRestart > 0 ? `${restarts} (${since(new Date(lastRestart).toISOString(), now)} ago)` : String(restarts);
  return { ready, total, status: reason, restarts: restartsCell };
}
