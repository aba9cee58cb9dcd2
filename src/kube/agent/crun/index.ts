import { mkdirSync, rmSync, statfsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import { dropV1Namespace, removeV1Cgroup } from '../../../dataplane/oci/index.js';
import type { ExecRequest, ExecSession, LogOptions } from '../../api.js';
import { PodIpam } from '../ipam.js';
import { RuntimeError, type ContainerConfig, type NodeResources, type PodRuntime, type PulledImage, type PullPolicy, type RuntimeContainer, type RuntimeNodeConfig, type RuntimeSandbox, type SandboxConfig, type VolumeFile } from '../runtime.js';
import { startContainer } from './container.js';
import { CrunState, type CrunRuntimeOptions } from './context.js';
import { checkExit, pollAll, stop } from './exits.js';
import { destroy, runSandbox, snapshot, updateVolumeFiles } from './sandbox.js';
import { attach, exec, logs, portForward } from './streams.js';

export type { CrunRuntimeOptions } from './context.js';
export type { ImageCacheLike, LocalImageLike, PodNetworkLike } from './deps.js';

/**
 * Real pods with crun (issue #8): the `PodRuntime` the node agent drives on a root host.
 *
 * - **Sandbox:** the pod netns from `PodNetwork` with an IP from the node's pod CIDR, a small
 *   holder process (`unshare --ipc --uts … sleep`, the pause role) whose ipc and uts
 *   namespaces every container joins, and `/etc/hosts`, `/etc/resolv.conf`, `/etc/hostname`
 *   and `/dev/shm` bound into each container.
 * - **Containers:** each its own pid, mount and cgroup namespaces; the rootfs an overlay of the
 *   image's shared read-only layers with a per-instance upper dir; cgroup v1 limits on a
 *   per-instance cgroup under `/<prefix>/pod<uid>` (quota and shares from cpu, memory limit,
 *   pids), with crun's own cgroup one level below so that the limit's failure counter outlives
 *   the container and an exit by SIGKILL after hitting it is reported as `OOMKilled`.
 * - **Processes** run under a bash shim (`src/dataplane/oci/shim.ts`) that survives an agent
 *   restart, writes CRI log lines and the exit status. `init()` reloads `<stateDir>/pods` and
 *   adopts what still runs.
 * - On a hybrid-cgroup host every crun call and overlay mount happens in the v1-only mount
 *   namespace of `src/dataplane/oci/runtime.ts` (dataplane.md §2).
 *
 * Everything it makes is under `stateDir` (records, logs, volumes), in `/<prefix>` cgroups,
 * the pod netns (the network's) and the mount namespace: `removeSandbox` and `purge()` remove it.
 *
 * The work is done by plain functions over the shared `CrunState` (`context.ts`): sandboxes in
 * `sandbox.ts`, container starts in `container.ts`, stops and exits in `exits.ts`, streams in
 * `streams.ts`.
 */
export class CrunRuntime implements PodRuntime {
  readonly name = 'crun';
  readonly fake = false;
  private readonly s: CrunState;

  constructor(private readonly o: CrunRuntimeOptions) {
    this.s = new CrunState(o);
  }

  get version(): string {
    return `crun://${this.s.crunVersion}`;
  }

  // ---- lifecycle of the runtime ----------------------------------------------------------

  async init(node: RuntimeNodeConfig): Promise<void> {
    const s = this.s;
    if (node.log && !this.o.log) s.log = node.log;
    if (!s.ipam || s.ipam.cidr !== node.podCidr) {
      s.ipam = new PodIpam(node.podCidr);
      for (const sb of s.pods.values()) s.ipam.claim(sb.ip, sb.uid);
    }
    await s.runtime();
    if (!s.loaded) {
      s.loaded = true;
      for (const uid of s.store.uids()) {
        const rec = s.store.get(uid);
        if (!rec) continue;
        s.pods.set(uid, rec);
        if (!s.ipam.claim(rec.ip, uid)) s.log(`crun: pod ${rec.namespace}/${rec.name}: its address ${rec.ip} is outside ${node.podCidr} or taken; it keeps it until removed`);
        for (const c of rec.containers) if (c.state === 'running') checkExit(s, rec, c);
      }
      if (s.pods.size) s.log(`crun: adopted ${s.pods.size} pod(s) from ${s.store.dir}`);
    }
    if (!s.poller) {
      s.poller = setInterval(() => pollAll(s), this.o.pollMs ?? 500);
      s.poller.unref();
    }
  }

  async close(): Promise<void> {
    if (this.s.poller) clearInterval(this.s.poller);
    this.s.poller = undefined;
  }

  capacity(): NodeResources {
    let storage = 0;
    try {
      mkdirSync(this.o.stateDir, { recursive: true });
      const s = statfsSync(this.o.stateDir);
      storage = s.blocks * s.bsize;
    } catch {
      // unknown
    }
    return { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: '110', 'ephemeral-storage': `${Math.floor(storage / 1024)}Ki` };
  }

  onChange(listener: (uid: string) => void): () => void {
    this.s.listeners.add(listener);
    return () => this.s.listeners.delete(listener);
  }

  // ---- images ------------------------------------------------------------------------------

  async pullImage(image: string, policy: PullPolicy): Promise<PulledImage> {
    try {
      const img = await this.o.images.pull(image, policy);
      this.s.images.set(img.ref, img);
      return { ref: img.ref, imageID: img.imageID };
    } catch (err) {
      const reason = (err as { reason?: unknown }).reason;
      throw new RuntimeError(typeof reason === 'string' ? (reason === 'ErrImageNeverPull' ? 'ErrImageNeverPull' : reason) : 'ErrImagePull', (err as Error).message);
    }
  }

  // ---- sandboxes ---------------------------------------------------------------------------

  runSandbox(cfg: SandboxConfig): Promise<RuntimeSandbox> {
    return runSandbox(this.s, cfg);
  }

  /**
   * Rewrites files of a configMap/secret/projected/downwardAPI volume of a running pod (a
   * refreshed token): each file is written beside its target and renamed over it, so a reader
   * in the container sees the old or the new file, never a partial one. The volume directory
   * is bind-mounted, so the containers see the change at once.
   */
  updateVolumeFiles(uid: string, volume: string, files: VolumeFile[]): Promise<void> {
    return updateVolumeFiles(this.s, uid, volume, files);
  }

  async removeSandbox(uid: string, graceSeconds: number): Promise<void> {
    const s = this.s;
    const rec = s.pods.get(uid);
    if (!rec) return;
    await Promise.all(rec.containers.filter((c) => c.state === 'running').map((c) => stop(s, rec, c, graceSeconds)));
    await destroy(s, rec);
    s.pods.delete(uid);
  }

  sandbox(uid: string): RuntimeSandbox | undefined {
    const rec = this.s.pods.get(uid);
    return rec ? snapshot(rec) : undefined;
  }

  sandboxes(): RuntimeSandbox[] {
    return [...this.s.pods.values()].map((r) => snapshot(r));
  }

  // ---- containers --------------------------------------------------------------------------

  startContainer(uid: string, cfg: ContainerConfig): Promise<RuntimeContainer> {
    return startContainer(this.s, uid, cfg);
  }

  async stopContainer(uid: string, containerId: string, graceSeconds: number): Promise<void> {
    const rec = this.s.pods.get(uid);
    const c = rec?.containers.find((x) => `crun://${x.hex}` === containerId || x.hex === containerId);
    if (!rec || !c || c.state !== 'running') return;
    await stop(this.s, rec, c, graceSeconds);
  }

  // ---- streams -----------------------------------------------------------------------------

  logs(namespace: string, pod: string, container: string, opts: LogOptions): Promise<Readable> {
    return logs(this.s, namespace, pod, container, opts);
  }

  exec(req: ExecRequest): Promise<ExecSession> {
    return exec(this.s, req);
  }

  attach(req: ExecRequest): Promise<ExecSession> {
    return attach(this.s, req);
  }

  portForward(namespace: string, pod: string, port: number): Promise<Duplex> {
    return portForward(this.s, namespace, pod, port);
  }

  // ---- clean-up ----------------------------------------------------------------------------

  /**
   * Removes every pod this runtime made, running or not, also those of an earlier process that
   * crashed (read from `<stateDir>/pods`), then the runtime's cgroups and its mount namespace.
   * For `kube down`. Needs no `init()`.
   */
  async purge(): Promise<void> {
    const s = this.s;
    await this.close();
    const rt = await s.runtime();
    for (const uid of s.store.uids()) {
      const rec = s.pods.get(uid) ?? s.store.get(uid) ?? { uid, namespace: '?', name: uid, hostname: '', ip: '', netns: '', createdAt: 0, containers: [] };
      try {
        await destroy(s, rec);
      } catch (err) {
        s.log(`crun: purge of pod ${uid}: ${(err as Error).message}`);
      }
      s.pods.delete(uid);
    }
    const list = await rt.run(['list', '-q'], true);
    for (const id of list.stdout.split('\n').map((x) => x.trim()).filter(Boolean)) await rt.run(['delete', '-f', id], true);
    removeV1Cgroup(`/${s.prefix}`);
    if (rt.mntns) await dropV1Namespace(dirname(rt.mntns));
    s.rt = null;
    rmSync(join(this.o.stateDir, 'runtime'), { recursive: true, force: true });
  }
}
