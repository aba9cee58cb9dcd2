import type { KubeApi } from '../api.js';
import { KubeError } from '../errors.js';
import { findResource } from '../resources.js';
import type { KubeObject } from '../types.js';
import { bumpBackoff, newPodMemory, planPod, type PodMemory, type StartAction } from './pod-plan.js';
import { envOf, pullPolicyOf, resolveEnvOf, specOf, statusOf } from './pod-spec.js';
import { Prober } from './probes.js';
import { resolveClaimMounts } from './pvc-mount.js';
import { kubernetesServiceEnv, mergeEnv, serviceAccountVolumeName, withServiceAccountVolume } from './sa-mount.js';
import { RuntimeError, currentInstance, type PodRuntime, type RuntimeSandbox } from './runtime.js';
import { VolumeSources, type TokenRequestArgs } from './volume-sources.js';

const PODS = findResource('', 'v1', 'pods')!;
const SERVICEACCOUNTS = findResource('', 'v1', 'serviceaccounts')!;
const SERVICES = findResource('', 'v1', 'services')!;
/** Retry delay of a failed token refresh. */
const REFRESH_RETRY_MS = 10_000;
/** How long the `default/kubernetes` Service read for pod env is reused. */
const SERVICE_ENV_TTL_MS = 30_000;

export type { TokenRequestArgs } from './volume-sources.js';

export interface PodWorkersOptions {
  /** `get` (optional) lets real runtimes receive configMap/secret volumes and env references. */
  api: Pick<KubeApi, 'patch' | 'delete'> & Partial<Pick<KubeApi, 'get'>>;
  /**
   * Issues a token for a projected `serviceAccountToken` volume, bound to the pod (absent: the
   * file is left out, with a log line). `expirationTimestamp` (RFC 3339) schedules the refresh.
   */
  serviceAccountToken?: (req: TokenRequestArgs) => Promise<{ token: string; expirationTimestamp?: string }>;
  /** The cluster CA (PEM), written as `ca.crt` of the service-account volume. */
  caPem?: string;
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
  /**
   * The service-account volume the agent adds to this pod (`sa-mount.ts`): undefined until
   * decided (real runtimes only), null when the pod gets none.
   */
  saVolume: string | null | undefined;
  /** Token refresh of projected volumes: its timer, and whether one is planned. */
  refreshTimer: NodeJS.Timeout | undefined;
  refreshPlanned: boolean;
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

  private readonly sources: VolumeSources;

  constructor(private readonly o: PodWorkersOptions) {
    this.sources = new VolumeSources(o);
    this.prober = new Prober(o.runtime, (uid) => this.kick(uid), o.log);
  }

  /** A pod bound to this node was added or changed in the API. */
  update(pod: KubeObject): void {
    const uid = pod.metadata.uid;
    if (!uid) return;
    let w = this.workers.get(uid);
    if (!w) {
      w = { uid, pod, memory: newPodMemory(), running: undefined, again: false, timer: undefined, lastPosted: '', gone: false, terminating: false, terminal: false, saVolume: undefined, refreshTimer: undefined, refreshPlanned: false };
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
    for (const w of this.workers.values()) {
      if (w.timer) clearTimeout(w.timer);
      if (w.refreshTimer) clearTimeout(w.refreshTimer);
    }
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
      this.stopRefresh(w);
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
      this.stopRefresh(w);
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
      this.stopRefresh(w);
      return;
    }

    let sandbox = runtime.sandbox(w.uid);
    let sandboxError: { reason: string; message: string } | undefined;
    if (!runtime.fake && w.saVolume === undefined) w.saVolume = serviceAccountVolumeName(pod, await this.serviceAccountOf(pod)) ?? null;
    if (!sandbox) {
      try {
        // The fake runs no processes and mounts nothing: it gets no volume files.
        const runPod = withServiceAccountVolume(pod, w.saVolume ?? undefined);
        const vf = runtime.fake ? undefined : await this.sources.volumeFiles(runPod, w.saVolume ?? undefined);
        const volumeFiles = vf?.files;
        const hasClaims = (specOf(pod).volumes ?? []).some((v) => v.persistentVolumeClaim);
        const claimMounts = hasClaims && this.o.api.get ? await resolveClaimMounts({ get: this.o.api.get.bind(this.o.api) }, pod, specOf(pod).nodeName ?? '') : undefined;
        sandbox = await runtime.runSandbox({ uid: w.uid, namespace: meta.namespace ?? 'default', name: meta.name!, hostname: specOf(pod).hostname ?? meta.name!, pod: runPod, ...(volumeFiles ? { volumeFiles } : {}), ...(claimMounts ? { claimMounts } : {}) });
        if (vf?.refreshAt !== undefined) this.planRefresh(w, vf.refreshAt);
      } catch (err) {
        sandboxError = { reason: err instanceof RuntimeError ? err.reason : 'CreatePodSandboxError', message: (err as Error).message };
        // A claim still binding is waited for (checked every second), not backed off.
        if (sandboxError.reason === 'FailedMount') this.wakeAt(w, Date.now() + 1000);
        else {
          bumpBackoff(w.memory, 'sandbox', Date.now(), this.o.backoff);
          this.wakeAt(w, Date.now() + w.memory.backoff.get('sandbox')!.delayMs);
        }
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
    // A sandbox adopted after an agent restart: its tokens were issued by the previous agent,
    // whose refresh plan is gone; refresh them now.
    if (sandbox && !w.refreshPlanned && !runtime.fake && runtime.updateVolumeFiles && this.hasTokenVolumes(withServiceAccountVolume(pod, w.saVolume ?? undefined))) this.planRefresh(w, Date.now());
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
    let env = envOf(c);
    let mounts = c.volumeMounts;
    if (!runtime.fake) {
      try {
        env = mergeEnv(await this.serviceEnv(), await resolveEnvOf(c, w.pod, { podIP: runtime.sandbox(w.uid)?.ip, hostIP: this.o.hostIP }, (kind, name, key) => this.sources.lookupKey(w.pod.metadata.namespace ?? 'default', kind, name, key)));
        if (w.saVolume) {
          const runPod = withServiceAccountVolume(w.pod, w.saVolume);
          const all = [...(specOf(runPod).containers ?? []), ...(specOf(runPod).initContainers ?? [])];
          mounts = all.find((x) => x.name === name)?.volumeMounts ?? mounts;
        }
      } catch (err) {
        w.memory.failures.set(name, { reason: 'CreateContainerConfigError', message: (err as Error).message });
        bumpBackoff(w.memory, `pull:${name}`, now, this.o.backoff);
        return;
      }
    }
    const podSec = specOf(w.pod).securityContext;
    const sec = podSec || c.securityContext ? { ...(podSec?.runAsUser !== undefined ? { runAsUser: podSec.runAsUser } : {}), ...(podSec?.runAsGroup !== undefined ? { runAsGroup: podSec.runAsGroup } : {}), ...c.securityContext } : undefined;
    try {
      await runtime.startContainer(w.uid, {
        name,
        kind: a.kind,
        image: c.image ?? '',
        imageRef: pulled.ref,
        imageID: pulled.imageID,
        command: c.command ?? [],
        args: c.args ?? [],
        env,
        workingDir: c.workingDir,
        stdin: !!c.stdin,
        tty: !!c.tty,
        attempt: a.attempt,
        ...(mounts ? { volumeMounts: mounts } : {}),
        ...(c.resources ? { resources: c.resources } : {}),
        ...(c.ports ? { ports: c.ports } : {}),
        ...(sec ? { securityContext: sec } : {}),
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

  private hasTokenVolumes(pod: KubeObject): boolean {
    return this.sources.tokenVolumes(pod).size > 0 && !!this.o.serviceAccountToken;
  }

  /**
   * Re-issues the tokens of the pod's projected volumes at `at` (80 % of the shortest
   * lifetime) and has the runtime rewrite those volumes' files in place; a failure retries
   * in 10 s. Runtimes without `updateVolumeFiles` keep the first tokens.
   */
  private planRefresh(w: Worker, at: number): void {
    if (!this.o.runtime.updateVolumeFiles || !this.o.serviceAccountToken) return;
    if (w.refreshTimer) clearTimeout(w.refreshTimer);
    w.refreshPlanned = true;
    w.refreshTimer = setTimeout(() => {
      w.refreshTimer = undefined;
      void this.refreshTokens(w);
    }, Math.max(0, at - Date.now()));
    w.refreshTimer.unref?.();
  }

  private async refreshTokens(w: Worker): Promise<void> {
    if (this.stopped || w.gone || w.terminating || w.terminal || !this.workers.has(w.uid)) return;
    const runtime = this.o.runtime;
    const label = `${w.pod.metadata.namespace}/${w.pod.metadata.name}`;
    const runPod = withServiceAccountVolume(w.pod, w.saVolume ?? undefined);
    try {
      if (!runtime.sandbox(w.uid)) return;
      const vf = await this.sources.volumeFiles(runPod, w.saVolume ?? undefined, this.sources.tokenVolumes(runPod));
      for (const [name, files] of Object.entries(vf.files)) await runtime.updateVolumeFiles!(w.uid, name, files);
      if (vf.refreshAt !== undefined) this.planRefresh(w, vf.refreshAt);
    } catch (err) {
      this.o.log(`pod ${label}: token refresh failed: ${(err as Error).message}; retrying in ${REFRESH_RETRY_MS / 1000} s`);
      this.planRefresh(w, Date.now() + REFRESH_RETRY_MS);
    }
  }

  private stopRefresh(w: Worker): void {
    if (w.refreshTimer) clearTimeout(w.refreshTimer);
    w.refreshTimer = undefined;
  }

  /** The pod's ServiceAccount (for its `automountServiceAccountToken`); undefined when unreadable. */
  private async serviceAccountOf(pod: KubeObject): Promise<KubeObject | undefined> {
    if (!this.o.api.get) return undefined;
    try {
      return await this.o.api.get(SERVICEACCOUNTS, pod.metadata.namespace ?? 'default', specOf(pod).serviceAccountName ?? 'default');
    } catch {
      return undefined;
    }
  }

  private serviceEnvCache: { env: { name: string; value: string }[]; at: number } | undefined;

  /** `KUBERNETES_SERVICE_HOST`/`_PORT`… from the `default/kubernetes` Service (cached briefly). */
  private async serviceEnv(): Promise<{ name: string; value: string }[]> {
    if (!this.o.api.get) return [];
    const c = this.serviceEnvCache;
    if (c && Date.now() - c.at < SERVICE_ENV_TTL_MS) return c.env;
    let env: { name: string; value: string }[] = [];
    try {
      env = kubernetesServiceEnv(await this.o.api.get(SERVICES, 'default', 'kubernetes'));
    } catch (err) {
      if (!(err instanceof KubeError && err.code === 404)) throw err;
    }
    this.serviceEnvCache = { env, at: Date.now() };
    return env;
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
