import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { Runtime, sh } from '../../../dataplane/oci/index.js';
import type { PodIpam } from '../ipam.js';
import { RuntimeError } from '../runtime.js';
import type { ImageCacheLike, LocalImageLike, PodNetworkLike } from './deps.js';
import { SandboxStore, type SandboxRecord } from './state.js';

export interface CrunRuntimeOptions {
  /** Pods, the runtime's state and its mount namespace live here. */
  stateDir: string;
  network: PodNetworkLike;
  images: ImageCacheLike;
  log?: (msg: string) => void;
  /** Top cgroup of this runtime's pods (default `stk-<8 hex of stateDir>`). */
  namePrefix?: string;
  /** `pids.max` of each container (default 4096). */
  pidsLimit?: number;
  /** How often adopted containers are checked for an exit (default 500 ms). */
  pollMs?: number;
}

/**
 * The state of one `CrunRuntime`, shared by the modules that implement it (sandboxes,
 * containers, exits, streams): the options, the pod records, the pulled images, the address
 * pool, the probed OCI runtime, and the few operations every module needs.
 */
export class CrunState {
  crunVersion = 'unknown';
  rt: Runtime | null = null;
  ipam: PodIpam | null = null;
  readonly store: SandboxStore;
  readonly pods = new Map<string, SandboxRecord>();
  readonly images = new Map<string, LocalImageLike>();
  readonly listeners = new Set<(uid: string) => void>();
  readonly prefix: string;
  poller: NodeJS.Timeout | undefined;
  loaded = false;
  log: (msg: string) => void;

  constructor(readonly o: CrunRuntimeOptions) {
    this.store = new SandboxStore(o.stateDir);
    this.prefix = o.namePrefix ?? `stk-${createHash('sha256').update(resolve(o.stateDir)).digest('hex').slice(0, 8)}`;
    this.log = o.log ?? (() => undefined);
  }

  changed(uid: string): void {
    setImmediate(() => {
      for (const l of this.listeners) l(uid);
    });
  }

  async runtime(): Promise<Runtime> {
    if (this.rt) return this.rt;
    const rt = await Runtime.probe(this.o.stateDir, 'crun').catch((err: Error) => {
      throw new RuntimeError('CreatePodSandboxError', `${err.message} (the crun pod runtime needs crun: apt-get install -y crun)`);
    });
    const v = await sh(['crun', '--version'], { mayFail: true });
    this.crunVersion = /crun version (\S+)/.exec(v.stdout)?.[1] ?? 'unknown';
    this.rt = rt;
    return rt;
  }

  async image(ref: string): Promise<LocalImageLike> {
    const have = this.images.get(ref);
    if (have) return have;
    return this.o.images.pull(ref, 'IfNotPresent').then((img) => (this.images.set(ref, img), img));
  }

  podCgroup(uid: string): string {
    return `/${this.prefix}/pod${uid}`;
  }

  /** Unmounts overlay roots (in the runtime's mount namespace); fails when one stays mounted. */
  async unmount(paths: string[]): Promise<void> {
    if (!paths.length) return;
    const rt = await this.runtime();
    // Tolerates a concurrent unmount of the same path (an exit noticed while the pod is removed),
    // at either step: a path that is no longer a mount point after a failed umount is done.
    const script = 'rc=0; for m in "$@"; do if mountpoint -q "$m"; then umount "$m" 2>/dev/null || ! mountpoint -q "$m" || umount -l "$m" 2>/dev/null || ! mountpoint -q "$m" || rc=1; fi; done; exit $rc';
    await rt.host(['sh', '-c', script, 'umount', ...paths]);
  }
}
