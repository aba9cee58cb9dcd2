import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pidAlive, removeV1Cgroup, startTime, until } from '../../../dataplane/oci/index.js';
import type { KubeObject } from '../../types.js';
import { RuntimeError, type RuntimeContainer, type RuntimeSandbox, type SandboxConfig, type VolumeFile } from '../runtime.js';
import type { CrunState } from './context.js';
import { hostsFile, podHostname, resolvConf, subPathUnder } from './spec.js';
import type { SandboxRecord } from './state.js';
import { alive, FILE_VOLUMES, volumesOf, type Volume } from './util.js';

// Sandboxes of the crun runtime: the pod netns and address, the namespace holder, the pod's
// /etc files and file volumes, and the removal of everything a pod made.

export async function runSandbox(s: CrunState, cfg: SandboxConfig): Promise<RuntimeSandbox> {
  const existing = s.pods.get(cfg.uid);
  if (existing) return snapshot(existing);
  if (!/^[A-Za-z0-9-]{1,64}$/.test(cfg.uid)) throw new RuntimeError('CreatePodSandboxError', `pod uid ${JSON.stringify(cfg.uid)} is not a usable name`);
  if (!s.ipam) throw new RuntimeError('CreatePodSandboxError', 'the crun runtime was not initialised (init() first)');
  await s.runtime();
  const ip = s.ipam.allocate(cfg.uid);
  const hostname = podHostname(cfg.hostname);
  const rec: SandboxRecord = { uid: cfg.uid, namespace: cfg.namespace, name: cfg.name, hostname, ip, netns: '', createdAt: Date.now(), volumes: volumesOf(cfg.pod), ...(cfg.claimMounts ? { claims: cfg.claimMounts } : {}), containers: [] };
  try {
    mkdirSync(s.store.path(cfg.uid, 'etc'), { recursive: true });
    mkdirSync(s.store.path(cfg.uid, 'shm'), { recursive: true, mode: 0o1777 });
    s.store.put(rec); // recorded before anything is made, so a crash here is cleaned up later
    rec.netns = await s.o.network.createPodNetns(cfg.uid, ip);
    s.store.put(rec);
    writeEtc(s, rec, cfg.pod);
    writeVolumes(s, rec, cfg);
    rec.holder = await startHolder(hostname);
    s.store.put(rec);
  } catch (err) {
    await destroy(s, rec).catch(() => undefined);
    throw err instanceof RuntimeError ? err : new RuntimeError('CreatePodSandboxError', `pod ${cfg.namespace}/${cfg.name}: ${(err as Error).message}`);
  }
  s.pods.set(cfg.uid, rec);
  return snapshot(rec);
}

function writeEtc(s: CrunState, rec: SandboxRecord, pod: KubeObject): void {
  const spec = (pod.spec ?? {}) as { dnsPolicy?: string; subdomain?: string; dnsConfig?: { nameservers?: string[]; searches?: string[]; options?: { name: string; value?: string }[] } };
  const dns = s.o.network.dns;
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
  writeFileSync(s.store.path(rec.uid, 'etc', 'resolv.conf'), resolvConf(servers.slice(0, 3), searches.slice(0, 32), options));
  writeFileSync(s.store.path(rec.uid, 'etc', 'hosts'), hostsFile(rec.ip, rec.hostname, fqdn));
  writeFileSync(s.store.path(rec.uid, 'etc', 'hostname'), `${rec.hostname}\n`);
}

/** emptyDir directories, and the files of configMap/secret/projected/downwardAPI volumes. */
function writeVolumes(s: CrunState, rec: SandboxRecord, cfg: SandboxConfig): void {
  for (const v of volumesOf(cfg.pod)) {
    const dir = s.store.path(rec.uid, 'volumes', v.name);
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
export async function updateVolumeFiles(s: CrunState, uid: string, volume: string, files: VolumeFile[]): Promise<void> {
  const rec = s.pods.get(uid);
  if (!rec) throw new RuntimeError('CreateContainerError', `pod ${uid} has no sandbox on this node`);
  const v = ((rec.volumes ?? []) as Volume[]).find((x) => x.name === volume);
  if (!v || !FILE_VOLUMES.some((k) => v[k])) throw new RuntimeError('CreateContainerError', `pod ${rec.namespace}/${rec.name} has no file volume "${volume}"`);
  const dir = s.store.path(uid, 'volumes', volume);
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
async function startHolder(hostname: string): Promise<{ pid: number; startTime: string }> {
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

/** Removes everything of a pod (its containers must have exited): mounts, cgroups, holder, netns, files, IP. */
export async function destroy(s: CrunState, rec: SandboxRecord): Promise<void> {
  const rt = await s.runtime();
  for (const c of rec.containers) {
    if (c.state === 'running' && c.pid && pidAlive(c.pid)) await rt.run(['kill', c.hex, 'KILL'], true);
  }
  await until(() => rec.containers.every((c) => !c.shim || !alive(c.shim)), 5000, 20);
  await s.unmount(rec.containers.map((c) => s.store.path(rec.uid, 'c', c.hex, 'rootfs')));
  for (const c of rec.containers) await rt.run(['delete', '-f', c.hex], true);
  if (rec.holder && alive(rec.holder)) process.kill(rec.holder.pid, 'SIGKILL');
  const left = removeV1Cgroup(s.podCgroup(rec.uid));
  if (left.length) s.log(`crun: pod ${rec.namespace}/${rec.name}: cgroups still busy: ${left.join(', ')}`);
  await s.o.network.deletePodNetns(rec.uid);
  s.ipam?.release(rec.uid);
  rmSync(s.store.path(rec.uid), { recursive: true, force: true });
}

export function snapshot(rec: SandboxRecord): RuntimeSandbox {
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
