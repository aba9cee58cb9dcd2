import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensureV1Cgroup, removeV1Cgroup, startLoggingShim, until } from '../../../dataplane/oci/index.js';
import { RuntimeError, type ContainerConfig, type RuntimeContainer } from '../runtime.js';
import type { CrunState } from './context.js';
import type { LocalImageLike } from './deps.js';
import { checkExit } from './exits.js';
import { snapshot } from './sandbox.js';
import { ociPodConfig, resolveArgv, resolveCaps, resolveEnv, resolveUser, resourceLimits, SpecError, subPathUnder, type OciMount } from './spec.js';
import type { ContainerRecord, SandboxRecord } from './state.js';
import { alive, crunError, FILE_VOLUMES, readLastLines, type Volume } from './util.js';

// Starting containers of the crun runtime: the OCI config, the overlay root, the bind mounts
// of the pod's files and volumes, the logging shim; and pruning old instances.

export async function startContainer(s: CrunState, uid: string, cfg: ContainerConfig): Promise<RuntimeContainer> {
  const rec = s.pods.get(uid);
  if (!rec) throw new RuntimeError('CreateContainerError', `pod ${uid} has no sandbox on this node; it is being recreated`);
  const rt = await s.runtime();
  let image: LocalImageLike;
  try {
    image = await s.image(cfg.imageRef || cfg.image);
  } catch (err) {
    throw new RuntimeError('CreateContainerError', `image ${cfg.imageRef}: ${(err as Error).message}`);
  }
  const hex = randomBytes(8).toString('hex');
  const cdir = s.store.path(uid, 'c', hex);
  const rootfs = join(cdir, 'rootfs');
  const c: ContainerRecord = { hex, name: cfg.name, kind: cfg.kind, attempt: cfg.attempt, image: cfg.image, imageID: cfg.imageID, state: 'running', startedAt: Date.now(), stdin: cfg.stdin, tty: cfg.tty };
  let config: Record<string, unknown>;
  let cgroupsPath: string;
  try {
    const env = resolveEnv(image.config, cfg.env, rec.hostname);
    const argv = resolveArgv(cfg, image.config, env);
    const user = resolveUser(cfg.securityContext, image.config.user, image.layers);
    const limits = resourceLimits(cfg.resources, s.o.pidsLimit ?? 4096);
    ensureV1Cgroup(s.podCgroup(uid), {});
    const v1 = ensureV1Cgroup(`${s.podCgroup(uid)}/${hex}`, limits);
    cgroupsPath = v1 ? `${s.podCgroup(uid)}/${hex}/ctr` : `${s.podCgroup(uid)}/${hex}`;
    const pod = binds(s, rec, cfg);
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
    removeV1Cgroup(`${s.podCgroup(uid)}/${hex}`);
    throw new RuntimeError('CreateContainerError', (err as Error).message);
  }
  const failStart = async (reason: string, message: string): Promise<never> => {
    rec.containers = rec.containers.filter((x) => x !== c);
    s.store.put(rec);
    await rt.run(['delete', '-f', hex], true);
    await s.unmount([rootfs]).catch(() => undefined);
    removeV1Cgroup(`${s.podCgroup(uid)}/${hex}`);
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
  s.store.put(rec);
  const pidFile = join(cdir, 'pid');
  const exitFile = join(cdir, 'exit');
  const shim = startLoggingShim({
    runArgv: rt.argv([`--log=file:${join(cdir, 'crun.log')}`, 'run', '--bundle', cdir, '--pid-file', pidFile, hex]),
    stdin: cfg.stdin ? join(cdir, 'stdin') : '/dev/null',
    logFile: join(cdir, 'log'),
    exitFile,
  });
  c.shim = { pid: shim.pid, startTime: shim.startTime };
  shim.child.once('exit', () => checkExit(s, rec, c));
  await until(() => existsSync(pidFile) || existsSync(exitFile), 30_000, 3);
  if (!existsSync(pidFile)) {
    const why = crunError(join(cdir, 'crun.log')) || readLastLines(join(cdir, 'log'), 3) || 'crun did not start the container within 30 s';
    await rt.run(['kill', hex, 'KILL'], true);
    await until(() => !alive(c.shim!), 5000, 10);
    return failStart('RunContainerError', `failed to start container "${cfg.name}": ${why}`);
  }
  c.pid = Number(readFileSync(pidFile, 'utf8').trim()) || undefined;
  c.startedAt = Date.now();
  s.store.put(rec);
  prune(s, rec, cfg.name);
  if (existsSync(exitFile)) checkExit(s, rec, c);
  return snapshot(rec).containers.find((x) => x.id === `crun://${hex}`)!;
}

/** Bind mounts of one container: the pod's /etc files and /dev/shm, then its volumes. */
function binds(s: CrunState, rec: SandboxRecord, cfg: ContainerConfig): OciMount[] {
  const bind = (source: string, destination: string, ro = false): OciMount => ({ destination, type: 'bind', source, options: ['rbind', 'rprivate', ro ? 'ro' : 'rw'] });
  const out = [bind(s.store.path(rec.uid, 'etc', 'hosts'), '/etc/hosts'), bind(s.store.path(rec.uid, 'etc', 'resolv.conf'), '/etc/resolv.conf'), bind(s.store.path(rec.uid, 'etc', 'hostname'), '/etc/hostname'), bind(s.store.path(rec.uid, 'shm'), '/dev/shm')];
  const volumes = (rec.volumes ?? []) as Volume[];
  for (const m of cfg.volumeMounts ?? []) {
    const v = volumes.find((x) => x.name === m.name);
    if (!v) throw new SpecError(`volumeMount "${m.name}" names no volume of the pod`);
    if (!m.mountPath?.startsWith('/')) throw new SpecError(`volumeMount "${m.name}": mountPath must be absolute`);
    let source: string;
    let ro = !!m.readOnly;
    if (v.emptyDir) {
      source = s.store.path(rec.uid, 'volumes', v.name);
      mkdirSync(source, { recursive: true, mode: 0o777 });
    } else if (v.hostPath) {
      source = v.hostPath.path;
      const type = v.hostPath.type ?? '';
      if (type === 'DirectoryOrCreate') mkdirSync(source, { recursive: true });
      else if (type === 'FileOrCreate' && !existsSync(source)) {
        mkdirSync(dirname(source), { recursive: true });
        writeFileSync(source, '');
      } else if (type && !existsSync(source)) throw new SpecError(`hostPath ${source} (type ${type}) does not exist on the node`);
    } else if (v.persistentVolumeClaim) {
      const claim = rec.claims?.[v.name];
      if (!claim) throw new SpecError(`volume "${v.name}": persistentVolumeClaim ${JSON.stringify(v.persistentVolumeClaim)} was not resolved to a volume on this node`);
      if (!existsSync(claim.path)) throw new SpecError(`volume "${v.name}": the directory ${claim.path} of persistent volume ${claim.volumeName} is missing on this node`);
      source = claim.path;
      ro = ro || claim.readOnly;
    } else if (FILE_VOLUMES.some((k) => v[k])) {
      source = s.store.path(rec.uid, 'volumes', v.name);
      ro = true;
    } else {
      const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
      throw new SpecError(`volume "${v.name}": ${kind} volumes are not supported by the crun runtime (use emptyDir, hostPath, persistentVolumeClaim, configMap, secret, projected or downwardAPI)`);
    }
    const src = subPathUnder(source, m.subPath);
    if (m.subPath && !existsSync(src)) mkdirSync(src, { recursive: true });
    out.push(bind(src, m.mountPath, ro));
  }
  return out;
}

/** Keeps the current and the previous instance of `name`; older ones are removed. */
function prune(s: CrunState, rec: SandboxRecord, name: string): void {
  const same = rec.containers.filter((c) => c.name === name).sort((a, b) => b.attempt - a.attempt || b.startedAt - a.startedAt);
  const old = same.slice(2).filter((c) => c.state === 'exited');
  if (!old.length) return;
  rec.containers = rec.containers.filter((c) => !old.includes(c));
  s.store.put(rec);
  void s.unmount(old.map((c) => s.store.path(rec.uid, 'c', c.hex, 'rootfs')))
    .then(() => {
      for (const c of old) {
        removeV1Cgroup(`${s.podCgroup(rec.uid)}/${c.hex}`);
        rmSync(s.store.path(rec.uid, 'c', c.hex), { recursive: true, force: true });
      }
    })
    .catch((err: Error) => s.log(`crun: pod ${rec.namespace}/${rec.name}: could not remove old instances: ${err.message}`));
}
