import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Duplex, PassThrough, type Readable } from 'node:stream';
import { dropV1Namespace, ensureV1Cgroup, pidAlive, readV1Counter, removeV1Cgroup, Runtime, sh, startLoggingShim, startTime, until } from '../../../dataplane/oci/index.js';
import type { ExecRequest, ExecSession, LogOptions } from '../../api.js';
import { KubeError } from '../../errors.js';
import type { KubeObject } from '../../types.js';
import { PodIpam } from '../ipam.js';
import { RuntimeError, type ContainerConfig, type NodeResources, type PodRuntime, type PulledImage, type PullPolicy, type RuntimeContainer, type RuntimeNodeConfig, type RuntimeSandbox, type SandboxConfig, type VolumeFile } from '../runtime.js';
import type { ImageCacheLike, LocalImageLike, PodNetworkLike } from './deps.js';
import { logStream } from './logs.js';
import { hostsFile, ociPodConfig, podHostname, resolvConf, resolveArgv, resolveCaps, resolveEnv, resolveUser, resourceLimits, SpecError, subPathUnder, type OciMount } from './spec.js';
import { SandboxStore, type ContainerRecord, type SandboxRecord } from './state.js';

export type { ImageCacheLike, LocalImageLike, PodNetworkLike } from './deps.js';

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

interface Volume {
  name: string;
  emptyDir?: { medium?: string };
  hostPath?: { path: string; type?: string };
  configMap?: unknown;
  secret?: unknown;
  projected?: unknown;
  downwardAPI?: unknown;
  [other: string]: unknown;
}

const FILE_VOLUMES = ['configMap', 'secret', 'projected', 'downwardAPI'] as const;

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
 */
export class CrunRuntime implements PodRuntime {
  readonly name = 'crun';
  readonly fake = false;
  private crunVersion = 'unknown';
  private rt: Runtime | null = null;
  private ipam: PodIpam | null = null;
  private readonly store: SandboxStore;
  private readonly pods = new Map<string, SandboxRecord>();
  private readonly images = new Map<string, LocalImageLike>();
  private readonly listeners = new Set<(uid: string) => void>();
  private readonly prefix: string;
  private poller: NodeJS.Timeout | undefined;
  private loaded = false;
  private log: (msg: string) => void;

  constructor(private readonly o: CrunRuntimeOptions) {
    this.store = new SandboxStore(o.stateDir);
    this.prefix = o.namePrefix ?? `stk-${createHash('sha256').update(resolve(o.stateDir)).digest('hex').slice(0, 8)}`;
    this.log = o.log ?? (() => undefined);
  }

  get version(): string {
    return `crun://${this.crunVersion}`;
  }

  // ---- lifecycle of the runtime ----------------------------------------------------------

  async init(node: RuntimeNodeConfig): Promise<void> {
    if (node.log && !this.o.log) this.log = node.log;
    if (!this.ipam || this.ipam.cidr !== node.podCidr) {
      this.ipam = new PodIpam(node.podCidr);
      for (const sb of this.pods.values()) this.ipam.claim(sb.ip, sb.uid);
    }
    await this.runtime();
    if (!this.loaded) {
      this.loaded = true;
      for (const uid of this.store.uids()) {
        const rec = this.store.get(uid);
        if (!rec) continue;
        this.pods.set(uid, rec);
        if (!this.ipam.claim(rec.ip, uid)) this.log(`crun: pod ${rec.namespace}/${rec.name}: its address ${rec.ip} is outside ${node.podCidr} or taken; it keeps it until removed`);
        for (const c of rec.containers) if (c.state === 'running') this.checkExit(rec, c);
      }
      if (this.pods.size) this.log(`crun: adopted ${this.pods.size} pod(s) from ${this.store.dir}`);
    }
    if (!this.poller) {
      this.poller = setInterval(() => this.pollAll(), this.o.pollMs ?? 500);
      this.poller.unref();
    }
  }

  async close(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
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
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(uid: string): void {
    setImmediate(() => {
      for (const l of this.listeners) l(uid);
    });
  }

  private async runtime(): Promise<Runtime> {
    if (this.rt) return this.rt;
    const rt = await Runtime.probe(this.o.stateDir, 'crun').catch((err: Error) => {
      throw new RuntimeError('CreatePodSandboxError', `${err.message} (the crun pod runtime needs crun: apt-get install -y crun)`);
    });
    const v = await sh(['crun', '--version'], { mayFail: true });
    this.crunVersion = /crun version (\S+)/.exec(v.stdout)?.[1] ?? 'unknown';
    this.rt = rt;
    return rt;
  }

  // ---- images ------------------------------------------------------------------------------

  async pullImage(image: string, policy: PullPolicy): Promise<PulledImage> {
    try {
      const img = await this.o.images.pull(image, policy);
      this.images.set(img.ref, img);
      return { ref: img.ref, imageID: img.imageID };
    } catch (err) {
      const reason = (err as { reason?: unknown }).reason;
      throw new RuntimeError(typeof reason === 'string' ? (reason === 'ErrImageNeverPull' ? 'ErrImageNeverPull' : reason) : 'ErrImagePull', (err as Error).message);
    }
  }

  private async image(ref: string): Promise<LocalImageLike> {
    const have = this.images.get(ref);
    if (have) return have;
    return this.o.images.pull(ref, 'IfNotPresent').then((img) => (this.images.set(ref, img), img));
  }

  // ---- sandboxes ---------------------------------------------------------------------------

  async runSandbox(cfg: SandboxConfig): Promise<RuntimeSandbox> {
    const existing = this.pods.get(cfg.uid);
    if (existing) return this.snapshot(existing);
    if (!/^[A-Za-z0-9-]{1,64}$/.test(cfg.uid)) throw new RuntimeError('CreatePodSandboxError', `pod uid ${JSON.stringify(cfg.uid)} is not a usable name`);
    if (!this.ipam) throw new RuntimeError('CreatePodSandboxError', 'the crun runtime was not initialised (init() first)');
    await this.runtime();
    const ip = this.ipam.allocate(cfg.uid);
    const hostname = podHostname(cfg.hostname);
    const rec: SandboxRecord = { uid: cfg.uid, namespace: cfg.namespace, name: cfg.name, hostname, ip, netns: '', createdAt: Date.now(), volumes: volumesOf(cfg.pod), containers: [] };
    try {
      mkdirSync(this.store.path(cfg.uid, 'etc'), { recursive: true });
      mkdirSync(this.store.path(cfg.uid, 'shm'), { recursive: true, mode: 0o1777 });
      this.store.put(rec); // recorded before anything is made, so a crash here is cleaned up later
      rec.netns = await this.o.network.createPodNetns(cfg.uid, ip);
      this.store.put(rec);
      this.writeEtc(rec, cfg.pod);
      this.writeVolumes(rec, cfg);
      rec.holder = await this.startHolder(hostname);
      this.store.put(rec);
    } catch (err) {
      await this.destroy(rec).catch(() => undefined);
      throw err instanceof RuntimeError ? err : new RuntimeError('CreatePodSandboxError', `pod ${cfg.namespace}/${cfg.name}: ${(err as Error).message}`);
    }
    this.pods.set(cfg.uid, rec);
    return this.snapshot(rec);
  }

  private writeEtc(rec: SandboxRecord, pod: KubeObject): void {
    const spec = (pod.spec ?? {}) as { dnsPolicy?: string; subdomain?: string; dnsConfig?: { nameservers?: string[]; searches?: string[]; options?: { name: string; value?: string }[] } };
    const dns = this.o.network.dns;
    let servers: string[] = [];
    let searches: string[] = [];
    let options: string[] = [];
    const policy = spec.dnsPolicy ?? 'ClusterFirst';
    if (policy === 'ClusterFirst' || policy === 'ClusterFirstWithHostNet') {
      servers = [...dns.nameservers];
      searches = dns.searches(rec.namespace);
      options = [...dns.options];
    } else if (policy === 'Default') {
      const host = existsSync('/etc/resolv.conf') ? readFileSync('/etc/resolv.conf', 'utf8') : '';
      servers = [...host.matchAll(/^nameserver\s+(\S+)/gm)].map((m) => m[1]!);
      searches = /^search\s+(.+)$/m.exec(host)?.[1]?.split(/\s+/) ?? [];
    }
    const extra = spec.dnsConfig;
    if (extra) {
      servers = [...servers, ...(extra.nameservers ?? [])];
      searches = [...searches, ...(extra.searches ?? [])];
      for (const o of extra.options ?? []) {
        options = options.filter((x) => x.split(':')[0] !== o.name);
        options.push(o.value !== undefined ? `${o.name}:${o.value}` : o.name);
      }
    }
    const fqdn = spec.subdomain ? `${rec.hostname}.${spec.subdomain}.${rec.namespace}.svc.cluster.local` : undefined;
    writeFileSync(this.store.path(rec.uid, 'etc', 'resolv.conf'), resolvConf(servers.slice(0, 3), searches.slice(0, 32), options));
    writeFileSync(this.store.path(rec.uid, 'etc', 'hosts'), hostsFile(rec.ip, rec.hostname, fqdn));
    writeFileSync(this.store.path(rec.uid, 'etc', 'hostname'), `${rec.hostname}\n`);
  }

  /** emptyDir directories, and the files of configMap/secret/projected/downwardAPI volumes. */
  private writeVolumes(rec: SandboxRecord, cfg: SandboxConfig): void {
    for (const v of volumesOf(cfg.pod)) {
      const dir = this.store.path(rec.uid, 'volumes', v.name);
      if (v.emptyDir) mkdirSync(dir, { recursive: true, mode: 0o777 });
      if (!FILE_VOLUMES.some((k) => v[k])) continue;
      mkdirSync(dir, { recursive: true });
      for (const f of cfg.volumeFiles?.[v.name] ?? []) {
        const target = subPathUnder(dir, f.path);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, Buffer.from(f.data, 'base64'), { mode: f.mode ?? 0o644 });
      }
    }
  }

  /**
   * Rewrites files of a configMap/secret/projected/downwardAPI volume of a running pod (a
   * refreshed token): each file is written beside its target and renamed over it, so a reader
   * in the container sees the old or the new file, never a partial one. The volume directory
   * is bind-mounted, so the containers see the change at once.
   */
  async updateVolumeFiles(uid: string, volume: string, files: VolumeFile[]): Promise<void> {
    const rec = this.pods.get(uid);
    if (!rec) throw new RuntimeError('CreateContainerError', `pod ${uid} has no sandbox on this node`);
    const v = ((rec.volumes ?? []) as Volume[]).find((x) => x.name === volume);
    if (!v || !FILE_VOLUMES.some((k) => v[k])) throw new RuntimeError('CreateContainerError', `pod ${rec.namespace}/${rec.name} has no file volume "${volume}"`);
    const dir = this.store.path(uid, 'volumes', volume);
    mkdirSync(dir, { recursive: true });
    for (const f of files) {
      const target = subPathUnder(dir, f.path);
      mkdirSync(dirname(target), { recursive: true });
      const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
      writeFileSync(tmp, Buffer.from(f.data, 'base64'), { mode: f.mode ?? 0o644 });
      renameSync(tmp, target);
    }
  }

  /** The pause role: a process in new ipc and uts namespaces (hostname set) that containers join. */
  private async startHolder(hostname: string): Promise<{ pid: number; startTime: string }> {
    const child = spawn('unshare', ['--ipc', '--uts', '--', '/bin/sh', '-c', 'printf %s "$0" >/proc/sys/kernel/hostname && exec sleep infinity', hostname], { detached: true, stdio: 'ignore' });
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error('cannot start the pod namespace holder (unshare)');
    const ok = await until(() => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep';
      } catch {
        return true; // gone: reported below
      }
    }, 5000, 2);
    if (!ok || !pidAlive(pid)) throw new Error('the pod namespace holder (unshare --ipc --uts) did not start');
    return { pid, startTime: startTime(pid) ?? '' };
  }

  async removeSandbox(uid: string, graceSeconds: number): Promise<void> {
    const rec = this.pods.get(uid);
    if (!rec) return;
    await Promise.all(rec.containers.filter((c) => c.state === 'running').map((c) => this.stop(rec, c, graceSeconds)));
    await this.destroy(rec);
    this.pods.delete(uid);
  }

  /** Removes everything of a pod (its containers must have exited): mounts, cgroups, holder, netns, files, IP. */
  private async destroy(rec: SandboxRecord): Promise<void> {
    const rt = await this.runtime();
    for (const c of rec.containers) {
      if (c.state === 'running' && c.pid && pidAlive(c.pid)) await rt.run(['kill', c.hex, 'KILL'], true);
    }
    await until(() => rec.containers.every((c) => !c.shim || !alive(c.shim)), 5000, 20);
    await this.unmount(rec.containers.map((c) => this.store.path(rec.uid, 'c', c.hex, 'rootfs')));
    for (const c of rec.containers) await rt.run(['delete', '-f', c.hex], true);
    if (rec.holder && alive(rec.holder)) process.kill(rec.holder.pid, 'SIGKILL');
    const left = removeV1Cgroup(this.podCgroup(rec.uid));
    if (left.length) this.log(`crun: pod ${rec.namespace}/${rec.name}: cgroups still busy: ${left.join(', ')}`);
    await this.o.network.deletePodNetns(rec.uid);
    this.ipam?.release(rec.uid);
    rmSync(this.store.path(rec.uid), { recursive: true, force: true });
  }

  /** Unmounts overlay roots (in the runtime's mount namespace); fails when one stays mounted. */
  private async unmount(paths: string[]): Promise<void> {
    if (!paths.length) return;
    const rt = await this.runtime();
    // Tolerates a concurrent unmount of the same path (an exit noticed while the pod is removed).
    const script = 'rc=0; for m in "$@"; do if mountpoint -q "$m"; then umount "$m" 2>/dev/null || ! mountpoint -q "$m" || umount -l "$m" || rc=1; fi; done; exit $rc';
    await rt.host(['sh', '-c', script, 'umount', ...paths]);
  }

  sandbox(uid: string): RuntimeSandbox | undefined {
    const rec = this.pods.get(uid);
    return rec ? this.snapshot(rec) : undefined;
  }

  sandboxes(): RuntimeSandbox[] {
    return [...this.pods.values()].map((r) => this.snapshot(r));
  }

  private snapshot(rec: SandboxRecord): RuntimeSandbox {
    return {
      uid: rec.uid,
      namespace: rec.namespace,
      name: rec.name,
      ip: rec.ip,
      createdAt: rec.createdAt,
      containers: [...rec.containers].sort((a, b) => a.attempt - b.attempt).map((c): RuntimeContainer => ({
        id: `crun://${c.hex}`,
        name: c.name,
        kind: c.kind,
        attempt: c.attempt,
        image: c.image,
        imageID: c.imageID,
        state: c.state,
        startedAt: c.startedAt,
        ...(c.finishedAt !== undefined ? { finishedAt: c.finishedAt } : {}),
        ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
        ...(c.reason ? { reason: c.reason } : {}),
        ...(c.message ? { message: c.message } : {}),
      })),
    };
  }

  // ---- containers --------------------------------------------------------------------------

  private podCgroup(uid: string): string {
    return `/${this.prefix}/pod${uid}`;
  }

  async startContainer(uid: string, cfg: ContainerConfig): Promise<RuntimeContainer> {
    const rec = this.pods.get(uid);
    if (!rec) throw new RuntimeError('CreateContainerError', `pod ${uid} has no sandbox on this node; it is being recreated`);
    const rt = await this.runtime();
    let image: LocalImageLike;
    try {
      image = await this.image(cfg.imageRef || cfg.image);
    } catch (err) {
      throw new RuntimeError('CreateContainerError', `image ${cfg.imageRef}: ${(err as Error).message}`);
    }
    const hex = randomBytes(8).toString('hex');
    const cdir = this.store.path(uid, 'c', hex);
    const rootfs = join(cdir, 'rootfs');
    const c: ContainerRecord = { hex, name: cfg.name, kind: cfg.kind, attempt: cfg.attempt, image: cfg.image, imageID: cfg.imageID, state: 'running', startedAt: Date.now(), stdin: cfg.stdin, tty: cfg.tty };
    let config: Record<string, unknown>;
    let cgroupsPath: string;
    try {
      const env = resolveEnv(image.config, cfg.env, rec.hostname);
      const argv = resolveArgv(cfg, image.config, env);
      const user = resolveUser(cfg.securityContext, image.config.user, image.layers);
      const limits = resourceLimits(cfg.resources, this.o.pidsLimit ?? 4096);
      ensureV1Cgroup(this.podCgroup(uid), {});
      const v1 = ensureV1Cgroup(`${this.podCgroup(uid)}/${hex}`, limits);
      cgroupsPath = v1 ? `${this.podCgroup(uid)}/${hex}/ctr` : `${this.podCgroup(uid)}/${hex}`;
      const pod = this.binds(rec, cfg);
      config = ociPodConfig({
        rootfs,
        argv,
        env,
        cwd: cfg.workingDir || image.config.workingDir || '/',
        user,
        caps: resolveCaps(cfg.securityContext),
        readonlyRoot: !!cfg.securityContext?.readOnlyRootFilesystem,
        binds: pod,
        cgroupsPath,
        netns: rec.netns,
        ipcns: `/proc/${rec.holder?.pid}/ns/ipc`,
        utsns: `/proc/${rec.holder?.pid}/ns/uts`,
        privileged: !!cfg.securityContext?.privileged,
      });
      if (!v1) {
        // Pure cgroup v2 (no v1 memory hierarchy): crun applies the limits itself.
        const linux = config.linux as { resources: Record<string, unknown> };
        linux.resources.memory = limits.memory ? { limit: limits.memory } : undefined;
        linux.resources.cpu = { shares: limits.cpuShares, ...(limits.cpuQuota ? { quota: limits.cpuQuota, period: limits.cpuPeriod } : {}) };
        linux.resources.pids = { limit: limits.pids };
      }
      if (!rec.holder || !alive(rec.holder)) throw new Error('the pod namespace holder is gone; the sandbox must be recreated');
    } catch (err) {
      removeV1Cgroup(`${this.podCgroup(uid)}/${hex}`);
      throw new RuntimeError('CreateContainerError', (err as Error).message);
    }
    const failStart = async (reason: string, message: string): Promise<never> => {
      rec.containers = rec.containers.filter((x) => x !== c);
      this.store.put(rec);
      await rt.run(['delete', '-f', hex], true);
      await this.unmount([rootfs]).catch(() => undefined);
      removeV1Cgroup(`${this.podCgroup(uid)}/${hex}`);
      rmSync(cdir, { recursive: true, force: true });
      throw new RuntimeError(reason, message);
    };
    try {
      mkdirSync(join(cdir, 'upper'), { recursive: true });
      mkdirSync(join(cdir, 'work'), { recursive: true });
      mkdirSync(rootfs, { recursive: true });
      writeFileSync(join(cdir, 'config.json'), JSON.stringify(config));
      writeFileSync(join(cdir, 'log'), '');
      const lower = [...image.layers].reverse().join(':');
      if (!image.layers.length) throw new Error(`image ${cfg.imageRef} has no layers`);
      const mkfifo = cfg.stdin ? `mkfifo -m 600 "$4" && ` : '';
      await rt.host(['sh', '-c', `${mkfifo}mount -t overlay overlay -o "lowerdir=$0,upperdir=$1,workdir=$2" "$3"`, lower, join(cdir, 'upper'), join(cdir, 'work'), rootfs, join(cdir, 'stdin')]);
    } catch (err) {
      return failStart('CreateContainerError', `cannot prepare the root filesystem: ${(err as Error).message}`);
    }
    rec.containers.push(c);
    this.store.put(rec);
    const pidFile = join(cdir, 'pid');
    const exitFile = join(cdir, 'exit');
    const shim = startLoggingShim({
      runArgv: rt.argv([`--log=file:${join(cdir, 'crun.log')}`, 'run', '--bundle', cdir, '--pid-file', pidFile, hex]),
      stdin: cfg.stdin ? join(cdir, 'stdin') : '/dev/null',
      logFile: join(cdir, 'log'),
      exitFile,
    });
    c.shim = { pid: shim.pid, startTime: shim.startTime };
    shim.child.once('exit', () => this.checkExit(rec, c));
    await until(() => existsSync(pidFile) || existsSync(exitFile), 30_000, 3);
    if (!existsSync(pidFile)) {
      const why = crunError(join(cdir, 'crun.log')) || readLastLines(join(cdir, 'log'), 3) || 'crun did not start the container within 30 s';
      await rt.run(['kill', hex, 'KILL'], true);
      await until(() => !alive(c.shim!), 5000, 10);
      return failStart('RunContainerError', `failed to start container "${cfg.name}": ${why}`);
    }
    c.pid = Number(readFileSync(pidFile, 'utf8').trim()) || undefined;
    c.startedAt = Date.now();
    this.store.put(rec);
    this.prune(rec, cfg.name);
    if (existsSync(exitFile)) this.checkExit(rec, c);
    return this.snapshot(rec).containers.find((x) => x.id === `crun://${hex}`)!;
  }

  /** Bind mounts of one container: the pod's /etc files and /dev/shm, then its volumes. */
  private binds(rec: SandboxRecord, cfg: ContainerConfig): OciMount[] {
    const bind = (source: string, destination: string, ro = false): OciMount => ({ destination, type: 'bind', source, options: ['rbind', 'rprivate', ro ? 'ro' : 'rw'] });
    const out = [bind(this.store.path(rec.uid, 'etc', 'hosts'), '/etc/hosts'), bind(this.store.path(rec.uid, 'etc', 'resolv.conf'), '/etc/resolv.conf'), bind(this.store.path(rec.uid, 'etc', 'hostname'), '/etc/hostname'), bind(this.store.path(rec.uid, 'shm'), '/dev/shm')];
    const volumes = (rec.volumes ?? []) as Volume[];
    for (const m of cfg.volumeMounts ?? []) {
      const v = volumes.find((x) => x.name === m.name);
      if (!v) throw new SpecError(`volumeMount "${m.name}" names no volume of the pod`);
      if (!m.mountPath?.startsWith('/')) throw new SpecError(`volumeMount "${m.name}": mountPath must be absolute`);
      let source: string;
      let ro = !!m.readOnly;
      if (v.emptyDir) {
        source = this.store.path(rec.uid, 'volumes', v.name);
        mkdirSync(source, { recursive: true, mode: 0o777 });
      } else if (v.hostPath) {
        source = v.hostPath.path;
        const type = v.hostPath.type ?? '';
        if (type === 'DirectoryOrCreate') mkdirSync(source, { recursive: true });
        else if (type === 'FileOrCreate' && !existsSync(source)) {
          mkdirSync(dirname(source), { recursive: true });
          writeFileSync(source, '');
        } else if (type && !existsSync(source)) throw new SpecError(`hostPath ${source} (type ${type}) does not exist on the node`);
      } else if (FILE_VOLUMES.some((k) => v[k])) {
        source = this.store.path(rec.uid, 'volumes', v.name);
        ro = true;
      } else {
        const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
        throw new SpecError(`volume "${v.name}": ${kind} volumes are not supported by the crun runtime (use emptyDir, hostPath, configMap, secret, projected or downwardAPI)`);
      }
      const src = subPathUnder(source, m.subPath);
      if (m.subPath && !existsSync(src)) mkdirSync(src, { recursive: true });
      out.push(bind(src, m.mountPath, ro));
    }
    return out;
  }

  /** Keeps the current and the previous instance of `name`; older ones are removed. */
  private prune(rec: SandboxRecord, name: string): void {
    const same = rec.containers.filter((c) => c.name === name).sort((a, b) => b.attempt - a.attempt || b.startedAt - a.startedAt);
    const old = same.slice(2).filter((c) => c.state === 'exited');
    if (!old.length) return;
    rec.containers = rec.containers.filter((c) => !old.includes(c));
    this.store.put(rec);
    void this.unmount(old.map((c) => this.store.path(rec.uid, 'c', c.hex, 'rootfs')))
      .then(() => {
        for (const c of old) {
          removeV1Cgroup(`${this.podCgroup(rec.uid)}/${c.hex}`);
          rmSync(this.store.path(rec.uid, 'c', c.hex), { recursive: true, force: true });
        }
      })
      .catch((err: Error) => this.log(`crun: pod ${rec.namespace}/${rec.name}: could not remove old instances: ${err.message}`));
  }

  async stopContainer(uid: string, containerId: string, graceSeconds: number): Promise<void> {
    const rec = this.pods.get(uid);
    const c = rec?.containers.find((x) => `crun://${x.hex}` === containerId || x.hex === containerId);
    if (!rec || !c || c.state !== 'running') return;
    await this.stop(rec, c, graceSeconds);
  }

  /** TERM, KILL after the grace period; resolves once the shim recorded the exit. */
  private async stop(rec: SandboxRecord, c: ContainerRecord, graceSeconds: number): Promise<void> {
    const rt = await this.runtime();
    const exited = () => (this.checkExit(rec, c), c.state === 'exited');
    if (graceSeconds > 0) {
      await rt.run(['kill', c.hex, 'TERM'], true);
      if (await until(exited, graceSeconds * 1000, 20)) return;
    }
    await rt.run(['kill', c.hex, 'KILL'], true);
    if (await until(exited, 10_000, 20)) return;
    // crun no longer knows it (or cannot kill it): end the shim so the exit is recorded.
    if (c.shim && alive(c.shim)) process.kill(-c.shim.pid, 'SIGKILL');
    await until(exited, 2000, 20);
    if (c.state !== 'exited') this.markExited(rec, c, 137, 'the container did not stop; its shim was killed');
  }

  private pollAll(): void {
    for (const rec of this.pods.values()) for (const c of rec.containers) if (c.state === 'running') this.checkExit(rec, c);
  }

  /** Notices an exit the shim recorded (or a shim that died without recording one). */
  private checkExit(rec: SandboxRecord, c: ContainerRecord): void {
    if (c.state !== 'running') return;
    const exitFile = this.store.path(rec.uid, 'c', c.hex, 'exit');
    let code: number | undefined;
    let at: number | undefined;
    try {
      code = Number(readFileSync(exitFile, 'utf8').trim());
      at = statSync(exitFile).mtimeMs;
    } catch {
      if (c.shim && alive(c.shim)) return;
      if (c.shim === undefined) return; // still starting
    }
    if (code === undefined || !Number.isFinite(code)) this.markExited(rec, c, 255, 'the container shim ended without recording an exit status (node restart or killed shim)');
    else this.markExited(rec, c, code, undefined, at);
  }

  private markExited(rec: SandboxRecord, c: ContainerRecord, code: number, message?: string, at = Date.now()): void {
    if (c.state === 'exited') return;
    const cg = `${this.podCgroup(rec.uid)}/${c.hex}`;
    const failcnt = readV1Counter('memory', cg, 'memory.failcnt') ?? 0;
    c.state = 'exited';
    c.exitCode = code;
    c.finishedAt = Math.round(at);
    c.reason = code === 0 ? 'Completed' : code === 137 && failcnt > 0 ? 'OOMKilled' : 'Error';
    if (message) c.message = message;
    else if (code !== 0) {
      const err = crunError(this.store.path(rec.uid, 'c', c.hex, 'crun.log'));
      if (err) c.message = err;
    }
    if (this.pods.get(rec.uid) === rec || !this.pods.has(rec.uid)) {
      if (existsSync(this.store.path(rec.uid))) this.store.put(rec);
    }
    void this.unmount([this.store.path(rec.uid, 'c', c.hex, 'rootfs')])
      .catch(() => undefined)
      .then(() => removeV1Cgroup(cg));
    if (this.pods.get(rec.uid) === rec) this.changed(rec.uid);
  }

  // ---- streams -----------------------------------------------------------------------------

  private find(namespace: string, pod: string): SandboxRecord {
    let found: SandboxRecord | undefined;
    for (const r of this.pods.values()) if (r.namespace === namespace && r.name === pod && (!found || r.createdAt > found.createdAt)) found = r;
    if (!found) throw new KubeError(404, 'NotFound', `pod "${pod}" not found on this node`);
    return found;
  }

  private instances(rec: SandboxRecord, container: string): ContainerRecord[] {
    return rec.containers.filter((c) => c.name === container).sort((a, b) => b.attempt - a.attempt || b.startedAt - a.startedAt);
  }

  private running(namespace: string, pod: string, container: string): { rec: SandboxRecord; c: ContainerRecord } {
    const rec = this.find(namespace, pod);
    const c = this.instances(rec, container)[0];
    if (!c) throw KubeError.badRequest(`container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);
    if (c.state !== 'running') throw KubeError.badRequest(`container "${container}" in pod "${pod}" is not running (it exited with code ${c.exitCode})`);
    return { rec, c };
  }

  async logs(namespace: string, pod: string, container: string, opts: LogOptions): Promise<Readable> {
    const rec = this.find(namespace, pod);
    const all = this.instances(rec, container);
    const c = opts.previous ? all[1] : all[0];
    if (!c) {
      if (opts.previous) throw KubeError.badRequest(`previous terminated container "${container}" in pod "${pod}" not found`);
      throw KubeError.badRequest(`container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);
    }
    return logStream(this.store.path(rec.uid, 'c', c.hex, 'log'), opts, () => c.state === 'exited' || !this.pods.has(rec.uid));
  }

  async exec(req: ExecRequest): Promise<ExecSession> {
    const { c } = this.running(req.namespace, req.pod, req.container);
    if (!req.command.length) throw KubeError.badRequest('exec needs a command');
    const rt = await this.runtime();
    const crunArgv = rt.argv(['exec', ...(req.tty ? ['--tty'] : []), c.hex, ...req.command]);
    // NOTE: Node has no pty; with a tty, util-linux `script` gives crun one (it then relays
    // the terminal itself), so the command sees a terminal and stderr is merged.
    const argv = req.tty ? ['script', '-qfec', crunArgv.map(shq).join(' '), '/dev/null'] : crunArgv;
    return session(argv, req);
  }

  async attach(req: ExecRequest): Promise<ExecSession> {
    const { rec, c } = this.running(req.namespace, req.pod, req.container);
    if (req.stdin && !c.stdin) throw KubeError.badRequest(`container "${req.container}" in pod "${req.pod}" was not started with stdin: true; attach without stdin, or set stdin in the pod spec`);
    const cdir = this.store.path(rec.uid, 'c', c.hex);
    const done = () => c.state === 'exited' || !this.pods.has(rec.uid);
    const size = existsSync(join(cdir, 'log')) ? statSync(join(cdir, 'log')).size : 0;
    const follow = (stream?: 'stdout' | 'stderr') => logStream(join(cdir, 'log'), { follow: true }, done, 50, { stream, from: size });
    const stdout = req.stdout ? follow(req.tty ? undefined : 'stdout') : null;
    const stderr = req.stderr && !req.tty ? follow('stderr') : null;
    let stdin: PassThrough | null = null;
    if (req.stdin) {
      stdin = new PassThrough();
      const fifo = createWriteStream(join(cdir, 'stdin'), { flags: 'a' });
      fifo.on('error', () => undefined);
      stdin.pipe(fifo);
    }
    let ended = false;
    const exit = (async () => {
      await until(() => ended || done(), 24 * 3600_000, 50);
      return c.state === 'exited' ? (c.exitCode ?? 0) : 0;
    })();
    return {
      stdin,
      stdout,
      stderr,
      resize: () => undefined,
      exit,
      kill: () => {
        ended = true;
        stdout?.destroy();
        stderr?.destroy();
        stdin?.end();
      },
    };
  }

  async portForward(namespace: string, pod: string, port: number): Promise<Duplex> {
    const rec = this.find(namespace, pod);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw KubeError.badRequest(`port ${port} is not a TCP port (1-65535)`);
    const child = spawn('nsenter', [`--net=${rec.netns}`, '--', 'socat', 'STDIO', `TCP:127.0.0.1:${port}`], { stdio: ['pipe', 'pipe', 'ignore'] });
    child.stdin.on('error', () => undefined);
    const d = Duplex.from({ readable: child.stdout, writable: child.stdin });
    d.on('close', () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('error', (err) => d.destroy(err));
    return d;
  }

  // ---- clean-up ----------------------------------------------------------------------------

  /**
   * Removes every pod this runtime made, running or not, also those of an earlier process that
   * crashed (read from `<stateDir>/pods`), then the runtime's cgroups and its mount namespace.
   * For `kube down`. Needs no `init()`.
   */
  async purge(): Promise<void> {
    await this.close();
    const rt = await this.runtime();
    for (const uid of this.store.uids()) {
      const rec = this.pods.get(uid) ?? this.store.get(uid) ?? { uid, namespace: '?', name: uid, hostname: '', ip: '', netns: '', createdAt: 0, containers: [] };
      try {
        await this.destroy(rec);
      } catch (err) {
        this.log(`crun: purge of pod ${uid}: ${(err as Error).message}`);
      }
      this.pods.delete(uid);
    }
    const list = await rt.run(['list', '-q'], true);
    for (const id of list.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) await rt.run(['delete', '-f', id], true);
    removeV1Cgroup(`/${this.prefix}`);
    if (rt.mntns) await dropV1Namespace(dirname(rt.mntns));
    this.rt = null;
    rmSync(join(this.o.stateDir, 'runtime'), { recursive: true, force: true });
  }
}

function volumesOf(pod: KubeObject): Volume[] {
  const v = (pod.spec as { volumes?: unknown } | undefined)?.volumes;
  return Array.isArray(v) ? (v.filter((x) => x && typeof (x as Volume).name === 'string') as Volume[]) : [];
}

function alive(p: { pid: number; startTime: string }): boolean {
  return pidAlive(p.pid) && (startTime(p.pid) ?? '') === p.startTime;
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The last error crun logged (`--log=file:`), without its JSON/level decoration. */
function crunError(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
    const last = lines[lines.length - 1];
    if (!last) return '';
    try {
      const j = JSON.parse(last) as { msg?: string };
      return j.msg ?? last;
    } catch {
      return last.replace(/^\S+\s+\S+\s+/, '');
    }
  } catch {
    return '';
  }
}

function readLastLines(file: string, n: number): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-n).map((l) => l.split(' ').slice(3).join(' ')).join(' | ');
  } catch {
    return '';
  }
}

/** An exec session over a spawned command. */
function session(argv: string[], req: ExecRequest): ExecSession {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: [req.stdin ? 'pipe' : 'ignore', 'pipe', req.tty ? 'ignore' : 'pipe'] });
  child.stdin?.on('error', () => undefined);
  const exit = new Promise<number>((res) => {
    child.on('error', () => res(126));
    child.on('close', (code, signal) => res(code ?? (signal ? 128 + 9 : 1)));
  });
  return {
    stdin: child.stdin ?? null,
    stdout: req.stdout ? child.stdout! : (child.stdout!.resume(), null),
    stderr: req.tty ? null : req.stderr ? child.stderr : (child.stderr?.resume(), null),
    resize: () => undefined,
    exit,
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
