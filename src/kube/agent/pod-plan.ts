import type { KubeObject } from '../types.js';
import { kubeTime } from '../types.js';
import { currentInstance, previousInstance, type RuntimeContainer, type RuntimeSandbox } from './runtime.js';
import { containersOf, initContainersOf, qosClassOf, restartPolicyOf, specOf, statusOf, type ContainerSpec, type PodCondition } from './pod-spec.js';

/**
 * The kubelet's decisions for one pod, as a pure function of the pod, the runtime's snapshot
 * and what the agent remembers (back-offs, start failures, probe results): which containers
 * to start now, when to look again, and the complete `status` to publish.
 *
 * Rules:
 * - Init containers run one at a time, in order; each must exit 0 before the next starts,
 *   and regular containers wait (`PodInitializing`) until all have.
 * - A regular container that exits restarts under `Always`, and under `OnFailure` when its
 *   code is not 0; an init container restarts when it failed, unless the policy is `Never`.
 *   The first restart is immediate; a container that exits again within its back-off waits
 *   (`CrashLoopBackOff`), the delay doubling from `initialMs` up to `maxMs`.
 * - An image pull that failed shows `ErrImagePull`, then `ImagePullBackOff` while its own
 *   back-off runs; `InvalidImageName` never retries (the spec must change).
 * - Phase: Pending until every regular container has started once; Succeeded when all
 *   exited 0 and none will restart; Failed when all exited, some not 0, none will restart (or
 *   an init container failed under `Never`); Running otherwise.
 */
export interface PodMemory {
  /** `run:<container>` (crash loop) and `pull:<container>` (image pull) back-offs. */
  backoff: Map<string, { delayMs: number; lastStart: number }>;
  /** The last failure to pull or start a container, by container name; cleared by a start. */
  failures: Map<string, { reason: string; message: string }>;
  /** Readiness by container instance id (absent: not probed yet). */
  ready: Map<string, boolean>;
  /** Startup probe passed, by container instance id. */
  started: Map<string, boolean>;
}

export function newPodMemory(): PodMemory {
  return { backoff: new Map(), failures: new Map(), ready: new Map(), started: new Map() };
}

export interface StartAction {
  container: ContainerSpec;
  kind: 'init' | 'regular';
  attempt: number;
}

export interface PodPlan {
  start: StartAction[];
  /** Epoch ms at which a back-off ends and the pod needs another look. */
  wakeAt: number | undefined;
  status: Record<string, unknown>;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
}

export interface PlanInput {
  pod: KubeObject;
  sandbox: RuntimeSandbox | undefined;
  /** Why the sandbox could not be made, if it could not. */
  sandboxError?: { reason: string; message: string };
  memory: PodMemory;
  hostIP: string;
  now: number;
  backoff: { initialMs: number; maxMs: number };
}

interface ContainerOutcome {
  status: Record<string, unknown>;
  start?: StartAction;
  wakeAt?: number;
  running: boolean;
  ready: boolean;
  /** Exited and will not run again. */
  finished: boolean;
  exitCode?: number;
  /** Has had at least one instance. */
  everStarted: boolean;
}

export function planPod(input: PlanInput): PodPlan {
  const { pod, sandbox } = input;
  const policy = restartPolicyOf(pod);
  const inits = initContainersOf(pod);
  const regular = containersOf(pod);
  const start: StartAction[] = [];
  let wakeAt: number | undefined;
  const wake = (t: number | undefined) => {
    if (t !== undefined && (wakeAt === undefined || t < wakeAt)) wakeAt = t;
  };

  // Init containers: the first one not done decides.
  const initStatuses: Record<string, unknown>[] = [];
  let initDone = true;
  let initFailed = false;
  const pendingInit: string[] = [];
  for (const c of inits) {
    if (!initDone || !sandbox) {
      initStatuses.push(waitingStatus(c, 'PodInitializing', undefined));
      pendingInit.push(c.name);
      initDone = false;
      continue;
    }
    const o = containerOutcome(input, c, 'init', policy);
    initStatuses.push(o.status);
    wake(o.wakeAt);
    if (o.finished && o.exitCode === 0) continue;
    initDone = false;
    pendingInit.push(c.name);
    if (o.start) start.push(o.start);
    if (o.finished) initFailed = true;
  }

  const outcomes: ContainerOutcome[] = [];
  for (const c of regular) {
    if (!sandbox || !initDone) {
      const cur = currentInstance(sandbox, c.name);
      outcomes.push({ status: waitingStatus(c, initDone ? 'ContainerCreating' : 'PodInitializing', undefined, cur?.attempt ?? 0), running: false, ready: false, finished: false, everStarted: false });
      continue;
    }
    const o = containerOutcome(input, c, 'regular', policy);
    outcomes.push(o);
    wake(o.wakeAt);
    if (o.start) start.push(o.start);
  }

  let phase: PodPlan['phase'];
  if (initFailed) phase = 'Failed';
  else if (!initDone || outcomes.some((o) => !o.everStarted)) phase = 'Pending';
  else if (outcomes.length > 0 && outcomes.every((o) => o.finished)) phase = outcomes.every((o) => o.exitCode === 0) ? 'Succeeded' : 'Failed';
  else phase = 'Running';

  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const notReady = regular.filter((_, i) => !outcomes[i]!.ready).map((c) => c.name);
  const containersReady = !terminal && notReady.length === 0 && regular.length > 0;
  const gates = specOf(pod).readinessGates ?? [];
  const prev = statusOf(pod);
  const gatesOk = gates.every((g) => prev.conditions?.find((x) => x.type === g.conditionType)?.status === 'True');
  const now = kubeTime(input.now);
  const cond = (type: string, ok: boolean, reason?: string, message?: string): PodCondition => {
    const old = prev.conditions?.find((x) => x.type === type);
    const status = ok ? 'True' : 'False';
    const c: PodCondition = { type, status, lastProbeTime: null, lastTransitionTime: old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : now };
    if (!ok && reason) c.reason = reason;
    if (!ok && message) c.message = message;
    return c;
  };
  const unready = terminal ? ['PodCompleted', undefined] : ['ContainersNotReady', `containers with unready status: [${notReady.join(' ')}]`];
  const conditions: PodCondition[] = [
    cond('PodReadyToStartContainers', !!sandbox && !terminal),
    cond('Initialized', initDone, 'ContainersNotInitialized', `containers with incomplete status: [${pendingInit.join(' ')}]`),
    cond('Ready', containersReady && gatesOk, unready[0], containersReady && !gatesOk ? 'the status of pod readiness gates is not "True"' : unready[1]),
    cond('ContainersReady', containersReady, unready[0], unready[1]),
    prev.conditions?.find((x) => x.type === 'PodScheduled') ?? cond('PodScheduled', true),
  ];
  // Conditions set by others (readiness gates, DisruptionTarget) are kept.
  for (const c of prev.conditions ?? []) if (!conditions.some((x) => x.type === c.type)) conditions.push(c);
  if (terminal) {
    const ready = conditions[2]!;
    ready.reason = 'PodCompleted';
    delete ready.message;
  }

  const status: Record<string, unknown> = {
    phase,
    conditions,
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    startTime: prev.startTime ?? now,
    qosClass: prev.qosClass ?? qosClassOf(pod),
    containerStatuses: outcomes.map((o) => o.status),
  };
  if (sandbox) {
    status.podIP = sandbox.ip;
    status.podIPs = [{ ip: sandbox.ip }];
  } else if (prev.podIP) {
    status.podIP = prev.podIP;
    status.podIPs = [{ ip: prev.podIP }];
  }
  if (inits.length) status.initContainerStatuses = initStatuses;
  if (input.sandboxError && !sandbox) status.message = input.sandboxError.message;
  return { start, wakeAt, status, phase };
}

function containerOutcome(input: PlanInput, c: ContainerSpec, kind: 'init' | 'regular', policy: 'Always' | 'OnFailure' | 'Never'): ContainerOutcome {
  const { sandbox, memory, now } = input;
  const cur = currentInstance(sandbox, c.name);
  const prev = previousInstance(sandbox, c.name);
  const failure = memory.failures.get(c.name);
  const restartCount = cur?.attempt ?? 0;
  const base = { running: false, ready: false, finished: false, everStarted: !!cur };

  // Not started yet, or restarting after a failed pull/create: retry under the pull back-off.
  const tryStart = (attempt: number, lastState: RuntimeContainer | undefined): ContainerOutcome => {
    if (failure) {
      const status = waitingStatus(c, failure.reason, failure.message, restartCount, lastState);
      if (failure.reason === 'InvalidImageName' || failure.reason === 'ErrImageNeverPull') return { ...base, status };
      const until = backoffUntil(memory, `pull:${c.name}`);
      const b = memory.backoff.get(`pull:${c.name}`);
      // A fresh failure shows as itself (ErrImagePull) for the first half of its back-off
      // (at most 2 s), then as ImagePullBackOff until the retry, as the kubelet's next syncs do.
      const fresh = b ? b.lastStart + Math.min(2000, b.delayMs / 2) : undefined;
      if (fresh !== undefined && fresh > now) return { ...base, status, wakeAt: fresh };
      if (until !== undefined && until > now) {
        const reason = failure.reason === 'ErrImagePull' ? 'ImagePullBackOff' : failure.reason;
        const message = failure.reason === 'ErrImagePull' ? `Back-off pulling image "${c.image ?? ''}": ${failure.message}` : failure.message;
        return { ...base, status: waitingStatus(c, reason, message, restartCount, lastState), wakeAt: until };
      }
      return { ...base, status, start: { container: c, kind, attempt } };
    }
    return { ...base, status: waitingStatus(c, 'ContainerCreating', undefined, restartCount, lastState), start: { container: c, kind, attempt } };
  };

  if (!cur) return tryStart(0, undefined);
  if (cur.state === 'running') {
    const ready = kind === 'regular' && (memory.ready.get(cur.id) ?? !c.readinessProbe);
    const started = c.startupProbe ? (memory.started.get(cur.id) ?? false) : true;
    return { ...base, running: true, ready: ready && started, status: runningStatus(c, cur, prev, ready && started, started) };
  }
  const failed = cur.exitCode !== 0;
  const restart = kind === 'init' ? failed && policy !== 'Never' : policy === 'Always' || (policy === 'OnFailure' && failed);
  if (!restart) {
    return { ...base, finished: true, exitCode: cur.exitCode ?? 0, status: terminatedStatus(c, cur, prev) };
  }
  if (failure) return tryStart(cur.attempt + 1, cur);
  const until = backoffUntil(memory, `run:${c.name}`);
  if (until !== undefined && until > now) {
    const b = memory.backoff.get(`run:${c.name}`)!;
    const pod = input.pod.metadata;
    const message = `back-off ${formatSeconds(b.delayMs)} restarting failed container=${c.name} pod=${pod.name}_${pod.namespace}(${pod.uid})`;
    return { ...base, status: waitingStatus(c, 'CrashLoopBackOff', message, restartCount, cur), wakeAt: until };
  }
  return { ...base, status: terminatedStatus(c, cur, prev), start: { container: c, kind, attempt: cur.attempt + 1 } };
}

function backoffUntil(memory: PodMemory, key: string): number | undefined {
  const b = memory.backoff.get(key);
  return b ? b.lastStart + b.delayMs : undefined;
}

/** Records that `key` was (re)tried now: the next retry waits `initialMs`, then twice as long each time. */
export function bumpBackoff(memory: PodMemory, key: string, now: number, cfg: { initialMs: number; maxMs: number }): void {
  const b = memory.backoff.get(key);
  // A container that stayed up for twice the maximum starts over (the kubelet's reset rule).
  const fresh = !b || now - b.lastStart > 2 * cfg.maxMs;
  memory.backoff.set(key, { delayMs: fresh ? cfg.initialMs : Math.min(b.delayMs * 2, cfg.maxMs), lastStart: now });
}

function formatSeconds(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m0s`;
  return `${Math.round(ms / 100) / 10}s`;
}

function common(c: ContainerSpec, inst: RuntimeContainer | undefined, restartCount: number): Record<string, unknown> {
  const s: Record<string, unknown> = { name: c.name, image: c.image ?? '', imageID: inst?.imageID ?? '', ready: false, started: false, restartCount };
  if (inst) s.containerID = inst.id;
  return s;
}

function terminated(inst: RuntimeContainer): Record<string, unknown> {
  const t: Record<string, unknown> = {
    exitCode: inst.exitCode ?? 0,
    reason: inst.reason ?? (inst.exitCode === 0 ? 'Completed' : 'Error'),
    startedAt: kubeTime(inst.startedAt),
    finishedAt: kubeTime(inst.finishedAt ?? inst.startedAt),
    containerID: inst.id,
  };
  if (inst.message) t.message = inst.message;
  return t;
}

function lastStateOf(inst: RuntimeContainer | undefined): Record<string, unknown> {
  return inst && inst.state === 'exited' ? { terminated: terminated(inst) } : {};
}

function waitingStatus(c: ContainerSpec, reason: string, message: string | undefined, restartCount = 0, last?: RuntimeContainer): Record<string, unknown> {
  const s = common(c, last, restartCount);
  s.state = { waiting: message ? { reason, message } : { reason } };
  s.lastState = lastStateOf(last);
  return s;
}

function runningStatus(c: ContainerSpec, cur: RuntimeContainer, prev: RuntimeContainer | undefined, ready: boolean, started: boolean): Record<string, unknown> {
  const s = common(c, cur, cur.attempt);
  s.ready = ready;
  s.started = started;
  s.state = { running: { startedAt: kubeTime(cur.startedAt) } };
  s.lastState = lastStateOf(prev);
  return s;
}

function terminatedStatus(c: ContainerSpec, cur: RuntimeContainer, prev: RuntimeContainer | undefined): Record<string, unknown> {
  const s = common(c, cur, cur.attempt);
  s.state = { terminated: terminated(cur) };
  s.lastState = lastStateOf(prev);
  return s;
}
