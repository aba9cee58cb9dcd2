import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { sh } from './host.js';
import type { VolumeRecord } from './state.js';

/** `/dev/vdb` and the like: a device name the guest may be given. */
const DEVICE_RE = /^\/dev\/[a-z]{2,4}[a-z0-9]{0,4}$/;

export function checkDevice(device: string): string {
  if (!DEVICE_RE.test(device)) throw new Error(`not a guest device name: ${JSON.stringify(device)} (expected e.g. /dev/vdb)`);
  return device;
}

/** The loop device already backed by `path`, if any (read from sysfs). */
function loopOf(path: string, recorded?: string): string | undefined {
  if (!recorded) return undefined;
  try {
    const backing = readFileSync(`/sys/block/${basename(recorded)}/loop/backing_file`, 'utf8').trim();
    return backing === path ? recorded : undefined;
  } catch {
    return undefined;
  }
}

/** Puts the volume's file on a loop device (reusing the recorded one) and reads its numbers. */
export async function loopVolume(volumeId: string, device: string, path: string, recorded?: string, readOnly = false): Promise<VolumeRecord> {
  const loop = loopOf(path, recorded) ?? (await sh(['losetup', '--find', '--show', ...(readOnly ? ['--read-only'] : []), path])).stdout.trim();
  const [major, minor] = readFileSync(`/sys/block/${basename(loop)}/dev`, 'utf8').trim().split(':').map(Number);
  return { volumeId, device: checkDevice(device), path, loop, major: major!, minor: minor! };
}

export async function unloopVolume(v: VolumeRecord): Promise<void> {
  if (loopOf(v.path, v.loop)) await sh(['losetup', '-d', v.loop], { mayFail: true });
}

/** The devices-cgroup (v1) directory of a running container's init. */
function devicesCgroup(pid: number): string | undefined {
  try {
    for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
      const [, ctrls, path] = line.split(':');
      if (ctrls?.split(',').includes('devices')) return `/sys/fs/cgroup/devices${path}`;
    }
  } catch {
    // gone
  }
  return undefined;
}

/**
 * Hot-plugs a volume into a running container (dataplane.md §5): a device node made through
 * `/proc/<pid>/root` (the container's own /dev) and the device allowed in its devices cgroup.
 */
export async function plugDevice(pid: number, v: VolumeRecord): Promise<void> {
  const cg = devicesCgroup(pid);
  if (cg) writeFileSync(`${cg}/devices.allow`, `b ${v.major}:${v.minor} rwm`);
  const node = `/proc/${pid}/root${v.device}`;
  rmSync(node, { force: true });
  await sh(['mknod', '-m', '660', node, 'b', String(v.major), String(v.minor)]);
  await sh(['chown', '0:6', node], { mayFail: true });
}

export async function unplugDevice(pid: number, v: VolumeRecord): Promise<void> {
  rmSync(`/proc/${pid}/root${v.device}`, { force: true });
  const cg = devicesCgroup(pid);
  if (cg) {
    try {
      writeFileSync(`${cg}/devices.deny`, `b ${v.major}:${v.minor} rwm`);
    } catch {
      // the container is going away
    }
  }
}
