import type { KubeApi } from '../api.js';
import { KubeError } from '../errors.js';
import { findResource } from '../resources.js';
import type { KubeObject } from '../types.js';
import { bumpBackoff, newPodMemory, planPod, type PodMemory, type StartAction } from './pod-plan.js';
import { envOf, pullPolicyOf, specOf, statusOf } from './pod-spec.js';
import { Prober } from './probes.js';
import { RuntimeError, currentInstance, type PodRuntime, type RuntimeSandbox } from './runtime.js';

const PODS = findResource('', 'v1', 'pods')!;

export interface PodWorkersOptions {
  api: Pick<KubeApi, 'patch' | 'delete'>;
  runtime: PodRuntime;
  hostIP: string;
  backoff: { initialMs: number; maxMs: number };
  log: (msg: string) => void;
}

interface Worker {
  uid: string;
  pod: KubeObject;
  memory: PodMemory;
  /** The running sync, if any; `again` asks it to run once more. */
  running: Promise<void> | undefined;
  again: boolean;
  timer: NodeJS.Timeout | undefined;
  lastPosted: string;
  /** Removed from the API (or never there): kill and forget. */
  gone: boolean;
  terminating: boolean;
  terminal: boolean;
}

/**
 * One serialized sync loop per pod (the kubelet's pod workers): every trigger (a watch event,
 * a runtime change, a back-off timer, a probe result) marks the pod dirty; a sync runs the
 * plan (`pod-plan.ts`), publishes status, starts what the plan says, and repeats while dirty.
 *
 * - Deletion: a pod with `deletionTimestamp` gets its containers stopped with its grace
 *   period (`deletionGracePeriodSeconds`, else `terminationGracePeriodSeconds`, else 30 s),
 *   then `DELETE …?gracePeriodSeconds=0` with a uid precondition ends it in the API.
 * - A pod that vanished from the API (force delete, or deleted while the agent was down) is
 *   killed at once.
 * - A pod in a terminal phase is left alone; its exited containers stay for `kubectl logs`
 *   until the pod is deleted.
 */
export class PodWorkers {
  private readonly workers = new Map<string, Worker>();
  private readonly prober: Prober;
  private stopped = false;

  constructor(private readonly o: PodWorkersOptions) {
    this.prober = new Prober(o.runtime, (uid) => this.kick(uid), o.log);
  }

  /** A pod bound to this node was added or changed in the API. */
  update(pod: KubeObject): void {
    const uid = pod.metadata.uid;
    if (!uid) return;
    let w = this.workers.get(uid);
    if (!w) {
      w = { uid, pod, memory: newPodMemory(), running: undefined, again: false, timer: undefined, lastPosted: '', gone: false, terminating: false, terminal: false };
      this.workers.set(uid, w);
    }
    w.pod = pod;
    this.kick(uid);
  }

  /** The pod is gone from the API. */
  remove(pod: KubeObject): void {
    const uid = pod.metadata.uid;
    if (!uid) return;
    const w = this.workers.get(uid);
    if (w) {
      w.gone = true;
      this.kick(uid);
    } else void this.killOrphan(uid);
  }

  /** Kills sandboxes of pods the API no longer has (after the first list, and on adoption). */
  async reconcileOrphans(known: Set<string>): Promise<void> {
    for (const sb of this.o.runtime.sandboxes()) if (!known.has(sb.uid) && !this.workers.has(sb.uid)) await this.killOrphan(sb.uid, sb);
  }

  /** Re-syncs a pod (runtime change, timer, probe). */
  kick(uid: string): void {
    const w = this.workers.get(uid);
    if (!w || this.stopped) return;
    if (w.running) {
      w.again = true;
      return;
    }
    w.running = (async () => {
      do {
        w.again = false;
        try {
          await this.sync(w);
        } catch (err) {
          this.o.log(`pod ${w.pod.metadata.namespace}/${w.pod.metadata.name}: sync failed: ${(err as Error).message}; retrying in 1 s`);
          this.wakeAt(w, Date.now() + 1000);
        }
      } while (w.again && !this.stopped);
      w.running = undefined;
    })();
  }

  /** Stops every loop (pods keep running in the runtime). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.prober.stopAll();
    for (const w of this.workers.values()) if (w.timer) clearTimeout(w.timer);
    await Promise.all([...this.workers.values()].map((w) => w.running));
  }

  /** For tests and diagnostics: what the agent remembers of a pod. */
  memoryOf(uid: string): PodMemory | undefined {
    return this.workers.get(uid)?.memory;
  }

  private async sync(w: Worker): Promise<void> {
    const { runtime } = this.o;
    const pod = w.pod;
    const meta = pod.metadata;
    const label = `${meta.namespace}/${meta.name}`;
    if (w.gone) {
      this.prober.stopPod(w.uid);
      if (w.timer) clearTimeout(w.timer);
      this.workers.delete(w.uid);
      if (runtime.sandbox(w.uid)) {
        this.o.log(`pod ${label} is gone from the API; killing it`);
        await runtime.removeSandbox(w.uid, 0);
      }
      return;
    }
    if (meta.deletionTimestamp) {
      if (w.terminating) return;
      w.terminating = true;
      this.prober.stopPod(w.uid);
      const grace = meta.deletionGracePeriodSeconds ?? specOf(pod).terminationGracePeriodSeconds ?? 30;
      await runtime.removeSandbox(w.uid, grace);
      try {
        await this.o.api.delete(PODS, meta.namespace, meta.name!, { gracePeriodSeconds: 0, preconditions: { uid: w.uid } });
      } catch (err) {
        // 404: already gone; 409: a new pod with the same name (uid precondition) – not ours.
        if (!(err instanceof KubeError && (err.code === 404 || err.code === 409))) {
          w.terminating = false;
          throw err;
        }
      }
      return;
    }
    const apiPhase = statusOf(pod).phase;
    if (w.terminal || apiPhase === 'Succeeded' || apiPhase === 'Failed') {
      this.prober.stopPod(w.uid);
      return;
    }

    let sandbox = runtime.sandbox(w.uid);
    let sandboxError: { reason: string; message: string } | undefined;
    if (!sandbox) {
      try {
        sandbox = await runtime.runSandbox({ uid: w.uid, namespace: meta.namespace ?? 'default', name: meta.name!, hostname: specOf(pod).hostname ?? meta.name!, pod });
      } catch (err) {
        sandboxError = { reason: err instanceof RuntimeError ? err.reason : 'CreatePodSandboxError', message: (err as Error).message };
        bumpBackoff(w.memory, 'sandbox', Date.now(), this.o.backoff);
        this.wakeAt(w, Date.now() + w.memory.backoff.get('sandbox')!.delayMs);
      }
    }
    const plan = planPod({ pod, sandbox, sandboxError, memory: w.memory, hostIP: this.o.hostIP, now: Date.now(), backoff: this.o.backoff });
    await this.postStatus(w, plan.status);
    if (plan.phase === 'Succeeded' || plan.phase === 'Failed') {
      w.terminal = true;
      this.prober.stopPod(w.uid);
      this.o.log(`pod ${label} ${plan.phase}`);
      return;
    }
    if (plan.wakeAt !== undefined) this.wakeAt(w, plan.wakeAt);
    if (sandbox) this.ensureProbes(w, sandbox);
    if (plan.start.length && sandbox) {
      await Promise.all(plan.start.map((a) => this.start(w, a)));
      w.again = true;
    }
  }

  private async start(w: Worker, a: StartAction): Promise<void> {
    const { runtime } = this.o;
    const c = a.container;
    const name = c.name;
    const now = Date.now();
    let pulled;
    try {
      pulled = await runtime.pullImage(c.image ?? '', pullPolicyOf(c));
    } catch (err) {
      const reason = err instanceof RuntimeError ? err.reason : 'ErrImagePull';
      w.memory.failures.set(name, { reason, message: (err as Error).message });
      bumpBackoff(w.memory, `pull:${name}`, now, this.o.backoff);
      this.o.log(`pod ${w.pod.metadata.namespace}/${w.pod.metadata.name}: container ${name}: ${reason}: ${(err as Error).message}`);
      return;
    }
    try {
      await runtime.startContainer(w.uid, {
        name,
        kind: a.kind,
        image: c.image ?? '',
        imageRef: pulled.ref,
        imageID: pulled.imageID,
        command: c.command ?? [],
        args: c.args ?? [],
        env: envOf(c),
        workingDir: c.workingDir,
        stdin: !!c.stdin,
        tty: !!c.tty,
        attempt: a.attempt,
      });
      w.memory.failures.delete(name);
      w.memory.backoff.delete(`pull:${name}`);
      if (a.attempt > 0) bumpBackoff(w.memory, `run:${name}`, now, this.o.backoff);
    } catch (err) {
      const reason = err instanceof RuntimeError ? err.reason : 'CreateContainerError';
      w.memory.failures.set(name, { reason, message: (err as Error).message });
      bumpBackoff(w.memory, `pull:${name}`, now, this.o.backoff);
    }
  }

  private ensureProbes(w: Worker, sb: RuntimeSandbox): void {
    const meta = w.pod.metadata;
    const grace = specOf(w.pod).terminationGracePeriodSeconds ?? 30;
    const live = new Set<string>();
    for (const c of specOf(w.pod).containers ?? []) {
      const cur = currentInstance(sb, c.name);
      if (!cur || cur.state !== 'running') continue;
      live.add(cur.id);
      this.prober.ensure({ uid: w.uid, namespace: meta.namespace ?? 'default', name: meta.name!, graceSeconds: grace }, c, cur.id, w.memory);
    }
    this.prober.stopPod(w.uid, live);
  }

  private async postStatus(w: Worker, status: Record<string, unknown>): Promise<void> {
    const json = JSON.stringify(status);
    if (json === w.lastPosted) return;
    const meta = w.pod.metadata;
    try {
      await this.o.api.patch(PODS, meta.namespace, meta.name!, 'merge', { status }, { subresource: 'status' });
      w.lastPosted = json;
    } catch (err) {
      if (err instanceof KubeError && err.code === 404) {
        w.gone = true;
        w.again = true;
        return;
      }
      throw err;
    }
  }

  private wakeAt(w: Worker, at: number): void {
    if (w.timer) clearTimeout(w.timer);
    w.timer = setTimeout(() => {
      w.timer = undefined;
      this.kick(w.uid);
    }, Math.max(0, at - Date.now()) + 5);
  }

  private async killOrphan(uid: string, sb = this.o.runtime.sandbox(uid)): Promise<void> {
    if (!sb) return;
    this.o.log(`pod ${sb.namespace}/${sb.name} (${uid}) runs here but is not in the API; killing it`);
    await this.o.runtime.removeSandbox(uid, 0).catch((err: Error) => this.o.log(`could not kill orphan pod ${uid}: ${err.message}`));
  }
}
